/**
 * The Redis {@link AccountsStore}. Every operation is one Lua script, so a crash (of the app or of Redis)
 * leaves either the whole change or none of it. Key layout (`<prefix>` default `bp`):
 *
 * - `<prefix>:acct:{tok}:t:<kind>:<token hash>`: a token record (hash), TTL `ttlMs + EXPIRED_RETENTION_MS`;
 * - `<prefix>:acct:{tok}:o:<kind>:<user tag>`: the user's outstanding token of the kind (its hash), same TTL;
 * - `<prefix>:acct:{c:<key tag>}`: a cooldown's end, TTL the cooldown;
 * - `<prefix>:acct:{m:<request id>}`: a mail record (hash), TTL the record's `ttlMs`.
 *
 * Tags are the first 22 characters of the base64url SHA-256 of the user id or cooldown key, so ids and
 * emails never appear in (or shape) a key. All token keys of a store share the `{tok}` tag: issue and
 * consume touch a record and a pointer found from each other, atomically, so they must share a Redis
 * Cluster slot. Accounts traffic (signups, resets, resends) is far below one slot's capacity.
 */
import { createHash } from 'node:crypto';
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { createKeyspace } from '../core/redis/keys.js';
import { type RedisScript, type RedisScriptClient, runScript, timeArg } from '../core/redis/script.js';
import { acquireCooldownScript, getMailScript, putMailScript } from './lua/bookkeeping.js';
import { issueTokenScript, lookupTokenScript, revokeTokensScript } from './lua/tokens.js';
import {
  checkCooldown,
  checkIssue,
  checkLookup,
  checkPutMail,
  checkRequestId,
  checkRevoke,
} from './store-input.js';
import type { AccountsStore, AccountTokenKind, MailRecord, TokenLookup, TokenRecord } from './types.js';

/** Options of {@link createRedisAccountsStore}. */
export interface RedisAccountsStoreOptions {
  /** An ioredis `Redis` or `Cluster` (anything with `evalsha` and `eval`). Not closed by the store. */
  readonly client: RedisScriptClient;
  /** Key prefix, 1..64 of [A-Za-z0-9._:-]. Default `bp`. Keys are `<prefix>:acct:{<tag>}:...`. */
  readonly prefix?: string;
  /**
   * The store's time. Default none: the scripts read Redis `TIME`, so every app server decides on one
   * clock. Pass one in tests (a manual clock) or to use the app's own time.
   */
  readonly clock?: Clock;
}

const parseOptions = defineOptions('createRedisAccountsStore', {
  client: opt.port<RedisScriptClient>(['evalsha', 'eval'], 'required'),
  prefix: opt.keyPrefix(),
  clock: opt.optionalClock(),
});

/** A fixed-length tag of any string: user ids and cooldown keys never appear in a key. */
const tagOf = (value: string) => createHash('sha256').update(value).digest('base64url').slice(0, 22);

/** The keys of one store. */
function accountsKeys(prefix: string) {
  const keys = createKeyspace(prefix, 'acct');
  const TOKENS = 'tok';
  const recordPrefix = (kind: AccountTokenKind) => `${keys.key(TOKENS, 't', kind)}:`;
  const pointerPrefix = (kind: AccountTokenKind) => `${keys.key(TOKENS, 'o', kind)}:`;
  return {
    recordPrefix,
    pointerPrefix,
    record: (kind: AccountTokenKind, tokenHash: string) => recordPrefix(kind) + tokenHash,
    pointer: (kind: AccountTokenKind, userId: string) => pointerPrefix(kind) + tagOf(userId),
    cooldown: (key: string) => keys.key(`c:${tagOf(key)}`),
    mail: (requestId: string) => keys.key(`m:${requestId}`),
  };
}

/**
 * A Redis {@link AccountsStore}. Without `clock`, expiry, cooldowns and record stamps use Redis `TIME`.
 *
 * @example
 * ```ts
 * import { createRedisAccountsStore } from 'backend-patterns/accounts/redis';
 * const store = createRedisAccountsStore({ client, prefix: 'myapp' });
 * ```
 */
export function createRedisAccountsStore(options: RedisAccountsStoreOptions): AccountsStore {
  const { client, prefix, clock } = parseOptions(options);
  const keys = accountsKeys(prefix);
  const now = () => timeArg(clock);
  const run = <R>(script: RedisScript<R>, k: readonly string[], a: readonly (string | number)[]) =>
    runScript(client, script, k, a);
  const lookup = async (request: unknown, consume: boolean): Promise<TokenLookup> => {
    const { kind, tokenHash } = checkLookup(request);
    const found = await run(
      lookupTokenScript,
      [keys.record(kind, tokenHash)],
      [now(), consume ? '1' : '0', keys.pointerPrefix(kind), tokenHash],
    );
    if (found.status === 'missing') return { status: 'missing' };
    return { status: found.status, record: Object.freeze({ kind, ...found.token }) };
  };

  return {
    kind: 'redis',
    async issueToken(request) {
      const { kind, tokenHash, binding, ttlMs, payload } = checkIssue(request);
      const [replaced, issuedAtMs] = await run(
        issueTokenScript,
        [keys.record(kind, tokenHash), keys.pointer(kind, binding.userId)],
        [
          now(),
          binding.userId,
          binding.email,
          binding.credentialsVersion,
          ttlMs,
          keys.recordPrefix(kind),
          tokenHash,
          tagOf(binding.userId),
          payload ?? '',
        ],
      );
      const record: TokenRecord = Object.freeze({
        kind,
        ...binding,
        issuedAtMs,
        expiresAtMs: issuedAtMs + ttlMs,
        ...(payload === undefined ? {} : { payload }),
      });
      return { record, replaced };
    },
    findToken: (request) => lookup(request, false),
    consumeToken: (request) => lookup(request, true),
    async revokeTokens(request) {
      const { userId, kinds } = checkRevoke(request);
      return run(
        revokeTokensScript,
        kinds.map((kind) => keys.pointer(kind, userId)),
        [now(), userId, ...kinds.map((kind) => keys.recordPrefix(kind))],
      );
    },
    async acquireCooldown(request) {
      const { key, cooldownMs } = checkCooldown(request);
      return run(acquireCooldownScript, [keys.cooldown(key)], [now(), cooldownMs]);
    },
    async putMail(request) {
      const { fields, ttlMs } = checkPutMail(request);
      await run(putMailScript, [keys.mail(fields.requestId)], [now(), JSON.stringify(fields), ttlMs]);
    },
    async getMail(requestId) {
      const id = checkRequestId(requestId);
      const found = await run(getMailScript, [keys.mail(id)], [now()]);
      if (found === undefined) return undefined;
      const record: MailRecord = Object.freeze({ ...found.fields, updatedAtMs: found.updatedAtMs });
      return record;
    },
  };
}
