/**
 * Input checks of the send path, all run before anything is rendered or sent: header values (CR/LF
 * injection), email addresses (a practical RFC 5321/5322 subset with IDN domains), E.164 numbers,
 * webhook URLs, and the template data (size measured without serialising, plain values only, no keys
 * that could reach a prototype).
 */
import { domainToASCII } from 'node:url';
import {
  DataTooLargeError,
  HeaderInjectionError,
  InvalidDataError,
  InvalidRecipientError,
} from './errors.js';

/** `String.prototype.isWellFormed` (ES2024, in every supported Node; the TS lib here is ES2023). */
const wellFormed = (value: string) => (value as string & { isWellFormed(): boolean }).isWellFormed();

/**
 * CR, LF, NUL and the other C0 controls (tab is allowed: it is folding white space), DEL, NEL and the
 * unicode line and paragraph separators: none belongs in a header line. The one such check of the
 * module: the notifier runs it on input, the provider adapters again before anything leaves the process.
 * A loop, not a regex: the lint refuses control characters in regular expressions.
 */
export function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if ((c < 0x20 && c !== 0x09) || c === 0x7f || c === 0x85 || c === 0x2028 || c === 0x2029) return true;
  }
  return false;
}

/** Throws `HeaderInjectionError` when `value` could break out of its header line. */
export function checkHeaderValue(field: string, value: string): string {
  if (hasControl(value)) throw new HeaderInjectionError(field);
  return value;
}

