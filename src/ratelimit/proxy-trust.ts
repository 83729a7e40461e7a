/**
 * The trusted-proxy set of `createRequestKey`: IPs, CIDRs and named sets parsed once, at construction,
 * into a `node:net` BlockList, so a request only asks `has(address)`. BlockList matches an IPv4-mapped
 * IPv6 address (`::ffff:10.0.0.1`) against IPv4 rules, which is what a server listening on `::` reports.
 */
import { BlockList, isIPv4, isIPv6 } from 'node:net';
import { optionError } from '../core/options.js';

/** The named sets (Express's `trust proxy` names; `private` is Express's `uniquelocal`, kept as an alias). */
const NAMED_SETS: Readonly<Record<string, readonly string[]>> = {
  loopback: ['127.0.0.0/8', '::1/128'],
  private: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  uniquelocal: ['10.0.0.0/8', '172.16.0.0/12', '192.168.0.0/16', 'fc00::/7'],
  linklocal: ['169.254.0.0/16', 'fe80::/10'],
};

const PREFIX = /^\d{1,3}$/;
const EXPECTED =
  "an IP address, a CIDR (10.0.0.0/8, fc00::/7, prefix 1..32 or 1..128) or one of 'loopback', 'private', 'uniquelocal', 'linklocal'";

/** A set of trusted addresses; `has` is false for anything that is not a plain IP address. */
export interface ProxyTrust {
  readonly size: number;
  has(address: string): boolean;
}

function addEntry(list: BlockList, entry: string, path: string, owner: string): void {
  const slash = entry.indexOf('/');
  const address = slash === -1 ? entry : entry.slice(0, slash);
  // A zone id names an interface of this host; peers are matched without theirs, so it could never match.
  const type = isIPv4(address) ? 'ipv4' : isIPv6(address) && !address.includes('%') ? 'ipv6' : undefined;
  if (type === undefined) throw optionError(owner, path, EXPECTED);
  if (slash === -1) {
    list.addAddress(address, type);
    return;
  }
  const digits = entry.slice(slash + 1);
  const prefix = Number(digits);
  // /0 would trust every address, so any client could choose its own key by writing the header.
  if (!PREFIX.test(digits) || prefix < 1 || prefix > (type === 'ipv4' ? 32 : 128))
    throw optionError(owner, path, EXPECTED);
  list.addSubnet(address, prefix, type);
}

/** Parses `entries` (already known to be an array) into a {@link ProxyTrust}; throws InvalidOptionError. */
export function parseProxyTrust(entries: readonly unknown[], path: string, owner: string): ProxyTrust {
  const list = new BlockList();
  entries.forEach((entry, i) => {
    const where = `${path}[${i}]`;
    if (typeof entry !== 'string' || entry.length === 0 || entry.length > 64)
      throw optionError(owner, where, EXPECTED);
    const named = Object.hasOwn(NAMED_SETS, entry) ? NAMED_SETS[entry] : undefined;
    if (named) for (const cidr of named) addEntry(list, cidr, where, owner);
    else addEntry(list, entry, where, owner);
  });
  return {
    size: entries.length,
    has(address) {
      // BlockList.check wants a family; IPv6 always has a colon, IPv4 never does.
      if (address.includes(':')) return isIPv6(address) && list.check(address, 'ipv6');
      return isIPv4(address) && list.check(address, 'ipv4');
    },
  };
}
