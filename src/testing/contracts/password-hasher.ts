import assert from 'node:assert/strict';
import type { PasswordHasher } from '../../accounts/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/** Options of {@link passwordHasherContract}. */
export interface PasswordHasherContractOptions extends ContractOptions<PasswordHasher> {
  /** Per-test timeout, ms, for slow hashers (each test hashes a few times). Default the runner's. */
  readonly timeoutMs?: number;
}

/** A PHC string: `$id[$v=version][$param=value(,param=value)*][$salt[$hash]]` (B64 fields). */
const PHC =
  /^\$[a-z0-9-]{1,32}(\$v=[0-9]+)?(\$[a-z0-9-]{1,32}=[A-Za-z0-9/+.-]*(,[a-z0-9-]{1,32}=[A-Za-z0-9/+.-]*)*)?\$[A-Za-z0-9/+.-]+\$[A-Za-z0-9/+.-]+$/;

/** Strings that are no hash at all: verify answers `false` for each, and nothing throws. */
const MALFORMED = [
  '',
  ' ',
  'password',
  '$',
  '$$$$',
  '$argon2id$',
  '$argon2id$v=19$m=19456,t=2,p=1$',
  '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$',
  '$2b$10$abcdefghijklmnopqrstuuJ6JkHhY0bpZCqvPQqkkbwZmTRxHoLme',
  '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$\u0000',
  '\u0000\u0000\u0000',
  'x'.repeat(100_000),
  '$argon2id$v=19$m=19456,t=2,p=1$'.repeat(50),
];

const unicodePasswords = [
  'pässwörd',
  'пароль-пароль',
  '密码密码密码',
  'كلمة السر',
  '🔑🦄🔑🦄',
  'zero\u200bwidth',
  '\u0301combining first',
];

/**
 * The PasswordHasher contract: round trips, wrong passwords refused, a fresh salt per hash, PHC output,
 * `false` (never an exception) for malformed hashes, the exact UTF-8 of any password hashed (NUL bytes,
 * every script, long inputs; no normalisation, no truncation), and `needsRehash` false for the hasher's
 * own output. Run it against every PasswordHasher; hashing is real, so each test costs a few hashes.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * passwordHasherContract({ describe, it }, { name: 'argon2', setup: () => ({ subject: createArgon2Hasher() }) });
 * ```
 */
