/**
 * Signup and email verification. A signup answers the same way, with the same work and inside the same
 * floor, whether the address is new or taken: both paths check the policy, hash the password and add
 * one mail job; a taken address gets a "someone signed up with your address" mail instead of a
 * verification link, so only the mailbox owner learns that the account exists.
 */
import type { FlowContext } from './context.js';
import { normalizeEmail } from './email.js';
import { AccountsThrottledError, AccountTokenExpiredError, AccountTokenInvalidError } from './errors.js';
import { enqueueMail, newRequestId, PENDING_USER_PREFIX } from './mail.js';
import { withFloor } from './timebox.js';
import { tokenHashOf } from './tokens.js';
import type { AccountUser, TokenRecord } from './types.js';

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

/** Counts one attempt on a limiter; false when denied. */
async function allowed(limiter: FlowContext['limiters']['signupPerIp'], key: string) {
  return (await limiter.limit(key)).allowed;
}

/**
 * Whether a mail of `kind` may go to `email` now: its resend cooldown is free and the address is under
 * its mail cap (all kinds together, against mail bombing). Counted for every address alike, known or
 * not, so the answer says nothing about the account.
 */
export async function mayMail(ctx: FlowContext, kind: string, email: string): Promise<boolean> {
  const cooldown = await ctx.store.acquireCooldown({
    key: `${kind}:${email}`,
    cooldownMs: ctx.resendCooldownMs,
  });
  return cooldown.acquired && (await allowed(ctx.limiters.mailPerAddress, email));
}

/**
 * `signup`: policy, limit, hash, one job; the uniform answer after the floor. Nothing is written to your
 * user table here: the worker mails a link carrying the hash (or tells the owner of a taken address),
 * and the user row is created when the link is used.
 */
export async function signup(ctx: FlowContext, request: SignupRequest): Promise<AcceptedResponse> {
  const email = normalizeEmail(request.email, ctx.emailOptions);
  const password = ctx.policy.check(request.password, { mfa: request.mfa === true });
  const requestId = newRequestId();
  return withFloor(ctx.clock, ctx.responseFloorMs, async () => {
    // Limit before hashing: each hash costs ~20 ms of a core, so an unlimited signup is a DoS lever.
    if (!(await allowed(ctx.limiters.signupPerIp, request.ip))) return accepted(requestId);
    await ctx.policy.checkBreached(password);
    const passwordHash = await ctx.hasher.hash(password);
    if (await mayMail(ctx, 'signup', email)) {
      await enqueueMail(ctx, { kind: 'signup', requestId, email, passwordHash });
    }
    return accepted(requestId);
  });
}

/**
 * `resendVerification`: a new link for an unverified account of your table, at most one per cooldown;
 * the uniform answer. (A pending signup is resent by signing up again.)
 */
export async function resendVerification(
  ctx: FlowContext,
  request: ResendRequest,
): Promise<AcceptedResponse> {
  const email = normalizeEmail(request.email, ctx.emailOptions);
  const requestId = newRequestId();
  return withFloor(ctx.clock, ctx.responseFloorMs, async () => {
    if (!(await allowed(ctx.limiters.signupPerIp, request.ip))) return accepted(requestId);
    if (await mayMail(ctx, 'verify', email)) await enqueueMail(ctx, { kind: 'verify', requestId, email });
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

/** Creates the user of a pending signup from its link (the hash it carried), already verified. */
async function completeSignup(ctx: FlowContext, record: TokenRecord): Promise<string> {
  if (record.payload === undefined) throw new AccountTokenInvalidError('stale');
  const created = await ctx.users.create({
    email: record.email,
    passwordHash: record.payload,
    createdAtMs: ctx.clock.now(),
    verified: true,
  });
  // Another signup's link (or your app) took the address first.
  if (created === undefined) throw new AccountTokenInvalidError('stale');
  return created.id;
}

/** `verifyEmail`: uses a verification token; the account exists and is verified after it (no login happens). */
export async function verifyEmail(
  ctx: FlowContext,
  request: { readonly token: string; readonly ip: string },
): Promise<{ readonly userId: string }> {
  const tokenHash = tokenHashOf(request.token);
  await limitTokenAttempt(ctx, request.ip);
  const used = await ctx.store.consumeToken({ kind: 'verify', tokenHash });
  if (used.status === 'missing') throw new AccountTokenInvalidError('unknown');
  if (used.status === 'expired') throw new AccountTokenExpiredError(used.record.expiresAtMs);
  let userId: string;
  if (used.record.userId.startsWith(PENDING_USER_PREFIX)) userId = await completeSignup(ctx, used.record);
  else {
    const user = await boundUser(ctx, used.record);
    await ctx.users.markVerified(user.id);
    userId = user.id;
  }
  ctx.instruments.signupVerified.add(1);
  return { userId };
}
