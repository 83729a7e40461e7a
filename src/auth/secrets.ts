/**
 * Random tokens, hashing at rest and constant-time comparison: the small primitives behind refresh
 * tokens, session ids and the login guard.
 */
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';

/** `bytes` random bytes from the CSPRNG, base64url without padding. */
export const randomToken = (bytes: number): string => randomBytes(bytes).toString('base64url');

/** SHA-256 of a UTF-8 string, base64url: how tokens and session ids are stored. */
export const sha256 = (value: string): string => createHash('sha256').update(value).digest('base64url');

/**
 * A fixed-length tag for a user id, used inside Redis hash tags and limiter keys, so ids with braces,
 * colons or personal data (emails) never appear in a key.
 */
export const userTag = (userId: string): string => sha256(`user\u0000${userId}`).slice(0, 22);

/**
 * Compares two secrets in constant time. Both sides are hashed first, so neither the content nor the
 * length of the expected value leaks through timing.
 *
 * @example
 * ```ts
 * if (!timingSafeEqualString(presentedApiKey, storedApiKey)) return unauthorized();
 * ```
 */
export function timingSafeEqualString(a: string, b: string): boolean {
  const left = createHash('sha256').update(a).digest();
  const right = createHash('sha256').update(b).digest();
  return timingSafeEqual(left, right);
}
