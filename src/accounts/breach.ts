/**
 * A breached-password checker for a k-anonymity range API (the Pwned Passwords shape): only the first 5
 * hex characters of the password's SHA-1 leave the process, the reply (padded) lists the suffixes that
 * share them. It never throws on the service's account: down, slow, wrong or huge answers all fail open.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { InvalidArgumentError } from '../core/errors.js';
import type { Counter, Histogram, Metrics } from '../core/metrics.js';
import { defineOptions, opt } from '../core/options.js';
import { parseHttpsUrl } from '../core/url.js';
import type { BreachChecker, BreachCheckResult } from './types.js';

/** Options of {@link createRangeBreachChecker}. */
export interface RangeBreachCheckerOptions {
  /** The API root; `/range/<prefix>` is appended. https, or http on loopback (tests). Default `https://api.pwnedpasswords.com`. */
  readonly baseUrl?: string | URL;
  /** The fetch to use. Default `globalThis.fetch`. */
  readonly fetch?: typeof globalThis.fetch;
  /** Deadline of one lookup, body included, on `clock`. Default 1500 ms. */
  readonly timeoutMs?: number;
  /** The `User-Agent` header. Default `backend-patterns-accounts`. */
  readonly userAgent?: string;
  /** Breach count from which a password counts as breached. Default 1. */
  readonly minCount?: number;
  /** Largest reply read; the body is read as a stream and dropped at this size. Default 1 MiB. */
  readonly maxResponseBytes?: number;
  /** Receives `accounts.breach_check.errors{reason}` and `accounts.breach_check.duration{status}` (s). */
  readonly metrics?: Metrics;
  /** Times the deadline and the duration. Default the system clock. */
  readonly clock?: Clock;
}

/**
 * Why a lookup was `unavailable` (the `reason` of the result and of the error counter): `network`
 * (connection refused or reset, DNS, a redirect), `timeout`, `http-status` (anything but 200),
 * `malformed` (a line that is not `SUFFIX:COUNT`, an empty body, invalid UTF-8), `oversize`.
 */
export type RangeBreachFailure = 'network' | 'timeout' | 'http-status' | 'malformed' | 'oversize';

const PREFIX_LENGTH = 5;
/** One reply line: the 35 remaining hex characters of a SHA-1 and a count (0 marks a padding entry). */
const RANGE_LINE = /^([0-9A-Fa-f]{35}):([0-9]{1,15})$/;

const parseOptions = defineOptions('createRangeBreachChecker', {
  baseUrl: opt.custom((v, p, o) => parseHttpsUrl(v, p, o), {
    default: new URL('https://api.pwnedpasswords.com'),
  }),
  fetch: opt.fn<typeof globalThis.fetch>(),
  timeoutMs: opt.duration({ default: 1_500, max: 60_000 }),
  userAgent: opt.matching(/^[\x21-\x7e][\x20-\x7e]{0,255}$/, '1..256 printable ASCII characters', {
    default: 'backend-patterns-accounts',
  }),
  minCount: opt.integer({ default: 1 }),
  maxResponseBytes: opt.integer({ default: 1_048_576, min: 1_024, max: 67_108_864 }),
  metrics: opt.metrics(),
  clock: opt.clock(),
});

/** A lookup that failed for a known reason. */
class Unavailable extends Error {
  readonly reason: RangeBreachFailure;
  constructor(reason: RangeBreachFailure) {
    super(reason);
    this.reason = reason;
  }
}

interface Lookup {
  readonly url: (prefix: string) => string;
  readonly fetch: typeof globalThis.fetch;
  readonly userAgent: string;
  readonly maxResponseBytes: number;
}

async function discard(response: Response): Promise<void> {
  await response.body?.cancel().catch(() => undefined);
}

/** The body as UTF-8 text, read as a stream and given up past `maxBytes`. */
async function readCapped(response: Response, maxBytes: number): Promise<string> {
  const declared = Number(response.headers.get('content-length') ?? Number.NaN);
  if (declared > maxBytes) {
    await discard(response);
    throw new Unavailable('oversize');
  }
  const chunks: Uint8Array[] = [];
  let total = 0;
  if (response.body !== null) {
    const reader = response.body.getReader();
    for (let part = await reader.read(); !part.done; part = await reader.read()) {
      total += part.value.byteLength;
      if (total > maxBytes) {
        await reader.cancel().catch(() => undefined);
        throw new Unavailable('oversize');
      }
      chunks.push(part.value);
    }
  }
  try {
    return new TextDecoder('utf-8', { fatal: true }).decode(Buffer.concat(chunks));
  } catch {
    throw new Unavailable('malformed');
  }
}

