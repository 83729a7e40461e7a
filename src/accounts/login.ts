/**
 * Password login: the same normalisation as signup, a verify against a dummy hash for unknown addresses
 * (so an unknown address costs the same hash as a known one), rehash-on-login when the parameters or the
 * pepper changed, and the login guard of `backend-patterns/auth` when one is wired.
 */
import type { FlowContext } from './context.js';
import { normalizeEmail } from './email.js';
import { AccountsThrottledError } from './errors.js';
import type { AccountUser } from './types.js';

/** Input of `login`. */
export interface LoginRequest {
  readonly email: string;
  readonly password: string;
  /** The client's IP, for the login guard (required when one is wired). */
  readonly ip?: string;
}

/** The outcome of `login`. A failure never says whether the address has an account. */
export type LoginResult =
  | { readonly ok: true; readonly user: AccountUser; readonly rehashed: boolean }
  | { readonly ok: false; readonly reason: 'invalid-credentials' | 'unverified' };

/** Verifies the password of `user` (or a dummy one) and rehashes when due. */
async function check(ctx: FlowContext, user: AccountUser | undefined, password: string) {
  const stored = user?.passwordHash ?? null;
  if (user === undefined || stored === null) {
    await ctx.hasher.verify(await ctx.dummyHash(), password);
    return { ok: false as const };
  }
  if (!(await ctx.hasher.verify(stored, password))) return { ok: false as const };
  if (!ctx.hasher.needsRehash(stored)) return { ok: true as const, rehashed: false };
  const passwordHash = await ctx.hasher.hash(password);
  // Compare-and-set: a reset that landed meanwhile wins over the rehash of the old password.
  const rehashed = await ctx.users.updatePasswordHash({
    userId: user.id,
    passwordHash,
    expectedHash: stored,
  });
  return { ok: true as const, rehashed };
}

/** `login`: checks the credentials; creates no session (your TokenService or SessionManager does). */
export async function login(ctx: FlowContext, request: LoginRequest): Promise<LoginResult> {
  const email = normalizeEmail(request.email, ctx.emailOptions);
  const password = ctx.policy.normalize(request.password);
  const user = await ctx.users.findByEmail(email);
  let outcome: { ok: boolean; rehashed?: boolean } = { ok: false };
  const verify = async () => {
    outcome = await check(ctx, user, password);
    return outcome.ok;
  };
  if (ctx.loginGuard === undefined) await verify();
  else {
    const attempt = await ctx.loginGuard.attempt({ account: email, ip: request.ip ?? '' }, verify);
    if (!attempt.ok && attempt.reason !== 'invalid-credentials')
      throw new AccountsThrottledError(attempt.retryAfterMs);
  }
  if (!outcome.ok || user === undefined) {
    ctx.instruments.login.add(1, { outcome: 'invalid' });
    return { ok: false, reason: 'invalid-credentials' };
  }
  if (ctx.requireVerifiedLogin && !user.verified) {
    ctx.instruments.login.add(1, { outcome: 'unverified' });
    return { ok: false, reason: 'unverified' };
  }
  const rehashed = outcome.rehashed === true;
  ctx.instruments.login.add(1, { outcome: rehashed ? 'rehashed' : 'ok' });
  return { ok: true, user, rehashed };
}
