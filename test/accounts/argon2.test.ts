/**
 * The argon2 hasher: the PasswordHasher contract (plain, peppered, bounded), then what is its own: the
 * exact PHC output and interop with `argon2` itself, needsRehash on every parameter, pepper rotation, and
 * hostile passwords, hashes and options.
 */
import { createHmac, randomBytes } from 'node:crypto';
import * as argon2 from 'argon2';
import { describe, expect, it } from 'vitest';
import { type Argon2HasherOptions, createArgon2Hasher } from '../../src/accounts/argon2.js';
import { PepperUnknownError } from '../../src/accounts/index.js';
import { createMemoryMetrics, passwordHasherContract } from '../../src/testing/index.js';

const api = { describe, it };
const pepper = (id: string) => ({ id, secret: randomBytes(32) });
/** Below OWASP's floor, for the tests that hash many times with parameters of their own. */
const cheap = { allowBelowOwaspFloor: true, memoryKiB: 64, timeCost: 1, concurrency: false } as const;

passwordHasherContract(api, {
  name: 'argon2 (unbounded)',
  setup: () => ({ subject: createArgon2Hasher({ concurrency: false }) }),
});
passwordHasherContract(api, {
  name: 'argon2 peppered',
  setup: () => ({
    subject: createArgon2Hasher({ peppers: [pepper('p2'), pepper('p1')], concurrency: false }),
  }),
});
passwordHasherContract(api, {
  name: 'argon2 bounded (the default)',
  setup: (clock) => {
    const subject = createArgon2Hasher({ clock, concurrency: { maxConcurrent: 2 } });
    return { subject, close: () => subject.close?.() };
  },
});

const OWASP_PHC = /^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/;

describe('argon2 hasher: output and interop', () => {
  it('writes argon2id v=19 at OWASP’s minimum, with a 16-byte salt and a 32-byte hash', async () => {
    const hasher = createArgon2Hasher();
    expect(hasher.kind).toBe('argon2');
    expect(await hasher.hash('pw')).toMatch(OWASP_PHC);
    expect(createArgon2Hasher({ concurrency: false }).kind).toBe('argon2');
  });

  it('writes the pepper id as the PHC keyid, in B64 without padding', async () => {
    const hasher = createArgon2Hasher({ peppers: [pepper('p1')], concurrency: false });
    const hash = await hasher.hash('pw');
    expect(hash).toMatch(
      /^\$argon2id\$v=19\$m=19456,t=2,p=1,keyid=cDE\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/,
    );
    expect(Buffer.from('cDE', 'base64').toString()).toBe('p1');
    const long = createArgon2Hasher({ peppers: [pepper('2026-q1_')], concurrency: false });
    expect(await long.hash('pw')).toContain(
      `,keyid=${Buffer.from('2026-q1_').toString('base64').replace(/=+$/, '')}$`,
    );
  });

  it('reads and writes what argon2 itself reads and writes', async () => {
    const hasher = createArgon2Hasher({ concurrency: false });
    const ours = await hasher.hash('pässwörd');
    expect(await argon2.verify(ours, 'pässwörd')).toBe(true);
    const theirs = await argon2.hash('pässwörd', {
      type: argon2.argon2id,
      memoryCost: 19456,
      timeCost: 2,
      parallelism: 1,
    });
    expect(await hasher.verify(theirs, 'pässwörd')).toBe(true);
    expect(await hasher.verify(theirs, 'passwörd')).toBe(false);
    expect(hasher.needsRehash(theirs)).toBe(false);
  });

  it('peppers as documented: argon2 of HMAC-SHA256(secret, UTF-8 password)', async () => {
    const p1 = pepper('p1');
    const hasher = createArgon2Hasher({ peppers: [p1], concurrency: false });
    const hash = await hasher.hash('pw 🔑');
    const hmac = createHmac('sha256', p1.secret).update('pw 🔑', 'utf8').digest();
    expect(await argon2.verify(hash, hmac)).toBe(true);
    // Without the secret the hash is worthless: the password alone does not verify.
    expect(await argon2.verify(hash, 'pw 🔑')).toBe(false);
  });

  it('reports its durations through the default concurrency bound', async () => {
    const metrics = createMemoryMetrics();
    const hasher = createArgon2Hasher({ metrics });
    const hash = await hasher.hash('pw');
    await hasher.verify(hash, 'pw');
    expect(metrics.observations('accounts.hash.duration', { op: 'hash' })).toHaveLength(1);
    expect(metrics.observations('accounts.hash.duration', { op: 'verify' })).toHaveLength(1);
    await hasher.close?.();
  });
});

