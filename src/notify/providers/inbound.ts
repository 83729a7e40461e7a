/**
 * What the three receivers share: reading headers from either a fetch `Headers` or Node's
 * `IncomingHttpHeaders`, taking the raw body as bytes, comparing MACs in constant time, the timestamp
 * tolerance and the replay guard.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { InvalidOptionError } from '../../core/errors.js';
import { defineOptions, opt } from '../../core/options.js';
import {
  PayloadInvalidError,
  ReplayedError,
  SignatureMissingError,
  TimestampOutOfRangeError,
} from './event-errors.js';

/** Request headers as a framework gives them: fetch `Headers`, or Node's `req.headers`. */
export type InboundHeaders = Headers | Readonly<Record<string, string | readonly string[] | undefined>>;

/** A request body exactly as received (a string or the raw bytes): signatures cover these bytes. */
export type RawBody = string | Uint8Array;

/**
 * Remembers which signed requests were already accepted, so a replayed request is refused even inside
 * the timestamp tolerance. `claim` is called only after the signature verified.
 */
export interface ReplayGuard {
  /**
   * Records `key` for `ttlMs`. Resolves `true` when the key was new (accept the request), `false` when
   * it was already held (a replay). For several app servers, back it with a shared store (Redis
   * `SET key 1 PX ttlMs NX`, see docs/notify.md).
   */
  claim(key: string, ttlMs: number): boolean | Promise<boolean>;
}

/** The in-process {@link ReplayGuard}. */
export interface MemoryReplayGuard extends ReplayGuard {
  readonly kind: 'memory';
  /**
   * Forgets `key`, so the sender's next retry of it is accepted: call it when your handler failed
   * after the request was verified.
   */
  release(key: string): void;
  /** Keys held now (expired ones are dropped lazily). */
  size(): number;
}

/** Options of {@link createMemoryReplayGuard}. */
export interface MemoryReplayGuardOptions {
  /** Keys held at most; when full, expired keys go first, then the oldest. Default 100 000. */
  readonly maxEntries?: number;
  /** Time source for expiry. Default the system clock. */
  readonly clock?: Clock;
}

const parseGuardOptions = defineOptions('createMemoryReplayGuard', {
  maxEntries: opt.integer({ default: 100_000, max: 10_000_000 }),
  clock: opt.clock(),
});

/**
 * Creates an in-process replay guard (one app server; behind several, use a shared store).
 *
 * @example
 * ```ts
 * import { createMemoryReplayGuard } from 'backend-patterns/notify/webhook';
 * const replayGuard = createMemoryReplayGuard({ maxEntries: 50_000 });
 * ```
 */
export function createMemoryReplayGuard(options: MemoryReplayGuardOptions = {}): MemoryReplayGuard {
  const { maxEntries, clock } = parseGuardOptions(options);
  const held = new Map<string, number>();
  const sweep = (nowMs: number) => {
    for (const [key, expiresAtMs] of held) if (expiresAtMs <= nowMs) held.delete(key);
  };
  return {
    kind: 'memory',
    claim(key, ttlMs) {
      const nowMs = clock.now();
      const expiresAtMs = held.get(key);
      if (expiresAtMs !== undefined && expiresAtMs > nowMs) return false;
      held.delete(key);
      if (held.size >= maxEntries) sweep(nowMs);
      // Still full: drop the oldest key. Under a flood this reopens a replay window for it, which the
      // timestamp tolerance still bounds; size maxEntries to the traffic of one tolerance window.
      if (held.size >= maxEntries) held.delete(held.keys().next().value as string);
      held.set(key, nowMs + ttlMs);
      return true;
    },
    release: (key) => {
      held.delete(key);
    },
    size() {
      sweep(clock.now());
      return held.size;
    },
  };
}

/** Checks the `replayGuard` option of a verifier. */
export function replayGuardOption() {
  return opt.port<ReplayGuard>(['claim']);
}

