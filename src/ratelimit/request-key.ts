/**
 * The request-key extractor: socket peer + request headers in, limiter key out, trusting a forwarding
 * header only as far as a chain of proxies you named vouches for it. Framework-free; the Express, Fastify
 * and Hono adapters call it with the socket peer, never with the framework's own `req.ip`.
 *
 * The walk: the socket peer is verified (the kernel saw it). If it is not a trusted proxy, it is the client
 * and the header is never read. Otherwise the header is read from the right (the entry the peer proxy
 * appended), one entry at a time: a trusted address moves the walk one hop left, the first untrusted one
 * is the client. A malformed entry, or `maxHops` trusted entries in a row, stops the walk at the last
 * address it verified (a trusted proxy): the key is never taken from a value no trusted hop vouched for,
 * so a client writing `X-Forwarded-For: 1.2.3.4` cannot choose its key. Final keying is `createClientKey`.
 */
import { defineOptions, opt, optionError } from '../core/options.js';
import { createClientKey } from './client-key.js';
import { parseForwardedElement, parseForwardedFor } from './forwarded.js';
import { parseProxyTrust } from './proxy-trust.js';

/** Request headers as Node gives them (lower-case names), or a Fetch `Headers` (Hono, undici, workers). */
export type RequestHeaders =
  | Readonly<Record<string, string | readonly string[] | undefined>>
  | { get(name: string): string | null };

/** Options of {@link createRequestKey}. */
export interface RequestKeyOptions {
  /**
   * Proxies whose forwarding header is believed: IPv4/IPv6 addresses, CIDRs (`10.0.0.0/8`, `fc00::/7`;
   * `/0` is refused) and the named sets `'loopback'` (127.0.0.0/8, ::1), `'private'` (10/8, 172.16/12,
   * 192.168/16, fc00::/7; alias `'uniquelocal'`) and `'linklocal'` (169.254/16, fe80::/10). Default none:
   * the header is ignored and the socket peer is the client. Parsed at construction.
   */
  readonly trustedProxies?: readonly string[];
  /**
   * The forwarding header to walk: `'x-forwarded-for'` (default), `'forwarded'` (RFC 7239, its `for=`
   * parameter) or another header in X-Forwarded-For syntax (`'x-real-ip'`). One header only: proxies
   * append to one, and mixing two lets a client fill the one your proxies do not write.
   */
  readonly header?: string;
  /** Entries read from the right before the walk stops at the last trusted one. Default 32, 1..1000. */
  readonly maxHops?: number;
  /** IPv6 prefix that forms one key, as {@link createClientKey}. Default 64. */
  readonly ipv6PrefixLength?: number;
  /** Key NAT64 `64:ff9b::/96` as IPv4, as {@link createClientKey}. Default false. */
  readonly nat64?: boolean;
}

/** Peer address and headers in, limiter key out. See {@link createRequestKey}. */
export type RequestKeyFunction = (peerAddress: string | undefined, headers?: RequestHeaders) => string;

const parseOptions = defineOptions('createRequestKey', {
  trustedProxies: opt.custom((value, path, owner) => {
    if (!Array.isArray(value) || value.length > 1000)
      throw optionError(owner, path, 'an array of 0..1000 addresses, CIDRs or set names', value);
    return parseProxyTrust(value, path, owner);
  }),
  header: opt.matching(/^[A-Za-z0-9-]{1,64}$/, 'a header name (1..64 of [A-Za-z0-9-])', {
    default: 'x-forwarded-for',
  }),
  maxHops: opt.integer({ default: 32, min: 1, max: 1000 }),
  ipv6PrefixLength: opt.integer({ default: 64, min: 1, max: 128 }),
  nat64: opt.boolean({ default: false }),
});

/** The header as one list: repeated lines are joined in arrival order (RFC 9110 5.3), as Node does. */
function headerValue(headers: RequestHeaders | undefined, name: string): string | undefined {
  if (typeof headers !== 'object' || headers === null) return undefined;
  const value =
    typeof headers.get === 'function' ? headers.get(name) : (headers as Record<string, unknown>)[name];
  if (typeof value === 'string') return value;
  if (!Array.isArray(value)) return undefined;
  // A non-string line is unreadable: '' makes the right-most entry malformed, so the peer is keyed.
  return value.every((line) => typeof line === 'string') ? value.join(',') : '';
}

/** A zone id (`fe80::1%eth0`) names an interface of this host; trust is decided on the address alone. */
const withoutZone = (address: string) => {
  const zoneAt = address.indexOf('%');
  return zoneAt === -1 ? address : address.slice(0, zoneAt);
};

/**
 * Builds a request-key function with its options (and trusted CIDRs) parsed once. Without
 * `trustedProxies` it keys the socket peer and never reads a header. With them, it walks the header from
 * the right as the module docs describe (docs/ratelimit.md, "HTTP middleware and client keys"). Keys are
 * those of {@link createClientKey}; a missing or invalid peer address throws `InvalidArgumentError`
 * (`ERR_INVALID_ARGUMENT`), and a bad option `InvalidOptionError` at construction.
 *
 * @example
 * ```ts
 * const keyOf = createRequestKey({ trustedProxies: ['loopback', '10.0.0.0/8'] });
 * const result = await limiter.limit(keyOf(req.socket.remoteAddress, req.headers));
 * ```
 */
export function createRequestKey(options: RequestKeyOptions = {}): RequestKeyFunction {
  const { trustedProxies, header, maxHops, ipv6PrefixLength, nat64 } = parseOptions(options);
  const keyOf = createClientKey({ ipv6PrefixLength, nat64 });
  if (trustedProxies === undefined || trustedProxies.size === 0) return (peer) => keyOf(peer as string);
  const name = header.toLowerCase();
  const parseHop = name === 'forwarded' ? parseForwardedElement : parseForwardedFor;
  const trusted = (address: string) => trustedProxies.has(withoutZone(address));

  return (peer, headers) => {
    if (typeof peer !== 'string' || !trusted(peer)) return keyOf(peer as string);
    const value = headerValue(headers, name);
    let verified = peer;
    if (value === undefined) return keyOf(verified);
    // Right to left with lastIndexOf: no split of a header a client may have made long.
    let end = value.length;
    for (let hop = 0; hop < maxHops; hop++) {
      const comma = end === 0 ? -1 : value.lastIndexOf(',', end - 1);
      const address = parseHop(value.slice(comma + 1, end));
      if (address === undefined) return keyOf(verified);
      if (!trusted(address)) return keyOf(address);
      verified = address;
      if (comma === -1) break;
      end = comma;
    }
    return keyOf(verified);
  };
}
