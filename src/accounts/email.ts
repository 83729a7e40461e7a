/**
 * The one email normalisation of the accounts module, used by signup, login, reset and every throttling
 * key, so variants of one address (case, fullwidth forms, a Unicode or punycode domain) reach one account
 * and one throttle.
 */
import { domainToASCII, domainToUnicode } from 'node:url';
import { InvalidArgumentError } from '../core/errors.js';
import { InvalidEmailError, type InvalidEmailReason } from './errors.js';
import { isMixedScript } from './mixed-script.js';

/**
 * What happens to the local part (before the `@`): `'lowercase'` (the default: most providers treat it
 * case-insensitively, and one person must not get two accounts from `Ada@` and `ada@`), `'preserve'`
 * (RFC 5321 strict: the local part is case-sensitive), or a function of the checked local part (e.g.
 * removing `+tags` for one provider); its result is checked again like the input.
 */
export type EmailLocalPartPolicy = 'lowercase' | 'preserve' | ((local: string) => string);

/** Options of {@link normalizeEmail}. */
export interface NormalizeEmailOptions {
  /** Default `'lowercase'`. */
  readonly localPart?: EmailLocalPartPolicy;
}

/** Longest input looked at, in UTF-16 units, checked before anything else (a 10 KB email costs nothing). */
export const MAX_EMAIL_INPUT_LENGTH = 1024;
/** RFC 5321 limits, in UTF-8 octets of the normalised form. */
const MAX_LOCAL_BYTES = 64;
const MAX_DOMAIN_BYTES = 253;
const MAX_LABEL_BYTES = 63;
const MAX_ADDRESS_BYTES = 254;

const LONE_SURROGATE = /\p{Cs}/u;
/** C0/C1 controls but tab (trimmed at the ends, a syntax error inside), format characters (bidi
 * overrides, zero-width joiners, soft hyphen, BOM) and the line and paragraph separators. */
