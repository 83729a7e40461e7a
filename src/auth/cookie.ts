/**
 * The session cookie: `__Host-` prefix (Secure, Path=/, no Domain, so no subdomain can set or read it),
 * HttpOnly (no script access), SameSite=Lax (not sent on cross-site subrequests).
 */
import { InvalidArgumentError } from '../core/errors.js';

/** Options of {@link sessionCookie}. */
export interface SessionCookieOptions {
  /** Name after the `__Host-` prefix. Default `session`. */
  readonly name?: string;
  /** `Max-Age` in ms; default none (a browser-session cookie; the server enforces the real timeouts). */
  readonly maxAgeMs?: number;
}

const NAME = /^[A-Za-z0-9_-]{1,64}$/;
const VALUE = /^[A-Za-z0-9_-]{1,256}$/;

const cookieName = (name = 'session') => {
  if (!NAME.test(name)) throw new InvalidArgumentError('cookie `name` must be 1..64 of [A-Za-z0-9_-]');
  return `__Host-${name}`;
};

/**
 * A `Set-Cookie` value carrying a session token.
 *
 * @example
 * ```ts
 * res.setHeader('Set-Cookie', sessionCookie(token)); // __Host-session=…; Path=/; Secure; HttpOnly; SameSite=Lax
 * ```
 */
export function sessionCookie(token: string, options: SessionCookieOptions = {}): string {
  if (typeof token !== 'string' || !VALUE.test(token)) {
    throw new InvalidArgumentError('session token must be 1..256 of [A-Za-z0-9_-]');
  }
  const maxAge =
    options.maxAgeMs === undefined ? '' : `; Max-Age=${Math.max(0, Math.floor(options.maxAgeMs / 1000))}`;
  return `${cookieName(options.name)}=${token}; Path=/; Secure; HttpOnly; SameSite=Lax${maxAge}`;
}

/**
 * A `Set-Cookie` value that deletes the session cookie (logout).
 *
 * @example
 * ```ts
 * res.setHeader('Set-Cookie', clearSessionCookie());
 * ```
 */
export function clearSessionCookie(options: Pick<SessionCookieOptions, 'name'> = {}): string {
  return `${cookieName(options.name)}=; Path=/; Secure; HttpOnly; SameSite=Lax; Max-Age=0`;
}

/**
 * Reads the session token from a `Cookie` request header; undefined when absent or malformed.
 *
 * @example
 * ```ts
 * const token = readSessionCookie(req.headers.cookie);
 * ```
 */
export function readSessionCookie(
  header: string | undefined,
  options: Pick<SessionCookieOptions, 'name'> = {},
): string | undefined {
  if (typeof header !== 'string' || header.length > 16_384) return undefined;
  const wanted = cookieName(options.name);
  for (const part of header.split(';')) {
    const eq = part.indexOf('=');
    if (eq < 0 || part.slice(0, eq).trim() !== wanted) continue;
    const value = part.slice(eq + 1).trim();
    return VALUE.test(value) ? value : undefined;
  }
  return undefined;
}
