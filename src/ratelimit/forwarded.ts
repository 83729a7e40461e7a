/**
 * One hop of a forwarding header, read strictly: `X-Forwarded-For` entries (`203.0.113.7`,
 * `203.0.113.7:4711`, `2001:db8::1`, `[2001:db8::1]`, `[2001:db8::1]:4711`) and RFC 7239 `Forwarded`
 * elements (`for=203.0.113.7;proto=https`, `for="[2001:db8::1]:4711"`). Anything else (`unknown`, an
 * obfuscated `_hidden`, a bad port, a zone id, control characters, several `for=`) is malformed and
 * yields undefined: the caller then keys the last address it verified, never a value it cannot read.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Longer than any address with brackets and a port; longer entries are malformed before any parsing. */
export const MAX_HOP_CHARS = 256;

const BRACKETED = /^\[([0-9A-Fa-f:.]+)\](?::(\d{1,5}))?$/;
const IPV4_PORT = /^([0-9.]{7,15}):(\d{1,5})$/;

const validPort = (digits: string | undefined) => digits === undefined || Number(digits) <= 65_535;

/** Strips optional whitespace (RFC 9110 OWS: SP and HTAB only), so CR, LF and NUL stay and are malformed. */
const OWS_EDGES = /^[ \t]+|[ \t]+$/g;
const trimOws = (text: string) => text.replace(OWS_EDGES, '');

/** The address of one X-Forwarded-For entry (OWS around it allowed), or undefined when malformed. */
export function parseForwardedFor(raw: string): string | undefined {
  const entry = trimOws(raw);
  if (entry.length === 0 || entry.length > MAX_HOP_CHARS) return undefined;
  if (isIPv4(entry) || isIPv6(entry)) return entry.includes('%') ? undefined : entry;
  const bracketed = BRACKETED.exec(entry);
  if (bracketed) {
    const [, address = '', port] = bracketed;
    return isIPv6(address) && validPort(port) ? address : undefined;
  }
  const withPort = IPV4_PORT.exec(entry);
  if (withPort) {
    const [, address = '', port] = withPort;
    return isIPv4(address) && validPort(port) ? address : undefined;
  }
  return undefined;
}

/** The `for=` value of one `Forwarded` element (quotes removed), or undefined when absent or repeated. */
function forParameter(element: string): string | undefined {
  let found: string | undefined;
  for (const pair of element.split(';')) {
    const equals = pair.indexOf('=');
    if (equals === -1) {
      if (trimOws(pair) === '') continue; // `for=x;` ends with an empty pair; harmless
      return undefined;
    }
    if (trimOws(pair.slice(0, equals)).toLowerCase() !== 'for') continue;
    if (found !== undefined) return undefined; // two `for=` in one element: ambiguous
    found = trimOws(pair.slice(equals + 1));
  }
  if (found === undefined) return undefined;
  if (found.startsWith('"')) {
    // A quoted-string; an address never needs escapes, so a backslash is malformed.
    if (found.length < 2 || !found.endsWith('"') || found.includes('\\')) return undefined;
    return found.slice(1, -1);
  }
  return found;
}

/** The address of one RFC 7239 `Forwarded` element, or undefined when malformed (`unknown`, `_obf`). */
export function parseForwardedElement(raw: string): string | undefined {
  if (raw.length > MAX_HOP_CHARS) return undefined;
  const value = forParameter(raw);
  return value === undefined ? undefined : parseForwardedFor(value);
}
