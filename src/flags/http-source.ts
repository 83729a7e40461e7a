/**
 * The HTTP polling flag source: a conditional GET every `pollIntervalMs` (`If-None-Match` with the ETag
 * of the config held, so an unchanged config costs a 304 and no body), the body read as a stream under
 * `maxBytes`, each request under `timeoutMs`. A failed poll (non-2xx, timeout, network, not JSON) is
 * reported to watchers and the polling goes on, backing off exponentially up to `maxBackoffMs`, and back
 * to the interval after the first success. https only, or http on a loopback address.
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { FlagSourceError } from './errors.js';
import { conditionalGet, type FetchFunction, type GetSettings, type HeldConfig } from './http-fetch.js';
import {
  DEFAULT_MAX_BYTES,
  type FlagSourceListener,
  MAX_MAX_BYTES,
  type Outcome,
  toSourceError,
} from './source-kit.js';
import type { FlagConfig, FlagSource } from './types.js';
import { backoffMs, createWatchedSource, startWatchLoop } from './watch-kit.js';

export type { FetchFunction } from './http-fetch.js';

/** Options of {@link createHttpFlagSource}. */
export interface HttpFlagSourceOptions {
  /** The config's URL: https, or http on loopback (127.0.0.0/8, `localhost`, `[::1]`); no credentials in it. */
  readonly url: string | URL;
  /** The `fetch` to call. Default the global `fetch`. */
  readonly fetch?: FetchFunction;
  /** Time between polls while they succeed. Default 30 000 ms. */
  readonly pollIntervalMs?: number;
  /** Longest pause between polls while they fail (the backoff doubles up to it). Default 300 000 ms. */
  readonly maxBackoffMs?: number;
  /** Deadline of one request, headers and body. Default 5000 ms. */
  readonly timeoutMs?: number;
  /** Extra request headers (an `authorization`, say); `accept` and `if-none-match` are the source's. */
  readonly headers?: Readonly<Record<string, string>>;
  /** Largest body accepted. Default 5 MiB. */
  readonly maxBytes?: number;
  /** Times the polls and the deadlines. Default the system clock. */
  readonly clock?: Clock;
  /** Random numbers in [0, 1), for the poll jitter (up to 10 % earlier). Default `Math.random`. */
  readonly random?: () => number;
}

/** An HTTP polling {@link FlagSource}. */
export interface HttpFlagSource extends FlagSource {
  readonly kind: 'http';
  /** One conditional GET; rejects with a {@link FlagSourceError} (HTTP status, timeout, network, body). */
  load(signal?: AbortSignal): Promise<FlagConfig>;
  /** Polls; a new listener first hears the current state, then every change or failed poll. */
  watch(listener: FlagSourceListener): () => void;
  /** Stops polling and drops the listeners; `load` rejects afterwards. */
  close(): Promise<void>;
}

const JITTER = 0.1;
const LOOPBACK_NAMES = new Set(['localhost', '[::1]']);

function checkUrl(value: unknown, path: string, owner: string): URL {
  let url: URL;
  try {
    url = new URL(value instanceof URL ? value.href : String(value));
  } catch {
    throw optionError(owner, path, 'an absolute URL');
  }
  const loopback = LOOPBACK_NAMES.has(url.hostname) || /^127\.\d+\.\d+\.\d+$/.test(url.hostname);
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && loopback)) {
    throw optionError(owner, path, 'an https URL (http only on loopback)');
  }
  if (url.username !== '' || url.password !== '') {
    throw optionError(owner, path, 'a URL without credentials (send them in `headers`)');
  }
  return url;
}

function checkHeaders(value: unknown, path: string, owner: string): Readonly<Record<string, string>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw optionError(owner, path, 'an object of header names to string values');
  }
  const out: Record<string, string> = {};
  for (const [name, v] of Object.entries(value)) {
    if (typeof v !== 'string') throw optionError(owner, `${path}.${name}`, 'a string');
    try {
      new Headers([[name, v]]);
    } catch {
      throw optionError(owner, `${path}.${name}`, 'a valid header name and value');
    }
    out[name.toLowerCase()] = v;
  }
  return Object.freeze(out);
}

const parseOptions = defineOptions('createHttpFlagSource', {
  url: opt.custom(checkUrl, { required: true }),
  fetch: opt.fn<FetchFunction>(),
  pollIntervalMs: opt.duration({ default: 30_000, min: 100, max: 86_400_000 }),
  maxBackoffMs: opt.duration({ default: 300_000, min: 100, max: 86_400_000 }),
  timeoutMs: opt.duration({ default: 5_000, max: 600_000 }),
  headers: opt.custom(checkHeaders, { default: Object.freeze({}) }),
  maxBytes: opt.integer({ default: DEFAULT_MAX_BYTES, min: 2, max: MAX_MAX_BYTES }),
  clock: opt.clock(),
  random: opt.fn<() => number>({ default: Math.random }),
});

/**
 * Creates a source polling a URL.
 *
 * @example
 * ```ts
 * const source = createHttpFlagSource({
 *   url: 'https://config.example.com/flags.json',
 *   headers: { authorization: `Bearer ${process.env.FLAGS_TOKEN}` },
 * });
 * const config = await source.load();
 * ```
 */
export function createHttpFlagSource(options: HttpFlagSourceOptions): HttpFlagSource {
  const o = parseOptions(options);
  const settings: GetSettings = {
    url: o.url,
    shownUrl: `${o.url.origin}${o.url.pathname}`,
    fetch: o.fetch ?? ((url, init) => fetch(url, init)),
    headers: o.headers,
    timeoutMs: o.timeoutMs,
    maxBytes: o.maxBytes,
    clock: o.clock,
  };
  let held: HeldConfig | undefined;
  const get = async (signal?: AbortSignal) => {
    held = await conditionalGet(settings, held, signal);
    return held;
  };
  const run = async (): Promise<Outcome> =>
    get().catch((error: unknown) => ({ error: toSourceError('http', 'poll failed', error) }));
  return createWatchedSource({
    kind: 'http',
    load: async (signal) => (await get(signal)).config,
    startWatch(hub) {
      const loop = startWatchLoop({
        source: 'http',
        clock: o.clock,
        run,
        deliver: (outcome) => hub.offer(outcome),
        nextDelayMs: (failures) => backoffMs(failures, o.pollIntervalMs, o.maxBackoffMs, o.random, JITTER),
      });
      return () => loop.stop();
    },
  });
}