describe('argon2 hasher: needsRehash', () => {
  const base = createArgon2Hasher(cheap);
  it.each<[string, Argon2HasherOptions]>([
    ['more memory', { ...cheap, memoryKiB: 128 }],
    ['another time cost', { ...cheap, timeCost: 2 }],
    ['another parallelism', { ...cheap, parallelism: 2 }],
    ['a longer salt', { ...cheap, saltBytes: 32 }],
    ['a longer hash', { ...cheap, hashBytes: 64 }],
    ['a pepper now', { ...cheap, peppers: [pepper('p1')] }],
  ])(
    'is true after a change to %s; the old hash still verifies, the new one needs nothing',
    async (_, options) => {
      const old = await base.hash('pw');
      const changed = createArgon2Hasher(options);
      expect(base.needsRehash(old)).toBe(false);
      expect(changed.needsRehash(old)).toBe(true);
      expect(await changed.verify(old, 'pw')).toBe(true);
      const fresh = await changed.hash('pw');
      expect(changed.needsRehash(fresh)).toBe(false);
      expect(await changed.verify(fresh, 'pw')).toBe(true);
    },
  );

  it.each<[string, Parameters<typeof argon2.hash>[1]]>([
    ['argon2i', { type: argon2.argon2i }],
    ['argon2d', { type: argon2.argon2d }],
    ['version 0x10', { type: argon2.argon2id, version: 0x10 }],
    ['associated data', { type: argon2.argon2id, associatedData: Buffer.from('tenant-7') }],
  ])('verifies a hash with %s and asks for a rehash', async (_, options) => {
    const hash = await argon2.hash('pw', { memoryCost: 64, timeCost: 1, parallelism: 1, ...options });
    expect(await base.verify(hash, 'pw')).toBe(true);
    expect(await base.verify(hash, 'pW')).toBe(false);
    expect(base.needsRehash(hash)).toBe(true);
  });

  it('rehash on login: a stronger setting verifies the old hash, flags it, and its new hash is current', async () => {
    const before = createArgon2Hasher({ concurrency: false });
    const stored = await before.hash('correct horse battery staple');
    const after = createArgon2Hasher({ timeCost: 3, memoryKiB: 47_104, concurrency: false });
    expect(await after.verify(stored, 'correct horse battery staple')).toBe(true);
    expect(after.needsRehash(stored)).toBe(true);
    const rehashed = await after.hash('correct horse battery staple');
    expect(rehashed).toMatch(/^\$argon2id\$v=19\$m=47104,t=3,p=1\$/);
    expect(after.needsRehash(rehashed)).toBe(false);
  });

  it('is true for anything it cannot read', () => {
    for (const hash of ['', 'pw', '$2b$10$abc', undefined, null, 42]) {
      expect(base.needsRehash(hash as string)).toBe(true);
    }
  });
});

