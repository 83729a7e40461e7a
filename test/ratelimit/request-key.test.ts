/**
 * createRequestKey: the walk over forwarding headers, table-driven. Every row is a request from a trusted
 * proxy (127.0.0.1) unless it says otherwise; "peer" means the walk fell back to the last address it
 * verified, which for a one-hop row is the proxy itself.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { clientKey, createRequestKey, type RequestHeaders } from '../../src/ratelimit/index.js';

const invalidOption = expect.objectContaining({ code: 'ERR_INVALID_OPTION' });
const invalidArgument = expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' });

const PROXY = '127.0.0.1';
const PEER = clientKey(PROXY);
const CLIENT = '198.51.100.7';
const xff = (value: string | readonly string[]): RequestHeaders => ({ 'x-forwarded-for': value });
const behindProxy = createRequestKey({ trustedProxies: ['loopback', '10.0.0.0/8'] });

describe('createRequestKey: trust', () => {
  it('without trusted proxies keys the socket peer and never reads the header', () => {
    const keyOf = createRequestKey();
    expect(keyOf('203.0.113.9', xff(CLIENT))).toBe('ip:203.0.113.9');
    expect(keyOf('::ffff:203.0.113.9', xff(CLIENT))).toBe('ip:203.0.113.9');
    expect(createRequestKey({ trustedProxies: [] })(PROXY, xff(CLIENT))).toBe(PEER);
  });

  it('ignores a spoofed header from an untrusted peer', () => {
    expect(behindProxy('203.0.113.9', xff(CLIENT))).toBe('ip:203.0.113.9');
    expect(behindProxy('203.0.113.9', xff('127.0.0.1'))).toBe('ip:203.0.113.9');
  });

  it('keys the first untrusted hop from the right; a left-most spoof never wins', () => {
    expect(behindProxy(PROXY, xff(CLIENT))).toBe(`ip:${CLIENT}`);
    expect(behindProxy(PROXY, xff(`6.6.6.6, ${CLIENT}`))).toBe(`ip:${CLIENT}`);
    expect(behindProxy(PROXY, xff(`6.6.6.6, ${CLIENT}, 10.0.0.2, 10.1.2.3`))).toBe(`ip:${CLIENT}`);
    // Every hop trusted: the left-most one is a trusted address a trusted hop vouched for.
    expect(behindProxy(PROXY, xff('10.0.0.3, 10.0.0.2'))).toBe('ip:10.0.0.3');
    expect(behindProxy(PROXY, {})).toBe(PEER);
    expect(behindProxy(PROXY)).toBe(PEER);
  });

  it('treats IPv4-mapped IPv6 as IPv4, for the peer, the trust list and the key', () => {
    expect(behindProxy('::ffff:127.0.0.1', xff(CLIENT))).toBe(`ip:${CLIENT}`);
    expect(behindProxy(PROXY, xff(`::ffff:${CLIENT}`))).toBe(`ip:${CLIENT}`);
    expect(behindProxy(PROXY, xff(`${CLIENT}, ::ffff:10.0.0.9`))).toBe(`ip:${CLIENT}`);
    const mappedRule = createRequestKey({ trustedProxies: ['::ffff:127.0.0.1'] });
    expect(mappedRule(PROXY, xff(CLIENT))).toBe(`ip:${CLIENT}`);
  });

  it('groups IPv6 clients by /64 (or the prefix given) and takes IPv6 proxies and zone ids', () => {
    expect(behindProxy(PROXY, xff('2001:db8:1:2::1'))).toBe(behindProxy(PROXY, xff('2001:db8:1:2:ffff::9')));
    expect(behindProxy(PROXY, xff('2001:db8:1:2::1'))).toBe('ip6:2001:db8:1:2::/64');
    expect(behindProxy(PROXY, xff('2001:db8:1:3::1'))).not.toBe(behindProxy(PROXY, xff('2001:db8:1:2::1')));
    const by48 = createRequestKey({
      trustedProxies: ['2001:db8:ffff::/48', 'linklocal'],
      ipv6PrefixLength: 48,
    });
    expect(by48('2001:db8:ffff::1', xff('2001:db8:1:2::1'))).toBe('ip6:2001:db8:1::/48');
    expect(by48('fe80::1%eth0', xff('2001:db8:1:9::1'))).toBe('ip6:2001:db8:1::/48');
    expect(by48('169.254.1.1', xff(CLIENT))).toBe(`ip:${CLIENT}`);
    const nat64 = createRequestKey({ trustedProxies: ['loopback'], nat64: true });
    expect(nat64(PROXY, xff(`64:ff9b::${CLIENT}`))).toBe(`ip:${CLIENT}`);
  });

  it('named sets: loopback, private (alias uniquelocal), linklocal', () => {
    const cases: Array<[string, string, boolean]> = [
      ['loopback', '127.8.9.10', true],
      ['loopback', '::1', true],
      ['loopback', '10.0.0.1', false],
      ['private', '10.200.0.1', true],
      ['private', '172.31.255.255', true],
      ['private', '172.32.0.1', false],
      ['private', '192.168.1.1', true],
      ['private', 'fd12::1', true],
      ['uniquelocal', 'fd12::1', true],
      ['linklocal', '169.254.0.1', true],
      ['linklocal', 'fe80::abcd', true],
      ['linklocal', '192.168.1.1', false],
    ];
    for (const [set, peer, trusted] of cases) {
      const keyOf = createRequestKey({ trustedProxies: [set] });
      expect(keyOf(peer, xff(CLIENT)), `${set} ${peer}`).toBe(trusted ? `ip:${CLIENT}` : clientKey(peer));
    }
  });

  it('walks RFC 7239 Forwarded when asked, and then ignores X-Forwarded-For', () => {
    const keyOf = createRequestKey({ trustedProxies: ['loopback'], header: 'Forwarded' });
    const fwd = (value: string) => ({ forwarded: value, 'x-forwarded-for': '6.6.6.6' });
    expect(keyOf(PROXY, fwd(`for=${CLIENT};proto=https`))).toBe(`ip:${CLIENT}`);
    expect(keyOf(PROXY, fwd(`for=6.6.6.6, by=127.0.0.1;for=${CLIENT};host=example.com`))).toBe(
      `ip:${CLIENT}`,
    );
    expect(keyOf(PROXY, fwd('for="[2001:db8:1:2::1]:4711"'))).toBe('ip6:2001:db8:1:2::/64');
    expect(keyOf(PROXY, fwd(`For="${CLIENT}:443"`))).toBe(`ip:${CLIENT}`);
    expect(keyOf(PROXY, { 'x-forwarded-for': CLIENT })).toBe(PEER);
    const realIp = createRequestKey({ trustedProxies: ['loopback'], header: 'x-real-ip' });
    expect(realIp(PROXY, { 'x-real-ip': CLIENT, 'x-forwarded-for': '6.6.6.6' })).toBe(`ip:${CLIENT}`);
  });
});

describe('createRequestKey: hostile headers (deterministic, never a client-chosen key)', () => {
  const many = (n: number, hop: (i: number) => string) =>
    Array.from({ length: n }, (_, i) => hop(i)).join(', ');
  const proxyHop = (i: number) => `10.0.${i >> 8}.${i & 255}`;

  const rows: Array<[string, string | readonly string[], string]> = [
    [
      '1000 spoofed hops left of the real client',
      `${many(1000, (i) => `6.6.${i >> 8}.${i & 255}`)}, ${CLIENT}`,
      `ip:${CLIENT}`,
    ],
    // 1000 trusted hops: the walk stops after maxHops (32) at the 32nd from the right.
    ['1000 trusted hops (cap 32)', many(1000, proxyHop), `ip:${proxyHop(1000 - 32)}`],
    ['64 KiB of garbage', 'x'.repeat(65_536), PEER],
    ['64 KiB of garbage left of the real client', `${'x'.repeat(65_536)}, ${CLIENT}`, `ip:${CLIENT}`],
    ['one 64 KiB entry of digits', '1'.repeat(65_536), PEER],
    ['NUL after the address', `${CLIENT}\u0000`, PEER],
    ['CRLF after the address', `${CLIENT}\r\n`, PEER],
    ['CRLF-injected second line', `${CLIENT}\r\nX-Evil: 1`, PEER],
    ['tab and spaces around (OWS)', `\t ${CLIENT} \t`, `ip:${CLIENT}`],
    ['unknown', 'unknown', PEER],
    ['UNKNOWN right of a client', `${CLIENT}, UNKNOWN`, PEER],
    ['[::1]:80 (trusted loopback, list ends)', '[::1]:80', clientKey('::1')],
    ['[2001:db8::1]:80', '[2001:db8::1]:80', 'ip6:2001:db8:0:0::/64'],
    ['[2001:db8::1] without port', '[2001:db8::1]', 'ip6:2001:db8:0:0::/64'],
    ['1.2.3.4:99999 (port out of range)', '1.2.3.4:99999', PEER],
    ['1.2.3.4:8080', '1.2.3.4:8080', 'ip:1.2.3.4'],
    ['1.2.3.4:', '1.2.3.4:', PEER],
    ['[1.2.3.4] (IPv4 in brackets)', '[1.2.3.4]', PEER],
    ['[2001:db8::1 (unbalanced)', '[2001:db8::1', PEER],
    ['_hidden (obfuscated)', '_hidden', PEER],
    ['empty header', '', PEER],
    ['only commas', ',,,', PEER],
    ['trailing comma', `${CLIENT},`, PEER],
    ['leading comma', `, ${CLIENT}`, `ip:${CLIENT}`],
    ['empty entry between trusted hops', `${CLIENT}, , 10.0.0.1`, 'ip:10.0.0.1'],
    ['mixed-case IPv6', '2001:DB8:1:2::AbCd', 'ip6:2001:db8:1:2::/64'],
    ['leading-zero octets', '010.0.0.1', PEER],
    ['a host name', 'client.example.com', PEER],
    ['a zone id in a forwarded entry', 'fe80::1%eth0', PEER],
    ['IPv6 with a port but no brackets', '2001:db8::1:443', 'ip6:2001:db8:0:0::/64'],
    ['Forwarded syntax in X-Forwarded-For', `for=${CLIENT}`, PEER],
    ['header as array (lines joined in order)', ['6.6.6.6', CLIENT], `ip:${CLIENT}`],
    ['header as array with a trusted last line', [CLIENT, '10.0.0.1'], `ip:${CLIENT}`],
    ['array holding a non-string', [CLIENT, 5 as unknown as string], PEER],
  ];

  it.each(rows)('%s', (_name, header, expected) => {
    expect(behindProxy(PROXY, xff(header))).toBe(expected);
  });

  const forwardedRows: Array<[string, string, string]> = [
    ['for=unknown', 'for=unknown', PEER],
    ['for="_hidden"', 'for="_hidden"', PEER],
    ['obfuscated port', `for="${CLIENT}:_port"`, PEER],
    ['no for= parameter', 'proto=https;by=10.0.0.1', PEER],
    ['two for= in one element', `for=${CLIENT};for=6.6.6.6`, PEER],
    ['unbalanced quote', `for="${CLIENT}`, PEER],
    ['backslash in a quoted string', `for="${CLIENT}\\"`, PEER],
    ['a pair without =', `for=${CLIENT};secure`, PEER],
    ['trailing ; is harmless', `for=${CLIENT};`, `ip:${CLIENT}`],
    ['FOR= and mixed-case hex', 'FOR="[2001:DB8::1]"', 'ip6:2001:db8:0:0::/64'],
    ['1000 elements, real client right-most', `${'for=6.6.6.6, '.repeat(1000)}for=${CLIENT}`, `ip:${CLIENT}`],
    ['an over-long element', `for=${CLIENT};ext="${'a'.repeat(300)}"`, PEER],
  ];
  const forwarded = createRequestKey({ trustedProxies: ['loopback', '10.0.0.0/8'], header: 'forwarded' });
  it.each(forwardedRows)('Forwarded: %s', (_name, header, expected) => {
    expect(forwarded(PROXY, { forwarded: header })).toBe(expected);
  });

  it('reads a Fetch Headers object (case-insensitive names, repeated lines joined)', () => {
    const headers = new Headers();
    headers.append('X-Forwarded-For', '6.6.6.6');
    headers.append('x-forwarded-for', CLIENT);
    expect(behindProxy(PROXY, headers)).toBe(`ip:${CLIENT}`);
    expect(behindProxy(PROXY, new Headers())).toBe(PEER);
  });

  it('a missing or invalid peer address is ERR_INVALID_ARGUMENT, trusted list or not', () => {
    for (const keyOf of [behindProxy, createRequestKey()]) {
      expect(() => keyOf(undefined, xff(CLIENT))).toThrow(invalidArgument);
      expect(() => keyOf('', xff(CLIENT))).toThrow(invalidArgument);
      expect(() => keyOf('not-an-ip', xff(CLIENT))).toThrow(invalidArgument);
      expect(() => keyOf(42 as unknown as string, xff(CLIENT))).toThrow(invalidArgument);
    }
  });

  it('ignores headers that are not an object', () => {
    expect(behindProxy(PROXY, null as unknown as RequestHeaders)).toBe(PEER);
    expect(behindProxy(PROXY, 'x-forwarded-for: 1.2.3.4' as unknown as RequestHeaders)).toBe(PEER);
    expect(behindProxy(PROXY, { 'x-forwarded-for': 42 } as unknown as RequestHeaders)).toBe(PEER);
  });

  it('property: whatever a client writes, the address the trusted proxy appended is keyed', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.ipV4(), (spoof, client) => {
        fc.pre(!client.startsWith('127.') && !client.startsWith('10.'));
        expect(behindProxy(PROXY, xff(`${spoof}, ${client}`))).toBe(clientKey(client));
        expect(behindProxy(PROXY, xff([spoof, client]))).toBe(clientKey(client));
      }),
    );
  });

  it('property: from an untrusted peer the header never matters', () => {
    fc.assert(
      fc.property(fc.string({ maxLength: 200 }), fc.ipV4(), (header, peer) => {
        fc.pre(!peer.startsWith('127.') && !peer.startsWith('10.'));
        expect(behindProxy(peer, xff(header))).toBe(clientKey(peer));
      }),
    );
  });
});

describe('createRequestKey: options', () => {
  const bad: unknown[] = [
    { trustedProxies: ['10.0.0.0/33'] },
    { trustedProxies: ['2001:db8::/129'] },
    { trustedProxies: ['10.0.0.0/0'] },
    { trustedProxies: ['::/0'] },
    { trustedProxies: ['300.1.1.1'] },
    { trustedProxies: ['localhost'] },
    { trustedProxies: [''] },
    { trustedProxies: ['fe80::1%eth0'] },
    { trustedProxies: ['[::1]'] },
    { trustedProxies: ['10.0.0.0/8/8'] },
    { trustedProxies: ['10.0.0.0/ 8'] },
    { trustedProxies: ['10.0.0.0/08x'] },
    { trustedProxies: ['10.0.0.0/255.0.0.0'] },
    { trustedProxies: [42] },
    { trustedProxies: 'loopback' },
    { trustedProxies: Array(1001).fill('loopback') },
    { trustedProxies: ['__proto__'] },
    { header: 'x forwarded' },
    { header: '' },
    { maxHops: 0 },
    { maxHops: 1.5 },
    { ipv6PrefixLength: 0 },
    { nat64: 'yes' },
    { trustProxy: true },
  ];
  it.each(bad)('refuses %j at construction with ERR_INVALID_OPTION', (options) => {
    expect(() => createRequestKey(options as never)).toThrow(invalidOption);
  });

  it('names the bad entry without echoing it', () => {
    expect(() => createRequestKey({ trustedProxies: ['loopback', 'secret-token'] })).toThrow(
      /`trustedProxies\[1\]` must be an IP address, a CIDR/,
    );
    expect(() => createRequestKey({ trustedProxies: ['secret-token'] })).not.toThrow(/secret-token/);
  });

  it('maxHops caps the walk', () => {
    const one = createRequestKey({ trustedProxies: ['loopback', '10.0.0.0/8'], maxHops: 1 });
    expect(one(PROXY, xff(`${CLIENT}, 10.0.0.1`))).toBe('ip:10.0.0.1');
    expect(one(PROXY, xff(CLIENT))).toBe(`ip:${CLIENT}`);
  });
});