export function passwordHasherContract(t: ContractTestApi, options: PasswordHasherContractOptions): void {
  const test = (title: string, body: Parameters<typeof withFixture<PasswordHasher>>[1]) =>
    t.it(title, withFixture(options.setup, body), options.timeoutMs);

  t.describe(`PasswordHasher contract: ${options.name}`, () => {
    test('reports its kind', (hasher) => {
      assert.equal(typeof hasher.kind, 'string');
      assert.ok(hasher.kind.length > 0);
    });
    test('a hash verifies its password', async (hasher) => {
      const hash = await hasher.hash('correct horse battery staple');
      assert.equal(await hasher.verify(hash, 'correct horse battery staple'), true);
    });
    test('a wrong password is false: another one, a case change, a prefix, an extra space', async (hasher) => {
      const hash = await hasher.hash('correct horse battery staple');
      for (const wrong of [
        'Tr0ub4dor&3',
        'Correct horse battery staple',
        'correct horse',
        'correct horse battery staple ',
      ]) {
        assert.equal(await hasher.verify(hash, wrong), false, JSON.stringify(wrong));
      }
    });
    test('every hash has its own salt: one password hashes differently twice, both verify', async (hasher) => {
      const [a, b] = await Promise.all([hasher.hash('same password'), hasher.hash('same password')]);
      assert.notEqual(a, b);
      assert.equal(await hasher.verify(a, 'same password'), true);
      assert.equal(await hasher.verify(b, 'same password'), true);
    });
    test('the output is a PHC string', async (hasher) => {
      const hash = await hasher.hash('correct horse battery staple');
      assert.match(hash, PHC);
      assert.ok(!hash.includes('correct'), 'the password does not appear in its hash');
    });
    test('a malformed hash is false, never an exception; needsRehash does not throw for it', async (hasher) => {
      const own = await hasher.hash('pw');
      const cut = own.slice(0, own.lastIndexOf('$') + 3);
      // One character of the hash part changed (not the last, whose spare bits would make it non-canonical).
      const at = own.length - 10;
      const flipped = `${own.slice(0, at)}${own[at] === 'A' ? 'B' : 'A'}${own.slice(at + 1)}`;
      for (const hash of [...MALFORMED, cut, flipped, `${own}$`, ` ${own}`, `${own}\n`]) {
        assert.equal(await hasher.verify(hash, 'pw'), false, JSON.stringify(hash.slice(0, 80)));
        assert.equal(typeof hasher.needsRehash(hash), 'boolean');
      }
    });
    test('any script and emoji round-trip, and are told apart', async (hasher) => {
      const hashes = await Promise.all(unicodePasswords.map((p) => hasher.hash(p)));
      for (const [i, hash] of hashes.entries()) {
        assert.equal(await hasher.verify(hash, unicodePasswords[i] as string), true, unicodePasswords[i]);
        const other = unicodePasswords[(i + 1) % unicodePasswords.length] as string;
        assert.equal(await hasher.verify(hash, other), false);
      }
    });
    test('the exact string is hashed: composed and decomposed forms differ (normalising is the policy’s job)', async (hasher) => {
      const composed = 'caf\u00e9';
      const hash = await hasher.hash(composed);
      assert.equal(await hasher.verify(hash, 'cafe\u0301'), false);
      assert.equal(await hasher.verify(hash, composed), true);
    });
    test('NUL bytes are hashed, not a terminator', async (hasher) => {
      const hash = await hasher.hash('a\u0000b');
      assert.equal(await hasher.verify(hash, 'a\u0000b'), true);
      assert.equal(await hasher.verify(hash, 'a\u0000c'), false);
      assert.equal(await hasher.verify(hash, 'a'), false);
      assert.equal(await hasher.verify(hash, 'a\u0000'), false);
    });
    test('long passwords are not truncated: a difference in the last character counts', async (hasher) => {
      // bcrypt reads 72 bytes; these differ after 4096 and after 100 000 characters.
      for (const length of [73, 4096, 100_000]) {
        const base = 'x'.repeat(length);
        const hash = await hasher.hash(`${base}a`);
        assert.equal(await hasher.verify(hash, `${base}a`), true, `${length}`);
        assert.equal(await hasher.verify(hash, `${base}b`), false, `${length}`);
        assert.equal(await hasher.verify(hash, base), false, `${length}`);
      }
    });
    test('the empty string is a password like any other', async (hasher) => {
      const hash = await hasher.hash('');
      assert.equal(await hasher.verify(hash, ''), true);
      assert.equal(await hasher.verify(hash, ' '), false);
      assert.equal(await hasher.verify(hash, '\u0000'), false);
    });
    test('its own output does not need a rehash', async (hasher) => {
      assert.equal(hasher.needsRehash(await hasher.hash('pw')), false);
      assert.equal(hasher.needsRehash(await hasher.hash('🔑')), false);
    });
    test('concurrent calls each get their own answer', async (hasher) => {
      const passwords = Array.from({ length: 8 }, (_, i) => `password-${i}`);
      const hashes = await Promise.all(passwords.map((p) => hasher.hash(p)));
      const results = await Promise.all(
        hashes.flatMap((hash, i) => [
          hasher.verify(hash, `password-${i}`),
          hasher.verify(hash, `password-${i + 1}`),
        ]),
      );
      assert.deepEqual(
        results,
        passwords.flatMap(() => [true, false]),
      );
    });
  });
}