/** The value of header `name` (any case); repeated values are joined with `, ` as Node does. */
export function headerOf(headers: InboundHeaders, name: string): string | undefined {
  // A record of header values holds strings, never a function: a `get` method means fetch `Headers`.
  if (typeof (headers as Headers).get === 'function') return (headers as Headers).get(name) ?? undefined;
  const wanted = name.toLowerCase();
  for (const [key, value] of Object.entries(headers as Record<string, unknown>)) {
    if (key.toLowerCase() !== wanted || value === undefined) continue;
    if (typeof value === 'string') return value;
    if (Array.isArray(value)) return value.join(', ');
  }
  return undefined;
}

/** The header, or a {@link SignatureMissingError} naming it. */
export function requireHeader(headers: InboundHeaders, name: string, what: string): string {
  const value = headerOf(headers, name);
  if (value === undefined || value.length === 0) {
    throw new SignatureMissingError(`${what}: the \`${name}\` header is missing (unsigned request)`);
  }
  return value;
}

/** The body as bytes, refused when larger than `maxBytes`. */
export function bodyBytes(body: unknown, maxBytes: number, what: string): Buffer {
  let bytes: Buffer;
  if (typeof body === 'string') bytes = Buffer.from(body, 'utf8');
  else if (body instanceof Uint8Array) bytes = Buffer.from(body.buffer, body.byteOffset, body.byteLength);
  else throw new PayloadInvalidError(`${what}: the body must be the raw request body (a string or bytes)`);
  if (bytes.byteLength > maxBytes) {
    throw new PayloadInvalidError(`${what}: the body is larger than ${maxBytes} bytes`);
  }
  return bytes;
}

/** Constant-time equality of two MACs (false, without comparing, when the lengths differ). */
export function sameMac(expected: Uint8Array, given: Uint8Array): boolean {
  return expected.byteLength === given.byteLength && timingSafeEqual(expected, given);
}

/** Refuses a signed timestamp further than `toleranceMs` from the clock, in either direction. */
export function checkTimestamp(what: string, timestampMs: number, toleranceMs: number, clock: Clock): void {
  const driftMs = clock.now() - timestampMs;
  if (Math.abs(driftMs) > toleranceMs) {
    const side = driftMs > 0 ? 'older than' : 'further in the future than';
    throw new TimestampOutOfRangeError(
      `${what}: the signed timestamp is ${side} the tolerance of ${toleranceMs / 1000} s`,
      timestampMs,
    );
  }
}

/** Claims `key` in the guard (when there is one), refusing a key already held. */
export async function claimOnce(
  what: string,
  guard: ReplayGuard | undefined,
  key: string,
  ttlMs: number,
): Promise<void> {
  if (guard === undefined) return;
  if (!(await guard.claim(key, ttlMs))) {
    throw new ReplayedError(`${what}: this request was already accepted (replay or retry)`, key);
  }
}

/** A short digest of `parts`, for replay keys that must not hold the body itself. */
export function digestKey(prefix: string, ...parts: Uint8Array[]): string {
  const hash = createHash('sha256');
  for (const part of parts) hash.update(part);
  return `${prefix}:${hash.digest('base64url')}`;
}

/** The tolerance option of a verifier: seconds, 1..86 400, default 300 (the Standard Webhooks value). */
export function toleranceOption() {
  return opt.integer({ default: 300, min: 1, max: 86_400 });
}

/** The body limit of a verifier: default 1 MiB. */
export function maxBodyOption() {
  return opt.integer({ default: 1_048_576, min: 1, max: 64 * 1_048_576 });
}

/** Parses a header of decimal seconds, or returns undefined. */
export function secondsHeader(value: string): number | undefined {
  if (!/^[0-9]{1,12}$/.test(value)) return undefined;
  return Number(value) * 1000;
}

/** Throws when neither or both of two exclusive options are set. */
export function exactlyOne(owner: string, a: [string, unknown], b: [string, unknown]): void {
  if ((a[1] === undefined) === (b[1] === undefined)) {
    throw new InvalidOptionError(`${owner}: give exactly one of \`${a[0]}\` and \`${b[0]}\``);
  }
}
