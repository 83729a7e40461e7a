import assert from 'node:assert/strict';
import { createHash, randomBytes } from 'node:crypto';
import {
  type AccountsStore,
  type AccountTokenKind,
  EXPIRED_RETENTION_MS,
  type IssueTokenRequest,
  MAX_COOLDOWN_MS,
  MAX_MAIL_TTL_MS,
  MAX_REQUEST_ID_LENGTH,
  MAX_STORE_TEXT_LENGTH,
  MAX_TOKEN_TTL_MS,
} from '../../accounts/index.js';
import { type ContractOptions, type ContractTestApi, withFixture } from './test-api.js';

/** Options of {@link accountsStoreContract}: a `name` and a `setup(clock)` building a fresh, empty store on that clock. */
export type AccountsStoreContractOptions = ContractOptions<AccountsStore>;

const MIN = 60_000;
const HOUR = 60 * MIN;

/** The SHA-256 (hex) of a fresh 32-byte token: all a store ever sees of a token. */
const tokenHash = () => createHash('sha256').update(randomBytes(32)).digest('hex');
const user = () => `user-${randomBytes(6).toString('hex')}`;
const requestId = () => `req-${randomBytes(6).toString('hex')}`;

const issueRequest = (
  userId: string,
  overrides: Partial<Omit<IssueTokenRequest, 'binding'>> & {
    email?: string;
    credentialsVersion?: number;
  } = {},
): IssueTokenRequest => ({
  kind: overrides.kind ?? 'verify',
  tokenHash: overrides.tokenHash ?? tokenHash(),
  binding: {
    userId,
    email: overrides.email ?? `${userId}@example.com`,
    credentialsVersion: overrides.credentialsVersion ?? 0,
  },
  ttlMs: overrides.ttlMs ?? HOUR,
});

const lookup = (kind: AccountTokenKind, hash: string) => ({ kind, tokenHash: hash });

/** Asserts that `call` rejects (asynchronously) with ERR_INVALID_ARGUMENT. */
async function invalid(call: () => Promise<unknown>, label: string): Promise<void> {
  await assert.rejects(call, (error: unknown) => {
    assert.equal((error as { code?: unknown }).code, 'ERR_INVALID_ARGUMENT', label);
    return true;
  });
}

/** Strings no store may accept as a user id, an email or a cooldown key. */
const BAD_TEXT: readonly [string, unknown][] = [
  ['empty', ''],
  ['too long', 'x'.repeat(MAX_STORE_TEXT_LENGTH + 1)],
  ['a megabyte', 'x'.repeat(1_000_000)],
  ['NUL inside', 'a\u0000b'],
  ['a newline', 'a\nb'],
  ['DEL', 'a\u007fb'],
  ['a lone surrogate', 'a\ud800b'],
  ['a number', 42],
  ['an object', { toString: () => 'x' }],
  ['null', null],
];

/** Values no store may accept as a token hash: only 64 lower-case hex characters are a SHA-256. */
const BAD_HASHES: readonly [string, unknown][] = [
  ['upper-case hex', 'A'.repeat(64)],
  ['63 characters', 'a'.repeat(63)],
  ['65 characters', 'a'.repeat(65)],
  ['non-hex', 'g'.repeat(64)],
  ['a raw base64url token', randomBytes(32).toString('base64url')],
  ['hex with a trailing newline', `${'a'.repeat(64)}\n`],
  ['empty', ''],
  ['a number', 1234],
  ['missing', undefined],
];

/** Bad lifetimes: zero, negative, fractional, not finite, over the limit, not a number. */
const badDurations = (max: number): readonly [string, unknown][] => [
  ['0', 0],
  ['-1', -1],
  ['1.5', 1.5],
  ['NaN', Number.NaN],
  ['Infinity', Number.POSITIVE_INFINITY],
  ['max + 1', max + 1],
  ['1e300', 1e300],
  ['a string', '60000'],
  ['missing', undefined],
];

