/**
 * TokenService end to end: issue, verify, refresh (and a replayed refresh token caught), rotate keys with
 * a JWKS, revoke, a session with the __Host- cookie, an RBAC check, and the login guard locking an
 * account. Runs in memory by default; with `--redis` every store is on Redis.
 *
 *   npm run example -- auth            # memory stores
 *   npm run example -- auth --redis    # Redis stores (REDIS_URL or redis://127.0.0.1:6379)
 */
import { randomBytes } from 'node:crypto';
import { isBackendPatternsError } from 'backend-patterns';
import {
  createKeyRing,
  createLoginGuard,
  createRbac,
  createSessionManager,
  createTokenService,
  sessionCookie,
  timingSafeEqualString,
} from 'backend-patterns/auth';
import { createRedisAuthStores } from 'backend-patterns/auth/redis';
import { createRedisRateLimitStore } from 'backend-patterns/ratelimit/redis';
import { createMemoryMetrics } from 'backend-patterns/testing';
import { Redis } from 'ioredis';

const redis = process.argv.includes('--redis')
  ? new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 1,
    })
  : undefined;
await redis?.connect();
const prefix = `example-auth-${randomBytes(3).toString('hex')}`;
const stores = redis ? createRedisAuthStores({ client: redis, prefix }) : undefined;
const metrics = createMemoryMetrics();
const say = (what: string, value: unknown) => console.log(`${what.padEnd(48)} ${value}`);
const code = (error: unknown) => (isBackendPatternsError(error) ? error.code : String(error));

// 1. Keys and tokens. In production, load the private key from your secret manager (importSigningKey).
const keys = await createKeyRing({ algorithm: 'EdDSA' });
// Your user store: refresh re-reads the roles, so a role removed since login is gone from the next token.
const rolesOf = async (sub: string) => (sub === 'user-42' ? ['author'] : []);
const tokens = createTokenService({
  issuer: 'https://api.example.com',
  audience: 'example-app',
  keys,
  refreshClaims: async (sub) => ({ roles: await rolesOf(sub) }),
  refreshStore: stores?.refresh,
  revocationStore: stores?.revocation,
  metrics,
});
console.log(`backend-patterns/auth example (${redis ? 'Redis' : 'memory'} stores)\n`);

const pair = await tokens.issuePair({ sub: 'user-42', claims: { roles: ['author'] } });
say('issued access token (bytes)', pair.accessToken.length);
const principal = await tokens.verify(pair.accessToken);
say('verified: sub / roles', `${principal.sub} / ${JSON.stringify(principal.claims.roles)}`);

// 2. Refresh rotates; replaying the old refresh token (outside the grace window) revokes the family.
const renewed = await tokens.refresh(pair.refreshToken);
say('refreshed: new refresh token differs', renewed.refreshToken !== pair.refreshToken);
say(
  'refreshed: sub / roles',
  `${renewed.sub} / ${JSON.stringify((await tokens.verify(renewed.accessToken)).claims.roles)}`,
);
const strictTokens = createTokenService({
  issuer: 'https://api.example.com',
  audience: 'example-app',
  keys,
  refreshGraceMs: 0,
  refreshClaims: async (sub) => ({ roles: await rolesOf(sub) }),
  refreshStore: stores?.refresh,
  revocationStore: stores?.revocation,
  metrics,
});
const stolen = await strictTokens.issuePair({ sub: 'user-7' });
const legit = await strictTokens.refresh(stolen.refreshToken);
await strictTokens.refresh(stolen.refreshToken).catch((e) => say('replayed refresh token', code(e)));
await strictTokens.refresh(legit.refreshToken).catch((e) => say('…and the family is now', code(e)));

// 3. Key rotation: prepare (publish), rotate, old tokens keep verifying during the grace period.
await keys.prepare();
say('JWKS keys published after prepare()', keys.jwks().keys.length);
const { retiredKid } = await keys.rotate();
say(
  'old token after rotate(), signed by',
  (await tokens.verify(renewed.accessToken)).kid === retiredKid ? 'retired key (grace)' : '?',
);

// 4. Revocation by jti, and per user.
await tokens.revoke(renewed.accessToken);
await tokens.verify(renewed.accessToken).catch((e) => say('revoked access token', code(e)));
await tokens.revokeAllForUser('user-42');
await tokens.verify(pair.accessToken).catch((e) => say('after revokeAllForUser', code(e)));

// 5. Stateful session + cookie.
const sessions = createSessionManager({ store: stores?.sessions });
const login = await sessions.create({ userId: 'user-42', data: { theme: 'dark' } });
say('Set-Cookie', sessionCookie(login.token).replace(login.token, '<token>'));
say('session valid', (await sessions.validate(login.token)).valid);
const elevated = await sessions.regenerate(login.token, { data: { sudo: true } });
say(
  'after regenerate: old id valid / new id valid',
  `${(await sessions.validate(login.token)).valid} / ${(await sessions.validate(elevated?.token ?? '')).valid}`,
);

// 6. RBAC with ownership.
const rbac = createRbac<{ id: string; roles: string[] }, { authorId: string }>({
  roles: {
    viewer: { allow: ['post:read'] },
    author: {
      inherits: ['viewer'],
      allow: [{ permission: 'post:edit', when: (u, p) => p.authorId === u.id }],
    },
  },
});
const author = { id: 'user-42', roles: ['author'] };
say(
  'author edits own post / someone else’s',
  `${rbac.can(author, 'post:edit', { authorId: 'user-42' })} / ${rbac.can(author, 'post:edit', { authorId: 'x' })}`,
);
try {
  rbac.assert(author, 'post:delete');
} catch (e) {
  say('assert post:delete', code(e));
}

// 7. Login guard: 5 wrong passwords lock the account; the metric counts failures.
const guard = createLoginGuard({
  store: redis ? createRedisRateLimitStore({ client: redis, prefix }) : undefined,
  metrics,
});
const storedPassword = 'correct horse battery staple';
const attempt = (password: string) =>
  guard.attempt({ account: 'alice@example.com', ip: '203.0.113.7' }, () =>
    timingSafeEqualString(password, storedPassword),
  );
for (let i = 0; i < 5; i++) await attempt('guess');
const sixth = await attempt(storedPassword);
say(
  '6th attempt (right password)',
  sixth.ok ? 'ok' : `${sixth.reason}, retry in ${Math.round(sixth.retryAfterMs / 60_000)} min`,
);
// After a successful password reset, unlock the account (any spelling of it: ids are normalised).
await guard.unlock(' Alice@Example.com');
const afterReset = await attempt(storedPassword);
say('after unlock (password reset)', afterReset.ok ? 'ok' : afterReset.reason);
say(
  'auth.login.failures{reason=invalid-credentials}',
  metrics.counterValue('auth.login.failures', { reason: 'invalid-credentials' }),
);
say('auth.refresh.reuse_detected', metrics.counterValue('auth.refresh.reuse_detected'));

if (redis) {
  let cursor = '0';
  do {
    const [next, found] = await redis.scan(cursor, 'MATCH', `${prefix}*`, 'COUNT', 1000);
    cursor = next;
    if (found.length) await redis.del(...found);
  } while (cursor !== '0');
  redis.disconnect();
}