describe('argon2 hasher: peppers', () => {
  const p1 = pepper('p1');
  const p2 = pepper('p2');

  it('rotates: the old pepper listed second still verifies, flags a rehash, and new hashes use the new one', async () => {
    const old = createArgon2Hasher({ ...cheap, peppers: [p1] });
    const rotated = createArgon2Hasher({ ...cheap, peppers: [p2, p1] });
    const h1 = await old.hash('pw');
    expect(await rotated.verify(h1, 'pw')).toBe(true);
    expect(await rotated.verify(h1, 'wrong')).toBe(false);
    expect(rotated.needsRehash(h1)).toBe(true);
    const h2 = await rotated.hash('pw');
    expect(h2).toContain(',keyid=cDI$');
    expect(rotated.needsRehash(h2)).toBe(false);
    expect(old.needsRehash(h2)).toBe(true);
    // A server still on the old list meets a hash of the new pepper: a configuration error, thrown.
    await expect(old.verify(h2, 'pw')).rejects.toMatchObject({
      code: 'ERR_ACCOUNTS_PEPPER_UNKNOWN',
      pepperId: 'p2',
    });
  });

  it('throws PepperUnknownError when the pepper was removed, and verifies unpeppered hashes after one is added', async () => {
    const plain = createArgon2Hasher(cheap);
    const peppered = createArgon2Hasher({ ...cheap, peppers: [p1] });
    const h1 = await peppered.hash('pw');
    const error = await plain.verify(h1, 'pw').catch((e: unknown) => e);
    expect(error).toBeInstanceOf(PepperUnknownError);
    expect(error).toMatchObject({
      pepperId: 'p1',
      message: expect.not.stringContaining(p1.secret.toString('hex')),
    });
    expect(plain.needsRehash(h1)).toBe(true);
    const h0 = await plain.hash('pw');
    expect(await peppered.verify(h0, 'pw')).toBe(true);
    expect(peppered.needsRehash(h0)).toBe(true);
  });

  it('is false with another secret under the same id', async () => {
    const h1 = await createArgon2Hasher({ ...cheap, peppers: [p1] }).hash('pw');
    const impostor = createArgon2Hasher({ ...cheap, peppers: [{ id: 'p1', secret: randomBytes(32) }] });
    expect(await impostor.verify(h1, 'pw')).toBe(false);
  });

  it('takes a string secret as its UTF-8 bytes, and copies a buffer secret', async () => {
    const text = 'a secret of more than thirty-two bytes, from the environment';
    const bytes = Buffer.from(text, 'utf8');
    const fromBytes = createArgon2Hasher({ ...cheap, peppers: [{ id: 'k', secret: bytes }] });
    bytes.fill(0); // the caller reuses its buffer: the pepper must not change
    const fromText = createArgon2Hasher({ ...cheap, peppers: [{ id: 'k', secret: text }] });
    expect(await fromText.verify(await fromBytes.hash('pw'), 'pw')).toBe(true);
  });

  it('names a keyid that is no pepper id of ours as written', async () => {
    const plain = await createArgon2Hasher(cheap).hash('pw');
    const foreign = plain.replace('p=1$', 'p=1,keyid=AAECAw$');
    await expect(createArgon2Hasher({ ...cheap, peppers: [p1] }).verify(foreign, 'pw')).rejects.toMatchObject(
      {
        code: 'ERR_ACCOUNTS_PEPPER_UNKNOWN',
        pepperId: 'AAECAw',
      },
    );
  });
});

