/**
 * The one check of a URL the library will call or link to: absolute, https (http only to loopback, for
 * tests and sidecars), no credentials, and, unless allowed, no query or fragment. Used through
 * `opt.custom((v, p, o) => parseHttpsUrl(v, p, o))`, so every module refuses the same URLs with the same
 * message.
 */
import { optionError } from './options.js';

const LOOPBACK = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** What else a URL may carry. */
export interface HttpsUrlRules {
  /** Allow a query string (a link base with parameters). Default false. */
  readonly query?: boolean;
  /** Longest accepted input, characters. Default 2048. */
  readonly maxLength?: number;
}

/** Parses `value` as such a URL, or throws the option error for `owner`/`path`. */
export function parseHttpsUrl(value: unknown, path: string, owner: string, rules: HttpsUrlRules = {}): URL {
  if (typeof value !== 'string' && !(value instanceof URL)) throw optionError(owner, path, 'an absolute URL');
  const text = String(value);
  if (text.length > (rules.maxLength ?? 2048)) throw optionError(owner, path, 'an absolute URL');
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw optionError(owner, path, 'an absolute URL');
  }
  if (url.protocol !== 'https:' && !(url.protocol === 'http:' && LOOPBACK.has(url.hostname))) {
    throw optionError(owner, path, 'an https URL (http only on loopback)');
  }
  const queryRefused = url.search !== '' && rules.query !== true;
  if (queryRefused || url.hash !== '' || url.username !== '' || url.password !== '') {
    throw optionError(owner, path, `a URL without ${rules.query ? '' : 'query, '}fragment or credentials`);
  }
  return url;
}