const CONTROL = /[\p{Cf}\p{Zl}\p{Zp}]|(?!\t)\p{Cc}/u;
const EDGE_BLANKS = /^[ \t]+|[ \t]+$/g;
/** dot-atom (RFC 5322 3.2.3) with RFC 6532 letters, marks and digits of any script as atext. */
const DOT_ATOM = /^[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+(?:\.[\p{L}\p{M}\p{N}!#$%&'*+/=?^_`{|}~-]+)*$/u;
/** What a domain may hold before IDNA: letters, marks and digits of any script, hyphens and dots. */
const DOMAIN_CHARS = /^[\p{L}\p{M}\p{N}.-]+$/u;
/** A last label that WHATWG host parsing would read as an IPv4 number (`1.2.3.4`, `0x7f.1`). */
const NUMERIC_LABEL = /^(?:[0-9]+|0x[0-9a-f]*)$/;
const LDH_LABEL = /^[a-z0-9](?:[a-z0-9-]*[a-z0-9])?$/;

const bytes = (value: string) => Buffer.byteLength(value, 'utf8');
const refuse = (reason: InvalidEmailReason, message: string) => new InvalidEmailError(reason, message);

function localPartPolicy(options: unknown): (local: string) => string {
  if (options === undefined) return (local) => local.toLowerCase();
  if (
    typeof options !== 'object' ||
    options === null ||
    Object.keys(options).some((k) => k !== 'localPart')
  ) {
    throw new InvalidArgumentError("`options` must be { localPart?: 'lowercase' | 'preserve' | function }");
  }
  const policy = (options as NormalizeEmailOptions).localPart ?? 'lowercase';
  if (policy === 'lowercase') return (local) => local.toLowerCase();
  if (policy === 'preserve') return (local) => local;
  if (typeof policy !== 'function') {
    throw new InvalidArgumentError("`options.localPart` must be 'lowercase', 'preserve' or a function");
  }
  return (local) => {
    const out: unknown = policy(local);
    if (typeof out !== 'string') throw new InvalidArgumentError('`options.localPart` must return a string');
    return out;
  };
}

function checkLocal(local: string): void {
  if (local === '') throw refuse('syntax', 'the email has no local part before the @');
  if (bytes(local) > MAX_LOCAL_BYTES) {
    throw refuse('too-long', `the local part of the email is longer than ${MAX_LOCAL_BYTES} bytes`);
  }
  if (!DOT_ATOM.test(local)) {
    throw refuse('syntax', 'the local part of the email holds a character or dot that is not allowed');
  }
}

function normalizeLocal(raw: string, policy: (local: string) => string): string {
  checkLocal(raw);
  const local = policy(raw);
  if (local !== raw) checkLocal(local);
  if (isMixedScript(local)) throw refuse('mixed-script', 'the local part of the email mixes scripts');
  return local;
}

/** Lower-cases, drops one trailing dot and refuses what IDNA would read otherwise (`%`, IP literals). */
function prepareDomain(raw: string): string {
  let domain = raw.replaceAll('\u3002', '.').toLowerCase(); // the ideographic full stop separates labels too
  if (domain.endsWith('.')) domain = domain.slice(0, -1);
  if (domain === '') throw refuse('domain', 'the email has no domain after the @');
  if (domain.startsWith('[')) throw refuse('domain', 'IP-literal email domains are not accepted');
  if (!DOMAIN_CHARS.test(domain))
    throw refuse('domain', 'the email domain holds a character that is not allowed');
  const labels = domain.split('.');
  if (labels.length < 2 || labels.includes('')) {
    throw refuse('domain', 'the email domain needs at least two non-empty labels');
  }
  if (NUMERIC_LABEL.test(labels.at(-1) ?? '')) {
    throw refuse('domain', 'IP-address email domains are not accepted');
  }
  return domain;
}

function checkAsciiDomain(ascii: string): void {
  if (bytes(ascii) > MAX_DOMAIN_BYTES) {
    throw refuse('too-long', `the email domain is longer than ${MAX_DOMAIN_BYTES} bytes`);
  }
  const labels = ascii.split('.');
  if (labels.some((label) => label.length > MAX_LABEL_BYTES)) {
    throw refuse('too-long', `a label of the email domain is longer than ${MAX_LABEL_BYTES} bytes`);
  }
  if (labels.length < 2 || !labels.every((label) => LDH_LABEL.test(label))) {
    throw refuse('domain', 'the email domain is not a valid host name');
  }
  if (NUMERIC_LABEL.test(labels.at(-1) ?? ''))
    throw refuse('domain', 'IP-address email domains are not accepted');
}

/** The domain in its one stored form: lower-case ASCII, IDN labels in punycode (`xn--bcher-kva.de`). */
function normalizeDomain(raw: string): string {
  const domain = prepareDomain(raw);
  const ascii = domainToASCII(domain);
  if (ascii === '') throw refuse('domain', 'the email domain is not a valid internationalised domain name');
  checkAsciiDomain(ascii);
  if (domainToUnicode(ascii).split('.').some(isMixedScript)) {
    throw refuse('mixed-script', 'a label of the email domain mixes scripts');
  }
  return ascii;
}

/** Type, raw length, surrogates and controls: the checks that run before any normalisation. */
function checkRaw(input: unknown): string {
  if (typeof input !== 'string') throw refuse('not-a-string', 'the email must be a string');
  if (input.length > MAX_EMAIL_INPUT_LENGTH) {
    throw refuse('too-long', `the email is longer than ${MAX_EMAIL_INPUT_LENGTH} characters`);
  }
  if (LONE_SURROGATE.test(input)) throw refuse('syntax', 'the email is not well-formed text');
  if (CONTROL.test(input))
    throw refuse('control-character', 'the email holds a control or invisible character');
  return input;
}

/**
 * Normalises an email address the one way the accounts module does everywhere (signup, login, reset,
 * throttling): the result is the directory's unique key and, as is, the throttling key (no separate
 * key function). In order:
 *
 * 1. not a string: `not-a-string`; over {@link MAX_EMAIL_INPUT_LENGTH} UTF-16 units: `too-long`, before
 *    any other work;
 * 2. a lone surrogate: `syntax`; CR, LF, NUL or any other C0/C1 control but tab, a format character
 *    (bidi overrides such as U+202E, zero-width characters) or U+2028/U+2029 anywhere:
 *    `control-character` (never trimmed into validity);
 * 3. NFKC (fullwidth `ａｄａ＠ｅｘａｍｐｌｅ．ｃｏｍ`, mathematical letters and ligatures fold to ASCII), then
 *    spaces and tabs trimmed at both ends;
 * 4. exactly one `@` (no quoted local parts, no comments): else `syntax`;
 * 5. local part: a dot-atom (RFC 5322 atext, letters, marks and digits of any script per RFC 6532; no
 *    leading, trailing or double dot), 1..64 UTF-8 bytes (`too-long`), then the `localPart` policy
 *    (default lower-case), whose result is checked again;
 * 6. domain: lower-cased, one trailing dot dropped, IP literals and IPv4-like names refused (`domain`),
 *    IDNA via `url.domainToASCII` to one ASCII form (so `bücher.de` and `xn--bcher-kva.de` are one
 *    account), labels 1..63 and at most 253 bytes (`too-long`), at least two labels;
 * 7. a local part or domain label mixing scripts (Latin with Cyrillic or Greek, ...): `mixed-script`
 *    (whole-script confusables cannot be folded safely, so they are refused rather than merged);
 * 8. the whole address at most 254 bytes (`too-long`).
 *
 * Bad `options` are an `InvalidArgumentError`; a refused address is an {@link InvalidEmailError} whose
 * message never echoes the input.
 *
 * Not the notifier's `normalizeEmail(field, value)` of `backend-patterns/notify`, which only checks a
 * recipient and keeps its local part as given.
 *
 * @example
 * ```ts
 * import { normalizeEmail } from 'backend-patterns/accounts';
 * normalizeEmail(' Ada@Bücher.DE '); // 'ada@xn--bcher-kva.de'
 * normalizeEmail('Ada@example.com', { localPart: 'preserve' }); // 'Ada@example.com'
 * ```
 */
export function normalizeEmail(input: unknown, options?: NormalizeEmailOptions): string {
  const policy = localPartPolicy(options);
  const value = checkRaw(input).normalize('NFKC').replace(EDGE_BLANKS, '');
  const at = value.indexOf('@');
  if (at !== value.lastIndexOf('@') || at < 0) {
    throw refuse('syntax', 'the email must hold exactly one @');
  }
  const local = normalizeLocal(value.slice(0, at), policy);
  const address = `${local}@${normalizeDomain(value.slice(at + 1))}`;
  if (bytes(address) > MAX_ADDRESS_BYTES) {
    throw refuse('too-long', `the email is longer than ${MAX_ADDRESS_BYTES} bytes`);
  }
  return address;
}