describe('argon2 hasher: hostile passwords', () => {
  const hasher = createArgon2Hasher(cheap);
  it.each([undefined, null, 42, {}, ['pw'], Buffer.from('pw')])(
    'hash and verify refuse a password that is %o',
    async (password) => {
      const stored = await hasher.hash('pw');
      await expect(hasher.hash(password as string)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
      await expect(hasher.verify(stored, password as string)).rejects.toMatchObject({
        code: 'ERR_INVALID_ARGUMENT',
      });
    },
  );

  it('refuses to hash a lone surrogate, and verify is false for one (UTF-8 would make it U+FFFD)', async () => {
    for (const password of ['\ud800', 'a\udc00b', 'end\udbff', '\udfff\ud800']) {
      await expect(hasher.hash(password)).rejects.toMatchObject({ code: 'ERR_INVALID_ARGUMENT' });
    }
    const replacement = await hasher.hash('a\ufffdb');
    expect(await hasher.verify(replacement, 'a\ud800b')).toBe(false);
    expect(await hasher.verify(replacement, 'a\ufffdb')).toBe(true);
    // A proper surrogate pair is an ordinary character.
    expect(await hasher.verify(await hasher.hash('\ud83d\udd11'), '🔑')).toBe(true);
  });
});

describe('argon2 hasher: hostile hashes', () => {
  const hasher = createArgon2Hasher({ ...cheap, peppers: [pepper('p1')] });
  const salt = 'c2FsdHNhbHRzYWx0c2FsdA'; // 16 bytes
  const out = 'aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaGhhc2g'; // 32 bytes
  const phc = (params: string, s = salt, h = out, head = '$argon2id$v=19') => `${head}$${params}$${s}$${h}`;
  it.each([
    ['memory over 2 GiB', phc('m=2097153,t=1,p=1')],
    ['memory of 4 TiB', phc('m=4294967295,t=1,p=1')],
    ['more than 100 passes', phc('m=64,t=101,p=1')],
    ['t=4294967295', phc('m=64,t=4294967295,p=1')],
    ['256 lanes', phc('m=4096,t=1,p=256')],
    ['less than 8 KiB per lane', phc('m=15,t=1,p=2')],
    ['m=0', phc('m=0,t=1,p=1')],
    ['t=0', phc('m=64,t=0,p=1')],
    ['p=0', phc('m=64,t=1,p=0')],
    ['a leading zero', phc('m=064,t=1,p=1')],
    ['a negative cost', phc('m=-64,t=1,p=1')],
    ['an exponent', phc('m=6e1,t=1,p=1')],
    ['Arabic-Indic digits', phc('m=٦٤,t=1,p=1')],
    ['parameters out of order', phc('t=1,m=64,p=1')],
    ['a missing parameter', phc('m=64,t=1')],
    ['a repeated parameter', phc('m=64,m=64,t=1,p=1')],
    ['an unknown parameter', phc('m=64,t=1,p=1,x=1')],
    ['data before keyid', phc('m=64,t=1,p=1,data=AAAA,keyid=cDE')],
    ['an empty keyid', phc('m=64,t=1,p=1,keyid=')],
    ['a keyid over 8 bytes', phc('m=64,t=1,p=1,keyid=cDFwMXAxcDFw')],
    [
      'associated data over 32 bytes',
      phc(`m=64,t=1,p=1,data=${Buffer.alloc(33).toString('base64').replace(/=+$/, '')}`),
    ],
    ['version 20', phc('m=64,t=1,p=1', salt, out, '$argon2id$v=20')],
    ['version in hex', phc('m=64,t=1,p=1', salt, out, '$argon2id$v=0x13')],
    ['an upper-case id', phc('m=64,t=1,p=1', salt, out, '$ARGON2ID$v=19')],
    ['argon2ds', phc('m=64,t=1,p=1', salt, out, '$argon2ds$v=19')],
    ['scrypt', phc('ln=15,r=8,p=1', salt, out, '$scrypt')],
    ['a 7-byte salt', phc('m=64,t=1,p=1', 'c2FsdHNhbA')],
    ['a 49-byte salt', phc('m=64,t=1,p=1', Buffer.alloc(49, 1).toString('base64').replace(/=+$/, ''))],
    ['an 11-byte hash', phc('m=64,t=1,p=1', salt, 'aGFzaGhhc2hoYXM')],
    ['a 65-byte hash', phc('m=64,t=1,p=1', salt, Buffer.alloc(65, 1).toString('base64').replace(/=+$/, ''))],
    ['base64 padding', phc('m=64,t=1,p=1', `${salt}==`)],
    ['URL-safe base64', phc('m=64,t=1,p=1', salt, out.replace('hh', '-_'))],
    ['non-canonical trailing bits', phc('m=64,t=1,p=1', 'c2FsdHNhbHRzYWx0c2FsdB')],
    ['a B64 length of 1 mod 4', phc('m=64,t=1,p=1', `${salt}AAA`)],
    ['no hash', `$argon2id$v=19$m=64,t=1,p=1$${salt}`],
    ['an extra field', `${phc('m=64,t=1,p=1')}$AAAA`],
    ['a trailing $', `${phc('m=64,t=1,p=1')}$`],
    ['a trailing newline', `${phc('m=64,t=1,p=1')}\n`],
    ['a CRLF inside', phc('m=64,t=1,p=1\r\n')],
    ['a NUL inside', phc('m=64\u0000,t=1,p=1')],
    ['leading whitespace', ` ${phc('m=64,t=1,p=1')}`],
    ['a megabyte', `${phc('m=64,t=1,p=1')}${'A'.repeat(1_000_000)}`],
  ])('verify is false and needsRehash true for a hash with %s', async (_, hash) => {
    expect(await hasher.verify(hash, 'pw')).toBe(false);
    expect(hasher.needsRehash(hash)).toBe(true);
  });

  it('the grammar accepts the same hash written right (so the cases above fail for their one flaw)', async () => {
    expect(await hasher.verify(phc('m=64,t=1,p=1'), 'pw')).toBe(false); // well-formed, wrong password
    const real = await createArgon2Hasher(cheap).hash('pw');
    expect(await hasher.verify(real, 'pw')).toBe(true);
  });

  it.each([undefined, null, 42, {}, [], Buffer.from('$argon2id$')])(
    'verify is false for a hash that is %o',
    async (hash) => {
      expect(await hasher.verify(hash as string, 'pw')).toBe(false);
    },
  );
});

describe('argon2 hasher: options', () => {
  it.each<[string, Argon2HasherOptions]>([
    ['t=1 at 47104 KiB', { timeCost: 1, memoryKiB: 47_104 }],
    ['t=3 at 12288 KiB', { timeCost: 3, memoryKiB: 12_288 }],
    ['t=4 at 9216 KiB', { timeCost: 4, memoryKiB: 9_216 }],
    ['t=5 at 7168 KiB', { timeCost: 5, memoryKiB: 7_168 }],
    ['t=9 at 7168 KiB', { timeCost: 9, memoryKiB: 7_168 }],
    ['64 MiB, t=3, p=4 (RFC 9106)', { memoryKiB: 65_536, timeCost: 3, parallelism: 4 }],
    ['8 KiB below the floor when allowed', { allowBelowOwaspFloor: true, memoryKiB: 8, timeCost: 1 }],
    ['concurrency false', { concurrency: false }],
    ['concurrency {}', { concurrency: {} }],
    ['16 peppers', { peppers: Array.from({ length: 16 }, (_, i) => pepper(`p${i}`)) }],
    ['no peppers', { peppers: [] }],
  ])('accepts %s', (_, options) => {
    expect(createArgon2Hasher(options).kind).toBe('argon2');
  });

  it.each<[string, unknown, RegExp]>([
    [
      'memory below the floor',
      { memoryKiB: 19_455 },
      /`memoryKiB` must be at least 19456 with timeCost 2 .*got 19455/,
    ],
    ['t=1 with the default memory', { timeCost: 1 }, /at least 47104 with timeCost 1/],
    ['t=3 below its row', { timeCost: 3, memoryKiB: 12_287 }, /at least 12288/],
    ['t=9 below the last row', { timeCost: 9, memoryKiB: 7_167 }, /at least 7168/],
    [
      'less than 8 KiB per lane',
      { allowBelowOwaspFloor: true, memoryKiB: 15, parallelism: 2 },
      /at least 16 with 2 lanes/,
    ],
    ['memory over 2 GiB', { memoryKiB: 2_097_153 }, /memoryKiB/],
    ['memory as a string', { memoryKiB: '19456' }, /memoryKiB/],
    ['memory NaN', { memoryKiB: Number.NaN }, /memoryKiB/],
    ['memory Infinity', { memoryKiB: Number.POSITIVE_INFINITY }, /memoryKiB/],
    ['memory fractional', { memoryKiB: 19_456.5 }, /memoryKiB/],
    ['memory null', { memoryKiB: null }, /memoryKiB/],
    ['t=0', { timeCost: 0 }, /timeCost/],
    ['t=101', { timeCost: 101 }, /timeCost/],
    ['p=0', { parallelism: 0 }, /parallelism/],
    ['p=256', { parallelism: 256 }, /parallelism/],
    ['an 8-byte salt', { saltBytes: 8 }, /saltBytes/],
    ['a 49-byte salt', { saltBytes: 49 }, /saltBytes/],
    ['a 12-byte hash', { hashBytes: 12 }, /hashBytes/],
    ['a 65-byte hash', { hashBytes: 65 }, /hashBytes/],
    ['allowBelowOwaspFloor as a string', { allowBelowOwaspFloor: 'yes' }, /allowBelowOwaspFloor/],
    ['a misspelt option', { memoryKib: 19_456 }, /unknown option `memoryKib`/],
    ['a secret at the top level', { secret: 'x'.repeat(40) }, /unknown option `secret`/],
    ['peppers not a list', { peppers: { id: 'p1' } }, /`peppers` must be an array/],
    ['17 peppers', { peppers: Array.from({ length: 17 }, (_, i) => pepper(`p${i}`)) }, /peppers/],
    ['a null pepper', { peppers: [null] }, /`peppers\[0\]` must be an object/],
    ['a pepper without secret', { peppers: [{ id: 'p1' }] }, /`peppers\[0\].secret` is required/],
    ['a pepper without id', { peppers: [{ secret: randomBytes(32) }] }, /`peppers\[0\].id` is required/],
    ['an empty id', { peppers: [{ id: '', secret: randomBytes(32) }] }, /peppers\[0\].id/],
    ['a 9-character id', { peppers: [{ id: 'p12345678', secret: randomBytes(32) }] }, /peppers\[0\].id/],
    ['an id with a space', { peppers: [{ id: 'p 1', secret: randomBytes(32) }] }, /peppers\[0\].id/],
    ['an id with a slash', { peppers: [{ id: '../p1', secret: randomBytes(32) }] }, /peppers\[0\].id/],
    ['an id with a newline', { peppers: [{ id: 'p1\n', secret: randomBytes(32) }] }, /peppers\[0\].id/],
    ['a non-ASCII id', { peppers: [{ id: 'pé', secret: randomBytes(32) }] }, /peppers\[0\].id/],
    [
      'a repeated id',
      { peppers: [pepper('p1'), pepper('p2'), pepper('p1')] },
      /`peppers\[2\].id` must be unique/,
    ],
    [
      'a 31-byte secret',
      { peppers: [{ id: 'p1', secret: randomBytes(31) }] },
      /peppers\[0\].secret.*32\.\.1024 bytes/,
    ],
    ['a 31-byte string secret', { peppers: [{ id: 'p1', secret: 'x'.repeat(31) }] }, /peppers\[0\].secret/],
    ['a 1025-byte secret', { peppers: [{ id: 'p1', secret: randomBytes(1025) }] }, /peppers\[0\].secret/],
    ['a number secret', { peppers: [{ id: 'p1', secret: 12_345_678 }] }, /peppers\[0\].secret/],
    ['an object secret', { peppers: [{ id: 'p1', secret: { key: 'x'.repeat(40) } }] }, /peppers\[0\].secret/],
    [
      'an extra pepper field',
      { peppers: [{ ...pepper('p1'), current: true }] },
      /unknown option `peppers\[0\].current`/,
    ],
    ['concurrency true', { concurrency: true }, /`concurrency` must be an object/],
    ['concurrency "off"', { concurrency: 'off' }, /`concurrency` must be an object/],
    ['maxConcurrent 0', { concurrency: { maxConcurrent: 0 } }, /`concurrency.maxConcurrent`/],
    ['maxQueued -1', { concurrency: { maxQueued: -1 } }, /`concurrency.maxQueued`/],
    ['maxWaitMs 0', { concurrency: { maxWaitMs: 0 } }, /`concurrency.maxWaitMs`/],
    ['an unknown concurrency key', { concurrency: { max: 1 } }, /unknown option `concurrency.max`/],
    ['a clock without sleep', { clock: { now: () => 0 } }, /clock/],
    ['metrics without gauge', { metrics: { counter() {}, histogram() {} } }, /metrics/],
    ['null options', null, /options must be an object/],
    ['array options', [], /options must be an object/],
  ])('refuses %s', (_, options, message) => {
    expect(() => createArgon2Hasher(options as Argon2HasherOptions)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringMatching(message) }),
    );
  });

  it('never echoes a secret (or a secret passed as an id) in its message', () => {
    const secret = 'hunter2-hunter2-hunter2-hunter'; // 30 bytes: refused
    for (const peppers of [[{ id: 'p1', secret }], [{ id: secret, secret: randomBytes(32) }]]) {
      const error = (() => {
        try {
          createArgon2Hasher({ peppers });
        } catch (e) {
          return e as Error;
        }
        throw new Error('accepted');
      })();
      expect(error.message).toMatch(/^createArgon2Hasher: `peppers\[0\]\.(secret|id)`/);
      expect(error.message).not.toContain('hunter2');
    }
  });
});
