/**
 * Shared fixtures of the auth tests: a token service on a manual clock, and a forger that signs
 * arbitrary headers and payloads with a real key (so only the check under test can fail).
 */
import { type JWTPayload, SignJWT } from 'jose';
import {
  createKeyRing,
  createTokenService,
  generateSigningKey,
  type KeyRing,
  type SigningAlgorithm,
  type SigningKey,
  type TokenService,
  type TokenServiceOptions,
} from '../../src/auth/index.js';
import {
  createManualClock,
  createMemoryMetrics,
  type ManualClock,
  type MemoryMetrics,
} from '../../src/testing/index.js';

export const T0 = Date.UTC(2026, 0, 1);
export const ISSUER = 'https://auth.test';
export const AUDIENCE = 'api';

export interface Fixture {
  readonly clock: ManualClock;
  readonly keys: KeyRing;
  readonly key: SigningKey;
  readonly tokens: TokenService;
  readonly metrics: MemoryMetrics;
}

/**
 * A token service with one key of `alg`, on a manual clock, refreshing without custom claims. `overrides` may be a function of that clock,
 * to build stores on it.
 */
export async function fixture(
  alg: SigningAlgorithm = 'EdDSA',
  overrides: Partial<TokenServiceOptions> | ((clock: ManualClock) => Partial<TokenServiceOptions>) = {},
): Promise<Fixture> {
  const clock = createManualClock(T0);
  const key = await generateSigningKey(alg);
  const keys = await createKeyRing({ active: key, clock });
  const metrics = createMemoryMetrics({ clock });
  const tokens = createTokenService({
    issuer: ISSUER,
    audience: AUDIENCE,
    keys,
    clock,
    metrics,
    // These tests put no custom claims in refreshed tokens unless they say so.
    refreshClaims: () => ({}),
    ...(typeof overrides === 'function' ? overrides(clock) : overrides),
  });
  return { clock, keys, key, tokens, metrics };
}

/** Claims of a valid access token at `nowMs`. */
export const validClaims = (nowMs: number, extra: JWTPayload = {}): JWTPayload => ({
  iss: ISSUER,
  aud: AUDIENCE,
  sub: 'user-1',
  jti: `jti-${Math.random().toString(36).slice(2)}`,
  iat: Math.floor(nowMs / 1000),
  exp: Math.floor(nowMs / 1000) + 600,
  ver: 0,
  ...extra,
});

/** Signs `payload` with `key` under an arbitrary protected header. */
export async function forge(
  key: SigningKey,
  payload: JWTPayload,
  header: Record<string, unknown> = {},
): Promise<string> {
  return new SignJWT(payload)
    .setProtectedHeader({ alg: key.alg, kid: key.kid, typ: 'at+jwt', ...header } as { alg: string })
    .sign(key.signKey);
}

/** base64url of a JSON value. */
export const b64json = (value: unknown) => Buffer.from(JSON.stringify(value)).toString('base64url');

/** Runs `fn` and returns the `{ code, reason }` it threw (fails if it did not throw). */
export async function rejection(
  fn: () => Promise<unknown>,
): Promise<{ code: string; reason?: string; message: string }> {
  try {
    await fn();
  } catch (error) {
    const e = error as { code: string; reason?: string; message: string };
    return { code: e.code, reason: e.reason, message: e.message };
  }
  throw new Error('expected a rejection');
}
