import { isBackendPatternsError } from 'backend-patterns';
import {
  createKeyRing,
  createLoginGuard,
  createRbac,
  createSessionManager,
  createTokenService,
} from 'backend-patterns/auth';
import { createRedisAuthStores } from 'backend-patterns/auth/redis';
import { createRedisRateLimitStore } from 'backend-patterns/ratelimit/redis';
import { createManualClock } from 'backend-patterns/testing';
import type { DemoSection } from '../types.js';

const MIN = 60_000;
const outcome = async (run: () => Promise<unknown>) => {
  try {
    await run();
    return 'accepted';
  } catch (error) {
    return isBackendPatternsError(error)
      ? `${error.code}${'reason' in error ? ` (${String(error.reason)})` : ''}`
      : 'unexpected';
  }
};

export const authSection: DemoSection = {
  title: 'TokenService (auth)',
  problem: 'verify identity and control access: short JWTs vs revocable sessions, token theft, brute force',
  async run({ redis, metrics, prefix, step }) {
    const clock = createManualClock(Date.UTC(2026, 0, 1, 9, 0, 0));
    // The stores share the demo's manual clock, so token `exp` and store time agree.
    const stores = redis ? createRedisAuthStores({ client: redis, prefix, clock }) : undefined;
    const keys = await createKeyRing({ algorithm: 'EdDSA', clock });
    const tokens = createTokenService({
      issuer: 'https://demo.example',
      audience: 'demo',
      keys,
      clock,
      metrics,
      // The demo's tokens carry no custom claims; an app re-reads roles here.
      refreshClaims: () => ({}),
      refreshStore: stores?.refresh,
      revocationStore: stores?.revocation,
    });

    const pair = await tokens.issuePair({ sub: 'ada', claims: { roles: ['author'] } });
    step(
      'issue an EdDSA access token + refresh family',
      `typ at+jwt, ${pair.accessToken.length} bytes, expires in 10 min`,
    );
    const [h, p] = pair.accessToken.split('.');
    step(
      'verify a token whose payload was tampered (sub: admin)',
      await outcome(() =>
        tokens.verify(
          `${h}.${Buffer.from(JSON.stringify({ sub: 'admin' })).toString('base64url')}.${pair.accessToken.split('.')[2]}`,
        ),
      ),
    );
    step(
      'verify a token with alg none',
      await outcome(() => tokens.verify(`${Buffer.from('{"alg":"none"}').toString('base64url')}.${p}.`)),
    );
    clock.advance(11 * MIN);
    step('verify the access token 11 min later', await outcome(() => tokens.verify(pair.accessToken)));

    const renewed = await tokens.refresh(pair.refreshToken);
    clock.advance(MIN);
    step(
      'a thief replays the rotated refresh token a minute later',
      await outcome(() => tokens.refresh(pair.refreshToken)),
    );
    step('the legitimate client refreshes next', await outcome(() => tokens.refresh(renewed.refreshToken)));

    const fresh = await tokens.issue({ sub: 'ada' });
    await tokens.revoke(fresh.token);
    step('revoke a token by jti, then verify it', await outcome(() => tokens.verify(fresh.token)));

    const sessions = createSessionManager({ clock, store: stores?.sessions });
    const login = await sessions.create({ userId: 'ada' });
    clock.advance(31 * MIN);
    step(
      'stateful session idle for 31 min (idle timeout 30 min)',
      JSON.stringify(await sessions.validate(login.token)),
    );

    const rbac = createRbac({
      roles: {
        viewer: { allow: ['post:read'] },
        admin: { inherits: ['viewer'], allow: ['*:*'], deny: ['billing:delete'] },
      },
    });
    const admin = { id: 'root', roles: ['admin'] };
    step(
      'RBAC: admin has *:* but billing:delete is denied',
      `post:edit=${rbac.can(admin, 'post:edit')} billing:delete=${rbac.can(admin, 'billing:delete')}`,
    );

    const guard = createLoginGuard({
      clock,
      metrics,
      store: redis ? createRedisRateLimitStore({ client: redis, prefix, clock }) : undefined,
    });
    const results: string[] = [];
    for (let i = 0; i < 6; i++) {
      const r = await guard.attempt({ account: 'ada@example.com', ip: '203.0.113.7' }, () => false);
      results.push(r.ok ? 'ok' : r.reason);
    }
    step('6 wrong passwords for one account', results.join(', '));
    step(
      'failed logins per minute (metric auth.login.failures)',
      `${metrics.rate('auth.login.failures', MIN) * 60} failures/min`,
    );
  },
};