/** dot-atom local part (RFC 5322 3.2.3), ASCII: what every SMTP server accepts without SMTPUTF8. */
const LOCAL_PART = /^[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[A-Za-z0-9!#$%&'*+/=?^_`{|}~-]+)*$/;
const LABEL = /^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/**
 * Checks an email address and returns it with its domain in lower-case ASCII (an IDN domain such as
 * `bücher.de` becomes `xn--bcher-kva.de`). Quoted local parts, IP literals and comments are refused: a
 * practical subset that providers accept. CR/LF is a `HeaderInjectionError`, anything else malformed an
 * `InvalidRecipientError`.
 */
export function normalizeEmail(field: string, value: unknown): string {
  if (typeof value !== 'string') throw new InvalidRecipientError(field, `\`${field}\` must be a string`);
  checkHeaderValue(field, value);
  const at = value.lastIndexOf('@');
  const local = value.slice(0, at);
  const bad = (why: string) =>
    new InvalidRecipientError(field, `\`${field}\` is not a valid email address: ${why}`);
  if (value.length > 254 || at < 1)
    throw bad(at < 1 ? 'no local part or no @' : 'longer than 254 characters');
  if (local.length > 64 || !LOCAL_PART.test(local)) throw bad('malformed local part');
  const domain = domainToASCII(value.slice(at + 1));
  if (domain === '' || domain.length > 253) throw bad('malformed domain');
  const labels = domain.split('.');
  if (labels.length < 2 || !labels.every((l) => LABEL.test(l)) || /^\d+$/.test(labels.at(-1) ?? '')) {
    throw bad('malformed domain');
  }
  return `${local}@${domain}`;
}

/** Checks a display name: unicode is fine (the adapter encodes it), CR/LF and controls are not. */
export function checkDisplayName(field: string, value: unknown): string {
  if (typeof value !== 'string' || value.length > 256) {
    throw new InvalidRecipientError(field, `\`${field}\` must be a string of at most 256 characters`);
  }
  checkHeaderValue(field, value);
  if (!wellFormed(value)) throw new InvalidRecipientError(field, `\`${field}\` holds a lone surrogate`);
  return value;
}

const E164 = /^\+[1-9][0-9]{1,14}$/;

/** Checks an E.164 number: `+`, a non-zero digit, at most 15 digits in all. */
export function checkPhone(field: string, value: unknown): string {
  if (typeof value !== 'string' || !E164.test(value)) {
    if (typeof value === 'string') checkHeaderValue(field, value);
    throw new InvalidRecipientError(field, `\`${field}\` must be an E.164 number such as +14155550100`);
  }
  return value;
}

const LOOPBACK = new Set(['localhost', '127.0.0.1', '[::1]']);

/** Checks a webhook URL: https, or http to loopback when `allowLoopbackHttp`; no credentials. */
export function checkWebhookUrl(field: string, value: unknown, allowLoopbackHttp: boolean): string {
  const bad = (why: string) => new InvalidRecipientError(field, `\`${field}\` ${why}`);
  if (typeof value !== 'string' || value.length > 2048) throw bad('must be a URL of at most 2048 characters');
  checkHeaderValue(field, value);
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    throw bad('is not a URL');
  }
  if (url.username !== '' || url.password !== '') throw bad('must not carry credentials');
  if (url.protocol === 'https:') return url.href;
  if (url.protocol === 'http:' && allowLoopbackHttp && LOOPBACK.has(url.hostname)) return url.href;
  throw bad(allowLoopbackHttp ? 'must be https (or http to loopback)' : 'must be https');
}

/** Keys refused in data: assigning them could reach an object's prototype. */
const FORBIDDEN_KEYS = new Set(['__proto__', 'constructor', 'prototype']);
const MAX_DEPTH = 32;

/** Copies data while measuring it; throws at the first byte past `maxBytes`, so a huge object costs little. */
class DataCopier {
  private bytes = 0;
  private readonly seen = new Set<object>();
  constructor(private readonly maxBytes: number) {}

  private charge(n: number): void {
    this.bytes += n;
    if (this.bytes > this.maxBytes) throw new DataTooLargeError(this.maxBytes);
  }

  private string(value: string): string {
    // A cheap bound first: a string longer than the budget in UTF-16 units is too large in UTF-8 too.
    this.charge(value.length > this.maxBytes ? value.length : Buffer.byteLength(value) + 2);
    if (!wellFormed(value)) throw new InvalidDataError('`data` holds a string with a lone surrogate');
    return value;
  }

  copy(value: unknown, path: string, depth: number): unknown {
    if (value === null || typeof value === 'boolean') {
      this.charge(5);
      return value;
    }
    if (typeof value === 'string') return this.string(value);
    if (typeof value === 'number') {
      if (!Number.isFinite(value)) throw new InvalidDataError(`\`${path}\` is not a finite number`);
      this.charge(24);
      return value;
    }
    if (typeof value !== 'object')
      throw new InvalidDataError(`\`${path}\` is a ${typeof value}, not plain data`);
    if (depth >= MAX_DEPTH) throw new InvalidDataError(`\`data\` is nested deeper than ${MAX_DEPTH} levels`);
    if (this.seen.has(value)) throw new InvalidDataError(`\`${path}\` is a cycle`);
    this.seen.add(value);
    const out = Array.isArray(value) ? this.array(value, path, depth) : this.object(value, path, depth);
    this.seen.delete(value);
    return out;
  }

  private array(value: readonly unknown[], path: string, depth: number): unknown[] {
    this.charge(2 + value.length);
    const out: unknown[] = [];
    for (let i = 0; i < value.length; i++) out.push(this.copy(value[i], `${path}[${i}]`, depth + 1));
    return out;
  }

  private object(value: object, path: string, depth: number): Record<string, unknown> {
    const proto = Object.getPrototypeOf(value);
    if (proto !== Object.prototype && proto !== null) {
      throw new InvalidDataError(`\`${path}\` is not a plain object (a class instance, a Date, a Map...)`);
    }
    this.charge(2);
    const out: Record<string, unknown> = {};
    for (const key of Object.keys(value)) {
      if (FORBIDDEN_KEYS.has(key)) throw new InvalidDataError(`\`${path}\` has the forbidden key \`${key}\``);
      const item = (value as Record<string, unknown>)[key];
      if (item === undefined) continue;
      this.charge(Buffer.byteLength(key) + 3);
      out[key] = this.copy(item, `${path}.${key}`, depth + 1);
    }
    return out;
  }
}

/**
 * Checks the data of a send and returns a plain copy (what templates and jobs see). Refuses, with a
 * typed error: more than `maxBytes` (about its JSON size), functions, symbols, bigints, non-finite
 * numbers, class instances, cycles, nesting past 32 levels, and the keys `__proto__`, `constructor`
 * and `prototype`.
 */
export function checkData(data: unknown, maxBytes: number): Record<string, unknown> {
  if (data === undefined) return {};
  if (typeof data !== 'object' || data === null || Array.isArray(data)) {
    throw new InvalidDataError('`data` must be a plain object');
  }
  return new DataCopier(maxBytes).copy(data, 'data', 0) as Record<string, unknown>;
}
