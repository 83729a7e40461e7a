import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientKey, createClientKey } from '../../src/ratelimit/index.js';

const invalid = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

describe('clientKey (one client-key helper for the RateLimiter and the login guard)', () => {
  it('keys IPv4-mapped and IPv4-compatible IPv6 addresses as their IPv4 address', () => {
    expect(clientKey('::ffff:198.51.100.1')).toBe('ip:198.51.100.1');
    expect(clientKey('::ffff:203.0.113.9')).toBe('ip:203.0.113.9');
    expect(clientKey('::FFFF:c633:6401')).toBe('ip:198.51.100.1'); // the hex spelling of the same
    expect(clientKey('0:0:0:0:0:ffff:198.51.100.1')).toBe('ip:198.51.100.1');
    expect(clientKey('::198.51.100.1')).toBe('ip:198.51.100.1'); // IPv4-compatible (deprecated form)
    expect(clientKey('198.51.100.1')).toBe('ip:198.51.100.1');
    expect(clientKey('::ffff:198.51.100.1')).not.toBe(clientKey('::ffff:198.51.100.2'));
    // The unspecified and loopback addresses stay IPv6.
    expect(clientKey('::1')).toBe('ip6:0:0:0:0::/64');
    expect(clientKey('::')).toBe('ip6:0:0:0:0::/64');
  });

  it('keys NAT64 (64:ff9b::/96) as IPv4 only when configured', () => {
    expect(clientKey('64:ff9b::198.51.100.1')).toBe('ip6:64:ff9b:0:0::/64');
    const nat64 = createClientKey({ nat64: true });
    expect(nat64('64:ff9b::198.51.100.1')).toBe('ip:198.51.100.1');
    expect(nat64('64:ff9b::c633:6402')).toBe('ip:198.51.100.2');
    expect(nat64('64:ff9b:1::c633:6402')).toBe('ip6:64:ff9b:1:0::/64'); // not the well-known prefix
  });

  it('buckets IPv6 by /64 by default, wider when configured (the answer to address rotation)', () => {
    expect(clientKey('2001:db8:1:2:aaaa::1')).toBe(clientKey('2001:0DB8:0001:0002:ffff:1:2:3'));
    expect(clientKey('2001:db8::1')).toBe('ip6:2001:db8:0:0::/64');
    expect(clientKey('2001:db8:1:3::1')).not.toBe(clientKey('2001:db8:1:2::1'));
    const by48 = createClientKey({ ipv6PrefixLength: 48 });
    expect(by48('2001:db8:1:2::1')).toBe('ip6:2001:db8:1::/48');
    expect(by48('2001:db8:1:ffff::1')).toBe(by48('2001:db8:1:2::1'));
    expect(by48('2001:db8:2::1')).not.toBe(by48('2001:db8:1::1'));
    const by56 = createClientKey({ ipv6PrefixLength: 56 });
    expect(by56('2001:db8:1:2ff::1')).toBe('ip6:2001:db8:1:200::/56');
    expect(by56('2001:db8:1:300::1')).not.toBe(by56('2001:db8:1:2ff::1'));
    expect(createClientKey({ ipv6PrefixLength: 128 })('2001:db8::1')).toBe('ip6:2001:db8:0:0:0:0:0:1/128');
    expect(() => createClientKey({ ipv6PrefixLength: 0 })).toThrow(/ipv6PrefixLength/);
    expect(() => createClientKey({ ipv6PrefixLength: 129 })).toThrow(/ipv6PrefixLength/);
    expect(() => createClientKey({ prefix: 48 } as never)).toThrow(/unknown option `prefix`/);
  });

  it('accepts zone ids and brackets (with or without a port), dropping them', () => {
    expect(clientKey('fe80::1%eth0')).toBe(clientKey('fe80::1'));
    expect(clientKey('[2001:db8::1]')).toBe('ip6:2001:db8:0:0::/64');
    expect(clientKey('[2001:db8::1]:8443')).toBe('ip6:2001:db8:0:0::/64');
    expect(clientKey('[::ffff:198.51.100.1]')).toBe('ip:198.51.100.1');
  });

  it('rejects hostile input with ERR_INVALID_ARGUMENT, never a shared bucket', () => {
    const hostile: unknown[] = [
      '',
      ' ',
      undefined,
      null,
      42,
      'garbage',
      'localhost',
      '010.0.0.1', // leading zeros: octal in inet_aton, decimal elsewhere: ambiguous, so rejected
      '1.2.3.04',
      '::ffff:010.0.0.1',
      '256.0.0.1',
      '1.2.3',
      '1.2.3.4:80',
      '1.2.3.4 ',
      '[1.2.3.4]',
      '[2001:db8::1',
      '2001:db8::1]',
      '[2001:db8::1]:',
      '[2001:db8::1]:x',
      'fe80::1%',
      'fe80::1%eth0%eth1',
      '1::2::3',
      '2001:db8::1'.padEnd(200, '0'),
      'x'.repeat(10_000),
    ];
    for (const input of hostile) expect(() => clientKey(input as string), String(input)).toThrow(invalid);
  });

  it('every valid address gets a key in a fixed, parseable form (property)', () => {
    fc.assert(
      fc.property(fc.oneof(fc.ipV4(), fc.ipV6()), (ip) => {
        expect(clientKey(ip)).toMatch(/^(ip:\d{1,3}(\.\d{1,3}){3}|ip6:[0-9a-f:]+\/64)$/);
      }),
    );
    // Any other string: a typed error or a key of the fixed form, never anything else (no fallback key).
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.stringMatching(/^[0-9a-f:.%[\]]{0,50}$/)), (input) => {
        try {
          expect(clientKey(input)).toMatch(/^(ip:\d{1,3}(\.\d{1,3}){3}|ip6:[0-9a-f:]+\/64)$/);
        } catch (e) {
          expect(e).toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
        }
      }),
    );
    fc.assert(
      fc.property(fc.ipV4(), (ip) => {
        expect(clientKey(`::ffff:${ip}`)).toBe(clientKey(ip));
      }),
    );
  });
});
