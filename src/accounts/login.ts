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
  /** The client's IP, for the login guard's per-IP limit. */
  readonly ip: string;
}

/** The outcome of `login`. A failure never says whether the address has an account. */
export type LoginResult =
  | {
      readonly ok: true;
      /** The user as it stands after the check (its `credentialsVersion` is current). */
      readonly user: AccountUser;
      readonly rehashed: boolean;
    }
  | { readonly ok: false; readonly reason: 'invalid-credentials' | 'unverified' };

/** The user, unless its credentials changed while its password was being checked (a reset landed). */
async function unchanged(ctx: FlowContext, user: AccountUser): Promise<AccountUser | undefined> {
  const now = await ctx.users.findById(user.id);
  const same = now?.passwordHash === user.passwordHash && now.credentialsVersion === user.credentialsVersion;
  return same ? now : undefined;
}

type CheckOutcome =
  | { readonly ok: false }
  | { readonly ok: true; readonly user: AccountUser; readonly rehashed: boolean };

/** Verifies the password of `user` (or a dummy one) and rehashes when due. */
async function check(
  ctx: FlowContext,
  user: AccountUser | undefined,
  password: string,
): Promise<CheckOutcome> {
  const stored = user?.passwordHash ?? null;
  if (user === undefined || stored === null) {
    await ctx.hasher.verify(await ctx.dummyHash(), password);
    return { ok: false };
  }
  if (!(await ctx.hasher.verify(stored, password))) return { ok: false };
  // A verify takes tens of ms: a reset that wrote a new hash meanwhile must win, or a login with the
  // old password would outlive the reset that was meant to shut it out.
  const current = await unchanged(ctx, user);
  if (current === undefined) return { ok: false };
  if (!ctx.hasher.needsRehash(stored)) return { ok: true, user: current, rehashed: false };
  const passwordHash = await ctx.hasher.hash(password);
  // Compare-and-set: a reset that landed meanwhile wins over the rehash of the old password.
  const rehashed = await ctx.users.updatePasswordHash({
    userId: user.id,
    passwordHash,
    expectedHash: stored,
  });
  return { ok: true, user: current, rehashed };
}

/** `login`: checks the credentials; creates no session (your TokenService or SessionManager does). */
export async function login(ctx: FlowContext, request: LoginRequest): Promise<LoginResult> {
  const email = normalizeEmail(request.email, ctx.emailOptions);
  const password = ctx.policy.normalize(request.password);
  const found = await ctx.users.findByEmail(email);
  const checked: { outcome: CheckOutcome } = { outcome: { ok: false } };
  const verify = async () => {
    checked.outcome = await check(ctx, found, password);
    return checked.outcome.ok;
  };
  if (ctx.loginGuard === undefined) await verify();
  else {
    // The guard counts the attempt (per IP, then per account) before any hash is spent.
    const attempt = await ctx.loginGuard.attempt({ account: email, ip: request.ip }, verify);
    if (!attempt.ok && attempt.reason !== 'invalid-credentials')
      throw new AccountsThrottledError(attempt.retryAfterMs);
  }
  const result = checked.outcome;
  if (!result.ok) {
    ctx.instruments.login.add(1, { outcome: 'invalid' });
    return { ok: false, reason: 'invalid-credentials' };
  }
  if (ctx.requireVerifiedLogin && !result.user.verified) {
    ctx.instruments.login.add(1, { outcome: 'unverified' });
    return { ok: false, reason: 'unverified' };
  }
  ctx.instruments.login.add(1, { outcome: result.rehashed ? 'rehashed' : 'ok' });
  return { ok: true, user: result.user, rehashed: result.rehashed };
}