async function fetchRange(lookup: Lookup, prefix: string, signal: AbortSignal): Promise<string> {
  const response = await lookup.fetch(lookup.url(prefix), {
    method: 'GET',
    headers: { 'Add-Padding': 'true', 'User-Agent': lookup.userAgent, Accept: 'text/plain' },
    redirect: 'error',
    signal,
  });
  if (response.status !== 200) {
    await discard(response);
    throw new Unavailable('http-status');
  }
  return readCapped(response, lookup.maxResponseBytes);
}

/** The count listed for `suffix`, 0 when absent or padding; a line of another shape is `malformed`. */
function countFor(body: string, suffix: string): number {
  let entries = 0;
  let found = 0;
  for (const raw of body.split('\n')) {
    const line = raw.endsWith('\r') ? raw.slice(0, -1) : raw;
    if (line === '') continue;
    const match = RANGE_LINE.exec(line);
    if (match === null) throw new Unavailable('malformed');
    entries += 1;
    if (match[1]?.toUpperCase() === suffix) found = Math.max(found, Number(match[2]));
  }
  if (entries === 0) throw new Unavailable('malformed'); // a real (padded) range is never empty
  return found;
}

interface BreachInstruments {
  readonly errors: Counter;
  readonly duration: Histogram;
}

function breachInstruments(metrics: Metrics): BreachInstruments {
  return {
    errors: metrics.counter('accounts.breach_check.errors', {
      description: 'Breached-password lookups that failed open, by reason',
      unit: '{error}',
      labelNames: ['reason'],
    }),
    duration: metrics.histogram('accounts.breach_check.duration', {
      description: 'Duration of one breached-password lookup, by outcome',
      unit: 's',
      labelNames: ['status'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 1.5, 2.5, 5],
    }),
  };
}

/**
 * Creates a checker for a k-anonymity range API: `GET <baseUrl>/range/<first 5 hex of SHA-1,
 * upper-case>` with `Add-Padding: true`; reply lines `SUFFIX:COUNT` (CRLF or LF), padding entries
 * (count 0) ignored. A count of at least `minCount` is `breached`. Every failure (see
 * {@link RangeBreachFailure}) resolves `{ status: 'unavailable', reason }` and counts in
 * `accounts.breach_check.errors{reason}`: the check fails open, never throws, and never sends more than
 * the 5-character prefix. A non-string password is an `InvalidArgumentError` (a programming error).
 *
 * @example
 * ```ts
 * const breachChecker = createRangeBreachChecker({ timeoutMs: 1000 });
 * const policy = createPasswordPolicy({ breachChecker });
 * ```
 */
export function createRangeBreachChecker(options?: RangeBreachCheckerOptions): BreachChecker {
  const o = parseOptions(options);
  const root = o.baseUrl.href.replace(/\/+$/, '');
  const lookup: Lookup = {
    url: (prefix) => `${root}/range/${prefix}`,
    fetch: o.fetch ?? globalThis.fetch,
    userAgent: o.userAgent,
    maxResponseBytes: o.maxResponseBytes,
  };
  const instruments = breachInstruments(o.metrics);

  const run = async (password: string): Promise<BreachCheckResult> => {
    const digest = createHash('sha1').update(password, 'utf8').digest('hex').toUpperCase();
    const request = new AbortController();
    const deadline = new AbortController();
    let timedOut = false;
    o.clock.sleep(o.timeoutMs, deadline.signal).then(
      () => {
        timedOut = true;
        request.abort();
      },
      () => undefined,
    );
    try {
      const body = await fetchRange(lookup, digest.slice(0, PREFIX_LENGTH), request.signal);
      const count = countFor(body, digest.slice(PREFIX_LENGTH));
      return count >= o.minCount ? { status: 'breached', count } : { status: 'clean' };
    } catch (error) {
      const reason = timedOut ? 'timeout' : error instanceof Unavailable ? error.reason : 'network';
      return { status: 'unavailable', reason };
    } finally {
      deadline.abort();
    }
  };

  return {
    kind: 'range-api',
    async check(password) {
      if (typeof password !== 'string') throw new InvalidArgumentError('`password` must be a string');
      const startMs = o.clock.now();
      const result = await run(password);
      instruments.duration.record((o.clock.now() - startMs) / 1000, { status: result.status });
      if (result.status === 'unavailable') instruments.errors.add(1, { reason: result.reason });
      return result;
    },
  };
}
