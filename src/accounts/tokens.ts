/**
 * One-time tokens: 32 random bytes as 43 base64url characters. Only their SHA-256 reaches a store, so a
 * dump of the store holds nothing that opens an account. A string of any other shape is refused before
 * it is hashed or looked up.
 */
import { createHash, randomBytes } from 'node:crypto';
import { AccountTokenInvalidError } from './errors.js';

/** Random bytes per token (256 bits; OWASP asks for at least 128). */
export const TOKEN_BYTES = 32;
const TOKEN_PATTERN = /^[A-Za-z0-9_-]{43}$/;

/** A fresh token and the hash the store keeps. */
export interface MintedToken {
  readonly token: string;
  readonly tokenHash: string;
}

/** SHA-256 of a token, lower-case hex. */
export function hashToken(token: string): string {
  return createHash('sha256').update(token, 'utf8').digest('hex');
}

/** Makes a token from the CSPRNG. */
export function mintToken(): MintedToken {
  const token = randomBytes(TOKEN_BYTES).toString('base64url');
  return { token, tokenHash: hashToken(token) };
}

/** The hash of `token` when it has the shape of one; `AccountTokenInvalidError('malformed')` otherwise. */
export function tokenHashOf(token: unknown): string {
  if (typeof token !== 'string' || !TOKEN_PATTERN.test(token))
    throw new AccountTokenInvalidError('malformed');
  return hashToken(token);
}

/** `base` with `token` appended as the `token` query parameter (the base is configuration, never a Host header). */
export function linkWithToken(base: string, token: string): string {
  const url = new URL(base);
  url.searchParams.set('token', token);
  return url.toString();
}
