/**
 * One conditional GET of a flag config: `If-None-Match` with the ETag of the config held, 304 answered
 * from that config, a 2xx body read as a stream under a byte cap, everything else a
 * {@link FlagSourceError}. Redirects are not followed (a redirect could leave https).
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { FlagSourceError } from './errors.js';
import { parseConfigBytes, type ReadConfig, rootMessage, withDeadline } from './source-kit.js';

/** The `fetch` the source calls; the global `fetch` fits. */
export type FetchFunction = (url: string, init: RequestInit) => Promise<Response>;

/** A config held from an earlier 200, with its ETag. */
export interface HeldConfig extends ReadConfig {
  readonly etag: string | undefined;
}

/** What one GET needs. */
export interface GetSettings {
  readonly url: URL;
  /** The URL as messages show it: origin and path, never credentials or the query. */
  readonly shownUrl: string;
  readonly fetch: FetchFunction;
  readonly headers: Readonly<Record<string, string>>;
  readonly timeoutMs: number;
  readonly maxBytes: number;
  readonly clock: Clock;
}

const fail = (s: GetSettings, message: string, cause?: unknown) =>
  new FlagSourceError('http', `GET ${s.shownUrl}: ${message}`, cause === undefined ? undefined : { cause });

async function readBody(s: GetSettings, response: Response): Promise<Uint8Array> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > s.maxBytes) {
    await response.body?.cancel().catch(() => {});
    throw fail(s, `the body is ${declared} bytes, over the ${s.maxBytes}-byte cap (\`maxBytes\`)`);
  }
  const reader = response.body?.getReader();
  if (reader === undefined) return new Uint8Array(0);
  const chunks: Uint8Array[] = [];
  let length = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    length += value.byteLength;
    if (length > s.maxBytes) {
      await reader.cancel().catch(() => {});
      throw fail(s, `the body is over the ${s.maxBytes}-byte cap (\`maxBytes\`)`);
    }
    chunks.push(value);
  }
  return Buffer.concat(chunks, length);
}

/** Longest ETag used as a version as it is (a config's version is at most 256 characters). */
const MAX_ETAG_VERSION_LENGTH = 128;

/**
 * Adds the ETag as the config's version when the body has none. A long ETag (some servers send whole
 * hashes with prefixes) is shortened to its SHA-256, so it can never make the config fail validation.
 */
function withVersion(read: ReadConfig, etag: string | undefined): ReadConfig {
  if (etag === undefined || read.config.version !== undefined) return read;
  const version =
    etag.length <= MAX_ETAG_VERSION_LENGTH
      ? etag
      : `etag-sha256:${createHash('sha256').update(etag).digest('base64url')}`;
  return { config: { ...read.config, version }, key: read.key };
}

async function getOnce(s: GetSettings, held: HeldConfig | undefined, signal: AbortSignal) {
  const { 'if-none-match': _ignored, ...given } = s.headers;
  const headers: Record<string, string> = { ...given, accept: 'application/json' };
  if (held?.etag !== undefined) headers['if-none-match'] = held.etag;
  let response: Response;
  try {
    response = await s.fetch(s.url.href, { method: 'GET', headers, redirect: 'manual', signal });
  } catch (error) {
    throw fail(s, `request failed (${rootMessage(error)})`, error);
  }
  if (response.status === 304) {
    await response.body?.cancel().catch(() => {});
    if (held === undefined) throw fail(s, 'HTTP 304 but no config is held');
    return held;
  }
  if (response.status < 200 || response.status > 299) {
    await response.body?.cancel().catch(() => {});
    const hint = response.status >= 300 && response.status < 400 ? ' (redirects are not followed)' : '';
    throw fail(s, `HTTP ${response.status}${hint}`);
  }
  const etag = response.headers.get('etag') ?? undefined;
  let bytes: Uint8Array;
  try {
    bytes = await readBody(s, response);
  } catch (error) {
    throw error instanceof FlagSourceError
      ? error
      : fail(s, `reading the body failed (${rootMessage(error)})`, error);
  }
  const read = withVersion(parseConfigBytes('http', bytes, `GET ${s.shownUrl}`), etag);
  return { ...read, etag, key: `${etag ?? ''}\n${read.key}` };
}

/**
 * GETs the config under `timeoutMs` (headers and body) and the caller's `signal`. Resolves with the held
 * config on 304 and with a new one on 2xx; rejects with a {@link FlagSourceError} otherwise.
 */
export function conditionalGet(
  s: GetSettings,
  held: HeldConfig | undefined,
  signal?: AbortSignal,
): Promise<HeldConfig> {
  return withDeadline(
    'http',
    s.clock,
    s.timeoutMs,
    signal,
    (inner) => getOnce(s, held, inner),
    `GET ${s.shownUrl}`,
  );
}
