/**
 * The one client-key helper: turns a peer address (`req.socket.remoteAddress`, or the hop your own proxy
 * reports) into a limiter key. IPv4 is keyed by its address; IPv6 by a prefix (default /64), because one
 * subscriber usually gets a whole /64 and can rotate through it at will. IPv4 written as IPv6 (mapped
 * `::ffff:a.b.c.d`, which a Node server listening on `::` reports for every IPv4 client; compatible
 * `::a.b.c.d`; NAT64 `64:ff9b::/96` when enabled) is keyed as the IPv4 address it carries, otherwise every
 * IPv4 client would share the single /64 `::ffff:0:0`. The login guard of `backend-patterns/auth` keys
 * its IP tier with this same function.
 */
import { isIPv4, isIPv6 } from 'node:net';
import { InvalidArgumentError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';

/** Options of {@link createClientKey}. */
export interface ClientKeyOptions {
  /**
   * IPv6 prefix length that forms one bucket. Default 64 (one subscriber's LAN). An attacker with a
   * routed /48 or /56 (common for business and many home ISPs) can rotate through 2^16 or 2^8 /64s;
   * use 56 or 48 to bucket them together, at the price of grouping more neighbours. 1..128.
   */
  readonly ipv6PrefixLength?: number;
  /**
   * Key addresses of the NAT64 well-known prefix `64:ff9b::/96` (RFC 6052) as the IPv4 address they
   * embed. Default false: enable it when your clients reach you through a NAT64 gateway (IPv6-only
   * mobile networks), where the gateway's IPv4 side is the real client.
   */
  readonly nat64?: boolean;
}

const parseOptions = defineOptions('createClientKey', {
  ipv6PrefixLength: opt.integer({ default: 64, min: 1, max: 128 }),
  nat64: opt.boolean({ default: false }),
});

/** Longer than any address with a zone id we accept: an over-long input is refused before parsing. */
const MAX_ADDRESS_CHARS = 100;
const ZONE = /^[A-Za-z0-9_.~-]{1,64}$/;
const BRACKETED = /^\[([^\]]+)\](?::(\d{1,5}))?$/;

const invalid = (why: string) => new InvalidArgumentError(`\`address\` ${why}`);

/** Removes `[...]` (and a `:port` after it) and a `%zone` (an interface of *this* host, not the peer). */
function unwrap(address: string): string {
  let host = address;
  if (host.startsWith('[')) {
    const match = BRACKETED.exec(host);
    if (!match?.[1]) throw invalid('has unbalanced brackets or a bad port');
    host = match[1];
    if (!host.includes(':')) throw invalid('in brackets must be IPv6');
  }
  const zoneAt = host.indexOf('%');
  if (zoneAt !== -1) {
    if (!ZONE.test(host.slice(zoneAt + 1))) throw invalid('has a bad zone id');
    host = host.slice(0, zoneAt);
  }
  return host;
}

/** The eight 16-bit groups of a valid IPv6 address (an embedded dotted quad becomes the last two). */
function groupsOf(ip: string): number[] {
  let text = ip;
  const lastColon = text.lastIndexOf(':');
  const tail = text.slice(lastColon + 1);
  if (tail.includes('.')) {
    const [a = 0, b = 0, c = 0, d = 0] = tail.split('.').map(Number);
    text = `${text.slice(0, lastColon + 1)}${((a << 8) | b).toString(16)}:${((c << 8) | d).toString(16)}`;
  }
  const [head = '', rest = ''] = text.split('::');
  const parse = (part: string) => (part === '' ? [] : part.split(':').map((g) => Number.parseInt(g, 16)));
  const before = parse(head);
  if (!text.includes('::')) return before;
  const after = parse(rest);
  return [...before, ...Array<number>(8 - before.length - after.length).fill(0), ...after];
}

const ipv4Of = (high: number, low: number) => `${high >> 8}.${high & 0xff}.${low >> 8}.${low & 0xff}`;

/** The IPv4 address an IPv6 address carries (mapped, compatible, NAT64 if enabled), or undefined. */
function embeddedIPv4(g: readonly number[], nat64: boolean): string | undefined {
  const [g0, g1, g2, g3, g4, g5, g6 = 0, g7 = 0] = g;
  const upper64Zero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0;
  if (upper64Zero && g4 === 0 && g5 === 0xffff) return ipv4Of(g6, g7);
  // IPv4-compatible; `::` and `::1` (unspecified, loopback) are IPv6 in their own right.
  if (upper64Zero && g4 === 0 && g5 === 0 && (g6 !== 0 || g7 > 1)) return ipv4Of(g6, g7);
  const wellKnownNat64 = g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0;
  return nat64 && wellKnownNat64 ? ipv4Of(g6, g7) : undefined;
}

/** `ip6:<groups of the prefix>::/<length>`; the /64 form is the one the login guard always used. */
function prefixKey(groups: readonly number[], length: number): string {
  const count = Math.ceil(length / 16);
  const kept = groups.slice(0, count).map((group, i) => {
    const bits = Math.min(16, length - i * 16);
    return (group & ((0xffff << (16 - bits)) & 0xffff)).toString(16);
  });
  return `ip6:${kept.join(':')}${count < 8 ? '::' : ''}/${length}`;
}

/** A client-key function: address in, limiter key out. See {@link createClientKey}. */
export type ClientKeyFunction = (address: string) => string;

/**
 * Builds a client-key function with its options parsed once. Keys: `ip:<a.b.c.d>` for IPv4 (and IPv4
 * carried in IPv6), `ip6:<prefix>::/<length>` for IPv6. Brackets (`[2001:db8::1]`, also with `:port`)
 * and zone ids (`fe80::1%eth0`) are dropped. Anything else (empty, not a string, garbage, a hostname,
 * IPv4 with a port, IPv4 octets with leading zeros such as `010.0.0.1`, which `inet_aton` reads as
 * octal and others as decimal, over 100 characters) throws `InvalidArgumentError`
 * (`ERR_INVALID_ARGUMENT`): there is no fallback key, so bad input can never land in a shared bucket.
 *
 * @example
 * ```ts
 * const keyOf = createClientKey({ ipv6PrefixLength: 56 });
 * const result = await limiter.limit(keyOf(req.socket.remoteAddress ?? ''));
 * ```
 */
export function createClientKey(options: ClientKeyOptions = {}): ClientKeyFunction {
  const { ipv6PrefixLength, nat64 } = parseOptions(options);
  return (address) => {
    if (typeof address !== 'string' || address.length === 0) throw invalid('must be a non-empty string');
    if (address.length > MAX_ADDRESS_CHARS) throw invalid(`is longer than ${MAX_ADDRESS_CHARS} characters`);
    const host = unwrap(address);
    // node:net refuses leading zeros in IPv4 octets, including a dotted quad inside IPv6.
    if (isIPv4(host)) return `ip:${host}`;
    if (!isIPv6(host)) throw invalid('is not an IP address');
    const groups = groupsOf(host);
    const v4 = embeddedIPv4(groups, nat64);
    return v4 === undefined ? prefixKey(groups, ipv6PrefixLength) : `ip:${v4}`;
  };
}

/**
 * The client key of `address` with the defaults (IPv6 by /64, NAT64 off). Same keys and errors as
 * {@link createClientKey}.
 *
 * @example
 * ```ts
 * const result = await limiter.limit(clientKey(req.socket.remoteAddress ?? ''));
 * ```
 */
export const clientKey: ClientKeyFunction = createClientKey();