/**
 * The AccountsStore contract: one outstanding token per user and kind (a new one replaces the old one
 * atomically), consume as get-and-delete with exactly one winner under concurrency, expiry then
 * retention (`expired` for EXPIRED_RETENTION_MS, then `missing`), kinds never interchangeable,
 * revocation, cooldowns, mail records, and hostile arguments refused with ERR_INVALID_ARGUMENT before
 * anything is written. Time moves only through the manual clock `setup` receives.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * import { createMemoryAccountsStore } from 'backend-patterns/accounts';
 * accountsStoreContract({ describe, it }, { name: 'memory', setup: (clock) => ({ subject: createMemoryAccountsStore({ clock }) }) });
 * ```
 */
export function accountsStoreContract(t: ContractTestApi, options: AccountsStoreContractOptions): void {
  const test = (title: string, body: Parameters<typeof withFixture<AccountsStore>>[1]) =>
    t.it(title, withFixture(options.setup, body));

  t.describe(`AccountsStore contract: ${options.name}`, () => {
    test('reports its kind', (store) => {
      assert.equal(typeof store.kind, 'string');
      assert.ok(store.kind.length > 0);
    });

    test('an issued token is found, bound to its user, with instants of the store time', async (store, clock) => {
      const u = user();
      const request = issueRequest(u, { credentialsVersion: 7, ttlMs: 30 * MIN });
      const issued = await store.issueToken(request);
      const record = {
        kind: 'verify',
        userId: u,
        email: `${u}@example.com`,
        credentialsVersion: 7,
        issuedAtMs: clock.now(),
        expiresAtMs: clock.now() + 30 * MIN,
      };
      assert.deepEqual(issued, { record, replaced: false });
      clock.advance(1_000);
      assert.deepEqual(await store.findToken(lookup('verify', request.tokenHash)), {
        status: 'valid',
        record,
      });
      // findToken is read-only.
      assert.deepEqual(await store.findToken(lookup('verify', request.tokenHash)), {
        status: 'valid',
        record,
      });
    });

    test('a payload is kept with its token and returned by find and consume; none means no field', async (store) => {
      const id = user();
      const hash = tokenHash();
      const payload =
        '$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHRzYWx0$aGFzaGhhc2hoYXNoaGFzaGhhc2hoYXNoaGFzaA';
      const issued = await store.issueToken({ ...issueRequest(id, { tokenHash: hash }), payload });
      assert.equal(issued.record.payload, payload);
      const found = await store.findToken(lookup('verify', hash));
      assert.equal(found.status === 'valid' && found.record.payload, payload);
      const used = await store.consumeToken(lookup('verify', hash));
      assert.equal(used.status === 'valid' && used.record.payload, payload);
      const plain = tokenHash();
      await store.issueToken(issueRequest(user(), { tokenHash: plain }));
      const without = await store.findToken(lookup('verify', plain));
      assert.equal(without.status === 'valid' && 'payload' in without.record, false);
      for (const [label, bad] of [
        ['too long', 'x'.repeat(1025)],
        ['a newline', 'a\nb'],
        ['NUL', 'a\u0000b'],
        ['a number', 42],
        ['empty', ''],
      ] as const) {
        const h = tokenHash();
        await invalid(
          () => store.issueToken({ ...issueRequest(user(), { tokenHash: h }), payload: bad as string }),
          `payload ${label}`,
        );
        assert.deepEqual(
          await store.findToken(lookup('verify', h)),
          { status: 'missing' },
          `nothing written: ${label}`,
        );
      }
    });

    test('an unknown token is missing', async (store) => {
      assert.deepEqual(await store.findToken(lookup('verify', tokenHash())), { status: 'missing' });
      assert.deepEqual(await store.consumeToken(lookup('reset', tokenHash())), { status: 'missing' });
    });

    test('consume returns a token once; then it is missing', async (store) => {
      const request = issueRequest(user(), { kind: 'reset' });
      const { record } = await store.issueToken(request);
      assert.deepEqual(await store.consumeToken(lookup('reset', request.tokenHash)), {
        status: 'valid',
        record,
      });
      assert.deepEqual(await store.consumeToken(lookup('reset', request.tokenHash)), { status: 'missing' });
      assert.deepEqual(await store.findToken(lookup('reset', request.tokenHash)), { status: 'missing' });
    });

    test('100 concurrent consumes of one token: exactly one is valid', async (store) => {
      const request = issueRequest(user(), { kind: 'reset' });
      await store.issueToken(request);
      const results = await Promise.all(
        Array.from({ length: 100 }, () => store.consumeToken(lookup('reset', request.tokenHash))),
      );
      assert.equal(results.filter((r) => r.status === 'valid').length, 1);
      assert.equal(results.filter((r) => r.status === 'missing').length, 99);
    });

    test('a token of one kind is missing as the other kind, and is not used up by the attempt', async (store) => {
      const u = user();
      const verify = issueRequest(u, { kind: 'verify' });
      await store.issueToken(verify);
      assert.deepEqual(await store.findToken(lookup('reset', verify.tokenHash)), { status: 'missing' });
      assert.deepEqual(await store.consumeToken(lookup('reset', verify.tokenHash)), { status: 'missing' });
      assert.equal((await store.findToken(lookup('verify', verify.tokenHash))).status, 'valid');
      // One outstanding token per kind: a reset token does not replace the verify token.
      const reset = issueRequest(u, { kind: 'reset' });
      assert.equal((await store.issueToken(reset)).replaced, false);
      assert.equal((await store.consumeToken(lookup('verify', verify.tokenHash))).status, 'valid');
      assert.equal((await store.consumeToken(lookup('reset', reset.tokenHash))).status, 'valid');
    });

    test('a new token replaces the outstanding one of its user and kind, atomically', async (store, clock) => {
      const u = user();
      const other = issueRequest(user());
      await store.issueToken(other);
      const first = issueRequest(u);
      assert.equal((await store.issueToken(first)).replaced, false);
      clock.advance(1_000);
      const second = issueRequest(u, { credentialsVersion: 1 });
      const issued = await store.issueToken(second);
      assert.equal(issued.replaced, true);
      assert.equal(issued.record.issuedAtMs, clock.now());
      assert.deepEqual(await store.findToken(lookup('verify', first.tokenHash)), { status: 'missing' });
      assert.deepEqual(await store.consumeToken(lookup('verify', first.tokenHash)), { status: 'missing' });
      assert.deepEqual(await store.findToken(lookup('verify', second.tokenHash)), {
        status: 'valid',
        record: issued.record,
      });
      assert.equal((await store.findToken(lookup('verify', other.tokenHash))).status, 'valid', 'other user');
    });

    test('replacing an expired token deletes it and reports replaced: false', async (store, clock) => {
      const u = user();
      const first = issueRequest(u, { ttlMs: MIN });
      await store.issueToken(first);
      clock.advance(MIN);
      assert.equal((await store.issueToken(issueRequest(u))).replaced, false);
      assert.deepEqual(await store.findToken(lookup('verify', first.tokenHash)), { status: 'missing' });
    });

    test('a consumed token is no longer outstanding: the next one replaces nothing', async (store) => {
      const u = user();
      const first = issueRequest(u);
      await store.issueToken(first);
      await store.consumeToken(lookup('verify', first.tokenHash));
      assert.equal((await store.issueToken(issueRequest(u))).replaced, false);
    });

    test('valid until expiresAtMs, expired for the retention, then missing', async (store, clock) => {
      const request = issueRequest(user(), { ttlMs: 10 * MIN });
      const { record } = await store.issueToken(request);
      const find = () => store.findToken(lookup('verify', request.tokenHash));
      clock.set(record.expiresAtMs - 1);
      assert.deepEqual(await find(), { status: 'valid', record });
      clock.set(record.expiresAtMs);
      assert.deepEqual(await find(), { status: 'expired', record });
      clock.set(record.expiresAtMs + EXPIRED_RETENTION_MS - 1);
      assert.deepEqual(await find(), { status: 'expired', record });
      clock.set(record.expiresAtMs + EXPIRED_RETENTION_MS);
      assert.deepEqual(await find(), { status: 'missing' });
      assert.deepEqual(await store.consumeToken(lookup('verify', request.tokenHash)), { status: 'missing' });
    });

    test('consuming an expired token reports expired once and deletes it', async (store, clock) => {
      const u = user();
      const request = issueRequest(u, { ttlMs: MIN });
      const { record } = await store.issueToken(request);
      clock.advance(MIN + 1);
      assert.deepEqual(await store.consumeToken(lookup('verify', request.tokenHash)), {
        status: 'expired',
        record,
      });
      assert.deepEqual(await store.consumeToken(lookup('verify', request.tokenHash)), { status: 'missing' });
      assert.deepEqual(await store.findToken(lookup('verify', request.tokenHash)), { status: 'missing' });
      assert.equal(await store.revokeTokens({ userId: u }), 0);
    });

    test('revokeTokens deletes the outstanding tokens of one kind, or of both', async (store) => {
      const u = user();
      const verify = issueRequest(u, { kind: 'verify' });
      const reset = issueRequest(u, { kind: 'reset' });
      const other = issueRequest(user(), { kind: 'reset' });
      for (const r of [verify, reset, other]) await store.issueToken(r);
      assert.equal(await store.revokeTokens({ userId: u, kind: 'reset' }), 1);
      assert.deepEqual(await store.findToken(lookup('reset', reset.tokenHash)), { status: 'missing' });
      assert.equal((await store.findToken(lookup('verify', verify.tokenHash))).status, 'valid');
      assert.equal(await store.revokeTokens({ userId: u }), 1);
      assert.deepEqual(await store.consumeToken(lookup('verify', verify.tokenHash)), { status: 'missing' });
      assert.equal(await store.revokeTokens({ userId: u }), 0);
      assert.equal((await store.findToken(lookup('reset', other.tokenHash))).status, 'valid', 'other user');
      assert.equal((await store.issueToken(issueRequest(u))).replaced, false);
    });

    test('revokeTokens counts live tokens only, and deletes expired ones too', async (store, clock) => {
      const u = user();
      const old = issueRequest(u, { kind: 'reset', ttlMs: MIN });
      const live = issueRequest(u, { kind: 'verify', ttlMs: HOUR });
      await store.issueToken(old);
      await store.issueToken(live);
      clock.advance(2 * MIN);
      assert.equal(await store.revokeTokens({ userId: u }), 1);
      assert.deepEqual(await store.findToken(lookup('reset', old.tokenHash)), { status: 'missing' });
      assert.deepEqual(await store.findToken(lookup('verify', live.tokenHash)), { status: 'missing' });
    });

    test('user ids and emails of any unicode round-trip, and similar ids stay apart', async (store) => {
      const ids = [
        '}{evil}:',
        '{x}',
        'a:b',
        'a',
        'a:',
        'ユーザー',
        '👩‍💻',
        'x'.repeat(MAX_STORE_TEXT_LENGTH),
      ];
      const requests = ids.map((id, i) => issueRequest(id, { email: `ユーザー${i}@bücher.example` }));
      for (const r of requests) await store.issueToken(r);
      assert.equal(await store.revokeTokens({ userId: 'a' }), 1);
      for (const r of requests.filter((r) => r.binding.userId !== 'a')) {
        const found = await store.consumeToken(lookup('verify', r.tokenHash));
        assert.equal(found.status, 'valid', r.binding.userId);
        if (found.status === 'valid') assert.deepEqual(found.record.userId, r.binding.userId);
        if (found.status === 'valid') assert.deepEqual(found.record.email, r.binding.email);
      }
    });

    test('a cooldown is taken once; retryAfterMs counts down; it is free again at its end', async (store, clock) => {
      const key = `reset:${user()}@example.com`;
      assert.deepEqual(await store.acquireCooldown({ key, cooldownMs: MIN }), {
        acquired: true,
        retryAfterMs: 0,
      });
      assert.deepEqual(await store.acquireCooldown({ key, cooldownMs: MIN }), {
        acquired: false,
        retryAfterMs: MIN,
      });
      clock.advance(15_000);
      assert.deepEqual(await store.acquireCooldown({ key, cooldownMs: 5 * MIN }), {
        acquired: false,
        retryAfterMs: 45_000,
      });
      assert.equal((await store.acquireCooldown({ key: `${key}:other`, cooldownMs: MIN })).acquired, true);
      clock.advance(45_000);
      assert.deepEqual(await store.acquireCooldown({ key, cooldownMs: 2 * MIN }), {
        acquired: true,
        retryAfterMs: 0,
      });
      clock.advance(1);
      assert.deepEqual(await store.acquireCooldown({ key, cooldownMs: MIN }), {
        acquired: false,
        retryAfterMs: 2 * MIN - 1,
      });
    });

    test('10 concurrent cooldown attempts: exactly one acquires', async (store) => {
      const key = `verify:${user()}`;
      const results = await Promise.all(
        Array.from({ length: 10 }, () => store.acquireCooldown({ key, cooldownMs: MIN })),
      );
      assert.equal(results.filter((r) => r.acquired).length, 1);
    });

    test('a mail record is stamped with the store time and overwritten as a whole', async (store, clock) => {
      const id = requestId();
      assert.equal(await store.getMail(id), undefined);
      await store.putMail({
        record: { requestId: id, kind: 'reset-unknown', status: 'skipped', reason: 'no-account' },
        ttlMs: HOUR,
      });
      const first = await store.getMail(id);
      assert.deepEqual(first, {
        requestId: id,
        kind: 'reset-unknown',
        status: 'skipped',
        reason: 'no-account',
        updatedAtMs: clock.now(),
      });
      assert.equal(first !== undefined && 'userId' in first, false, 'absent fields stay absent');
      clock.advance(5_000);
      await store.putMail({
        record: { requestId: id, kind: 'reset', status: 'sent', userId: 'ユーザー', messageId: 'msg-1' },
        ttlMs: HOUR,
      });
      assert.deepEqual(await store.getMail(id), {
        requestId: id,
        kind: 'reset',
        status: 'sent',
        userId: 'ユーザー',
        messageId: 'msg-1',
        updatedAtMs: clock.now(),
      });
      assert.equal(await store.getMail(requestId()), undefined, 'other ids are untouched');
    });

    test('a mail record read back can be written again; the store re-stamps it', async (store, clock) => {
      const id = requestId();
      await store.putMail({ record: { requestId: id, kind: 'verify', status: 'queued' }, ttlMs: HOUR });
      const read = await store.getMail(id);
      assert.ok(read);
      clock.advance(1_000);
      await store.putMail({ record: { ...read, status: 'delivered' }, ttlMs: HOUR });
      assert.deepEqual(await store.getMail(id), { ...read, status: 'delivered', updatedAtMs: clock.now() });
    });

    test('a mail record expires after its ttl', async (store, clock) => {
      const id = requestId();
      const startMs = clock.now();
      await store.putMail({ record: { requestId: id, kind: 'verify', status: 'queued' }, ttlMs: MIN });
      clock.set(startMs + MIN - 1);
      assert.equal((await store.getMail(id))?.status, 'queued');
      clock.set(startMs + MIN);
      assert.equal(await store.getMail(id), undefined);
    });

    test('hostile issueToken arguments are refused and nothing is written', async (store) => {
      const u = user();
      const existing = issueRequest(u);
      await store.issueToken(existing);
      const hash = tokenHash();
      const base = issueRequest(u, { tokenHash: hash });
      const bad: [string, unknown][] = [
        ['no request', undefined],
        ['a null request', null],
        ['a string request', 'verify'],
        ['an unknown kind', { ...base, kind: 'admin' }],
        ['an upper-case kind', { ...base, kind: 'VERIFY' }],
        ['no binding', { ...base, binding: undefined }],
        ['a string binding', { ...base, binding: u }],
        ...BAD_HASHES.map(([label, v]): [string, unknown] => [
          `tokenHash ${label}`,
          { ...base, tokenHash: v },
        ]),
        ...BAD_TEXT.map(([label, v]): [string, unknown] => [
          `userId ${label}`,
          { ...base, binding: { ...base.binding, userId: v } },
        ]),
        ...BAD_TEXT.map(([label, v]): [string, unknown] => [
          `email ${label}`,
          { ...base, binding: { ...base.binding, email: v } },
        ]),
        ...[-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, 2 ** 53, '1', undefined].map(
          (v): [string, unknown] => [
            `credentialsVersion ${String(v)}`,
            { ...base, binding: { ...base.binding, credentialsVersion: v } },
          ],
        ),
        ...badDurations(MAX_TOKEN_TTL_MS).map(([label, v]): [string, unknown] => [
          `ttlMs ${label}`,
          { ...base, ttlMs: v },
        ]),
      ];
      for (const [label, request] of bad) await invalid(() => store.issueToken(request as never), label);
      assert.deepEqual(await store.findToken(lookup('verify', hash)), { status: 'missing' });
      assert.equal(
        (await store.findToken(lookup('verify', existing.tokenHash))).status,
        'valid',
        'the outstanding token was not replaced',
      );
    });

    test('hostile lookups and revocations are refused and use nothing up', async (store) => {
      const u = user();
      const request = issueRequest(u);
      await store.issueToken(request);
      const lookups: [string, unknown][] = [
        ['no request', undefined],
        ['an unknown kind', { kind: 'admin', tokenHash: request.tokenHash }],
        ['no kind', { tokenHash: request.tokenHash }],
        ...BAD_HASHES.map(([label, v]): [string, unknown] => [label, { kind: 'verify', tokenHash: v }]),
      ];
      for (const [label, bad] of lookups) {
        await invalid(() => store.findToken(bad as never), `find: ${label}`);
        await invalid(() => store.consumeToken(bad as never), `consume: ${label}`);
      }
      const revocations: [string, unknown][] = [
        ['no request', undefined],
        ['an unknown kind', { userId: u, kind: 'admin' }],
        ...BAD_TEXT.map(([label, v]): [string, unknown] => [`userId ${label}`, { userId: v }]),
      ];
      for (const [label, bad] of revocations) await invalid(() => store.revokeTokens(bad as never), label);
      assert.equal((await store.consumeToken(lookup('verify', request.tokenHash))).status, 'valid');
    });

    test('hostile cooldown arguments are refused and take nothing', async (store) => {
      const key = `reset:${user()}`;
      const bad: [string, unknown][] = [
        ['no request', undefined],
        ...BAD_TEXT.map(([label, v]): [string, unknown] => [`key ${label}`, { key: v, cooldownMs: MIN }]),
        ...badDurations(MAX_COOLDOWN_MS).map(([label, v]): [string, unknown] => [
          `cooldownMs ${label}`,
          { key, cooldownMs: v },
        ]),
      ];
      for (const [label, request] of bad) await invalid(() => store.acquireCooldown(request as never), label);
      assert.equal((await store.acquireCooldown({ key, cooldownMs: MIN })).acquired, true);
    });

    test('hostile mail records are refused and nothing is written', async (store) => {
      const id = requestId();
      const base = { requestId: id, kind: 'verify', status: 'queued' };
      const badIds: [string, unknown][] = [
        ['empty', ''],
        ['too long', 'r'.repeat(MAX_REQUEST_ID_LENGTH + 1)],
        ['a space', 'a b'],
        ['a colon', 'a:b'],
        ['braces', '{x}'],
        ['NUL', 'a\u0000'],
        ['non-ASCII', 'é'],
        ['a number', 7],
      ];
      const bad: [string, unknown][] = [
        ['no request', undefined],
        ['no record', { ttlMs: HOUR }],
        ['an array record', { record: [base], ttlMs: HOUR }],
        ...badIds.map(([label, v]): [string, unknown] => [
          `requestId ${label}`,
          { record: { ...base, requestId: v }, ttlMs: HOUR },
        ]),
        ['an unknown kind', { record: { ...base, kind: 'spam' }, ttlMs: HOUR }],
        ['an unknown status', { record: { ...base, status: 'read' }, ttlMs: HOUR }],
        ...(['userId', 'messageId', 'reason'] as const).flatMap((field) =>
          BAD_TEXT.filter(([label]) => label !== 'null').map(([label, v]): [string, unknown] => [
            `${field} ${label}`,
            { record: { ...base, [field]: v }, ttlMs: HOUR },
          ]),
        ),
        ['a function field', { record: { ...base, reason: () => 'x' }, ttlMs: HOUR }],
        ['an unknown field', { record: { ...base, html: '<p>' }, ttlMs: HOUR }],
        [
          'a prototype key',
          {
            record: JSON.parse(`{"requestId":"${id}","kind":"verify","status":"queued","__proto__":{"x":1}}`),
            ttlMs: HOUR,
          },
        ],
        ...badDurations(MAX_MAIL_TTL_MS).map(([label, v]): [string, unknown] => [
          `ttlMs ${label}`,
          { record: base, ttlMs: v },
        ]),
      ];
      for (const [label, request] of bad) await invalid(() => store.putMail(request as never), label);
      assert.equal(await store.getMail(id), undefined);
      for (const [label, v] of badIds) await invalid(() => store.getMail(v as never), `getMail ${label}`);
    });
  });
}
