/**
 * Argument checks shared by every QuotaStore adapter, so memory and Redis refuse exactly the same inputs
 * with the same `InvalidArgumentError` (`ERR_INVALID_ARGUMENT`) before anything changes.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { hasLoneSurrogate } from '../core/unicode.js';
import { argument } from '../core/validate.js';
import type { ReserveInput } from './types.js';

/** Longest owner, in UTF-8 bytes. */
export const MAX_OWNER_BYTES = 512;
/** Longest reservation state, in UTF-8 bytes (64 KiB). */
export const MAX_STATE_BYTES = 64 * 1024;
/** Longest reservation lifetime: 366 days, ms. */
export const MAX_RESERVATION_TTL_MS = 366 * 24 * 3600 * 1000;
/** Most reservations one `sweepExpired` call drops. */
export const MAX_SWEEP_LIMIT = 10_000;
/**
 * An upload id: 1..128 of [A-Za-z0-9._~-] (base64url, UUIDs and ULIDs fit). No `:` or spaces, so an id
 * never needs escaping in a key, a member or a log line.
 */
export const UPLOAD_ID_PATTERN = /^[A-Za-z0-9._~-]{1,128}$/;

function wellFormedText(name: string, value: unknown, maxBytes: number, allowEmpty: boolean): string {
  if (typeof value !== 'string' || (!allowEmpty && value.length === 0)) {
    throw new InvalidArgumentError(`\`${name}\` must be a ${allowEmpty ? '' : 'non-empty '}string`);
  }
  // A lone surrogate cannot be encoded as UTF-8: Redis would store U+FFFD and answer a different string.
  if (hasLoneSurrogate(value)) {
    throw new InvalidArgumentError(`\`${name}\` must be well-formed Unicode (no lone surrogates)`);
  }
  // Cheap bound first: a UTF-16 unit is at most 3 UTF-8 bytes, a unit count above the byte limit is too long.
  if (value.length > maxBytes || Buffer.byteLength(value, 'utf8') > maxBytes) {
    throw new InvalidArgumentError(`\`${name}\` is longer than ${maxBytes} bytes (UTF-8)`);
  }
  return value;
}

/** Checks an owner: a non-empty, well-formed string of at most 512 UTF-8 bytes. */
export function checkOwner(owner: unknown): string {
  return wellFormedText('owner', owner, MAX_OWNER_BYTES, false);
}

/** Checks an upload id against {@link UPLOAD_ID_PATTERN}. */
export function checkUploadId(uploadId: unknown): string {
  if (typeof uploadId !== 'string' || !UPLOAD_ID_PATTERN.test(uploadId)) {
    throw new InvalidArgumentError('`uploadId` must be 1..128 characters of [A-Za-z0-9._~-]');
  }
  return uploadId;
}

/** Checks a settle's optional attempt id: undefined, or 1..128 characters of [A-Za-z0-9._~-]. */
export function checkAttemptId(attemptId: unknown): string | undefined {
  if (attemptId === undefined) return undefined;
  if (typeof attemptId !== 'string' || !UPLOAD_ID_PATTERN.test(attemptId)) {
    throw new InvalidArgumentError('`attemptId` must be 1..128 characters of [A-Za-z0-9._~-]');
  }
  return attemptId;
}

/** Checks an instant: a safe integer >= 0 (epoch ms). */
export function checkNow(nowMs: unknown): number {
  return argument.integer('nowMs', nowMs, 0);
}

/** Checks a byte count: a safe integer >= 0. */
export function checkBytes(name: string, bytes: unknown): number {
  return argument.integer(name, bytes, 0);
}

/** Checks a whole reserve input; returns it unchanged. */
export function checkReserve(input: ReserveInput): ReserveInput {
  if (typeof input !== 'object' || input === null)
    throw new InvalidArgumentError('`input` must be an object');
  checkOwner(input.owner);
  checkUploadId(input.uploadId);
  checkBytes('bytes', input.bytes);
  checkBytes('limitBytes', input.limitBytes);
  argument.integer('ttlMs', input.ttlMs, 1, MAX_RESERVATION_TTL_MS);
  const nowMs = checkNow(input.nowMs);
  if (!Number.isSafeInteger(nowMs + input.ttlMs)) {
    throw new InvalidArgumentError('`nowMs + ttlMs` must be a safe integer');
  }
  wellFormedText('state', input.state, MAX_STATE_BYTES, true);
  return input;
}

/** Checks the `limit` of `sweepExpired`: an integer in 1..10,000. */
export function checkSweepLimit(limit: unknown): number {
  return argument.integer('limit', limit, 1, MAX_SWEEP_LIMIT);
}

/** The refusal of a settle whose actual size exceeds the reservation: nothing is changed. */
export function settleTooLarge(actualBytes: number, reservedBytes: number): InvalidArgumentError {
  return new InvalidArgumentError(
    `\`actualBytes\` (${actualBytes}) exceeds the reservation (${reservedBytes} bytes)`,
  );
}
