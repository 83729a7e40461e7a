/**
 * Signup and email verification. A signup answers the same way, with the same work and inside the same
 * floor, whether the address is new or taken: both paths check the policy, hash the password and add
 * one mail job; a taken address gets a "someone signed up with your address" mail instead of a
 * verification link, so only the mailbox owner learns that the account exists.
 */
import type { FlowContext } from './context.js';
import { normalizeEmail } from './email.js';
import { AccountsThrottledError, AccountTokenExpiredError, AccountTokenInvalidError } from './errors.js';
import { enqueueMail, newRequestId } from './mail.js';
import { withFloor } from './timebox.js';
import { tokenHashOf } from './tokens.js';
import type { AccountUser } from './types.js';

/** Input of `signup`. */
export interface SignupRequest {
  readonly email: string;
  readonly password: string;
  /** The client's IP (or another client key), for the per-IP limit. */
  readonly ip: string;
  /** Whether the account will have a second factor: the policy's shorter minimum applies. */
  readonly mfa?: boolean;
}

/** Input of `resendVerification`. */
export interface ResendRequest {
  readonly email: string;
  readonly ip: string;
}

/**
 * The one answer of `signup`, `resendVerification` and `requestReset`: the same keys in the same order
 * whatever happened. `requestId` is for your logs and support tools (`deliveryStatus`); do not show
 * delivery details to an anonymous caller, they would tell whether the address has an account.
 */
export interface AcceptedResponse {
  readonly status: 'accepted';
  readonly requestId: string;
}

const accepted = (requestId: string): AcceptedResponse => ({ status: 'accepted', requestId });

/** Whether an unverified account is older than the configured lifetime. */
const isExpiredUnverified = (ctx: FlowContext, user: AccountUser) =>
  !user.verified && user.createdAtMs + ctx.unverifiedAccountTtlMs <= ctx.clock.now();

/** Creates the user, or (for a taken address) decides what the owner is mailed. */
async function register(ctx: FlowContext, email: string, passwordHash: string, requestId: string) {
  let existing = await ctx.users.findByEmail(email);
  if (existing && isExpiredUnverified(ctx, existing)) {
    await ctx.users.deleteUnverified({
      userId: existing.id,
      createdBeforeMs: ctx.clock.now() - ctx.unverifiedAccountTtlMs + 1,
    });
    existing = await ctx.users.findByEmail(email);
  }
  if (existing === undefined) {
    const created = await ctx.users.create({ email, passwordHash, createdAtMs: ctx.clock.now() });
    if (created !== undefined) {
      ctx.instruments.signupRequested.add(1, { account: 'new' });
      return enqueueMail(ctx, { kind: 'verify', requestId, email });
    }
    existing = await ctx.users.findByEmail(email); // lost a race with a concurrent signup
  }
  ctx.instruments.signupRequested.add(1, { account: 'existing' });
  if (existing !== undefined && !existing.verified) {
    // The latest signup of an unverified address sets its password, and the version bump kills the
    // earlier link: only the newest link verifies, and it verifies the newest password.
    await ctx.users.updatePasswordHash({ userId: existing.id, passwordHash });
    await ctx.users.bumpCredentialsVersion(existing.id);
    return enqueueMail(ctx, { kind: 'verify', requestId, email });
  }
  if (existing !== undefined)
    return enqueueMail(ctx, { kind: 'signup-existing', requestId, userId: existing.id });
}

/** Counts one attempt on a limiter; false when denied. */
async function allowed(limiter: FlowContext['limiters']['signupPerIp'], key: string) {
  return (await limiter.limit(key)).allowed;
}

/** `signup`: policy, hash, create or mail the owner; the uniform answer after the floor. */
export async function signup(ctx: FlowContext, request: SignupRequest): Promise<AcceptedResponse> {
  const email = normalizeEmail(request.email, ctx.emailOptions);
  const password = ctx.policy.check(request.password, { mfa: request.mfa === true });
  const requestId = newRequestId();
  return withFloor(ctx.clock, ctx.responseFloorMs, async () => {
    // Limit before hashing: each hash costs ~20 ms of a core, so an unlimited signup is a DoS lever.
    if (!(await allowed(ctx.limiters.signupPerIp, request.ip))) return accepted(requestId);
    await ctx.policy.checkBreached(password);
    const passwordHash = await ctx.hasher.hash(password);
    const cooldown = await ctx.store.acquireCooldown({
      key: `signup:${email}`,
      cooldownMs: ctx.resendCooldownMs,
    });
    if (cooldown.acquired) await register(ctx, email, passwordHash, requestId);
    return accepted(requestId);
  });
}

/** `resendVerification`: a new link for an unverified address, at most one per cooldown; the uniform answer. */
export async function resendVerification(
  ctx: FlowContext,
  request: ResendRequest,
): Promise<AcceptedResponse> {
  const email = normalizeEmail(request.email, ctx.emailOptions);
  const requestId = newRequestId();
  return withFloor(ctx.clock, ctx.responseFloorMs, async () => {
    if (!(await allowed(ctx.limiters.signupPerIp, request.ip))) return accepted(requestId);
    const cooldown = await ctx.store.acquireCooldown({
      key: `verify:${email}`,
      cooldownMs: ctx.resendCooldownMs,
    });
    if (cooldown.acquired) await enqueueMail(ctx, { kind: 'verify', requestId, email });
    return accepted(requestId);
  });
}

/** Counts a token submission for the IP; throws when over the limit. */
export async function limitTokenAttempt(ctx: FlowContext, ip: string): Promise<void> {
  const decision = await ctx.limiters.tokenPerIp.limit(ip);
  if (!decision.allowed) throw new AccountsThrottledError(decision.retryAfterMs);
}

/** Loads the token's user and checks the binding (same email, same credentials version). */
export async function boundUser(
  ctx: FlowContext,
  record: { readonly userId: string; readonly email: string; readonly credentialsVersion: number },
): Promise<AccountUser> {
  const user = await ctx.users.findById(record.userId);
  if (
    user === undefined ||
    user.email !== record.email ||
    user.credentialsVersion !== record.credentialsVersion
  ) {
    throw new AccountTokenInvalidError('stale');
  }
  return user;
}

/** `verifyEmail`: uses a verification token; the account is verified (no login happens). */
export async function verifyEmail(
  ctx: FlowContext,
  request: { readonly token: string; readonly ip: string },
): Promise<{ readonly userId: string }> {
  const tokenHash = tokenHashOf(request.token);
  await limitTokenAttempt(ctx, request.ip);
  const used = await ctx.store.consumeToken({ kind: 'verify', tokenHash });
  if (used.status === 'missing') throw new AccountTokenInvalidError('unknown');
  if (used.status === 'expired') throw new AccountTokenExpiredError(used.record.expiresAtMs);
  const user = await boundUser(ctx, used.record);
  await ctx.users.markVerified(user.id);
  ctx.instruments.signupVerified.add(1);
  return { userId: user.id };
}
