/**
 * Password reset. The request never looks the user up: it checks the address's shape, counts the limits,
 * takes the resend cooldown, records the request and adds a mail job, identically for every address,
 * then waits out the floor. The confirm checks the new password first (a refused password does not burn
 * the token), then uses the token atomically and writes the new hash first: from that moment the old
 * password is dead, so no login with it can succeed during the revocations; a revocation that fails is
 * queued and retried, and the confirmation mail is best effort.
 */
import type { FlowContext } from './context.js';
import { normalizeEmail } from './email.js';
import { AccountTokenExpiredError, AccountTokenInvalidError, PasswordPolicyError } from './errors.js';
import type { ResetFailureReason } from './instruments.js';
import { enqueueMail, newRequestId } from './mail.js';
import { type AcceptedResponse, boundUser, limitTokenAttempt, mayMail } from './signup.js';
import { withFloor } from './timebox.js';
import { tokenHashOf } from './tokens.js';
import type { AccountUser, TokenLookup } from './types.js';

/** Input of `requestReset`. */
export interface ResetRequest {
  readonly email: string;
  /** The client's IP (or another client key), for the per-IP limit. */
  readonly ip: string;
}

/** Input of `confirmReset`. */
export interface ConfirmResetRequest {
  readonly token: string;
  readonly password: string;
  readonly ip: string;
  /** Whether the account has a second factor: the policy's shorter minimum applies. */
  readonly mfa?: boolean;
}

/** What a completed reset did. The user is not logged in: send them to the sign-in page. */
export interface ConfirmResetResult {
  readonly userId: string;
  /** The new credentials version (every token bound to an older one is void). */
  readonly credentialsVersion: number;
}

/** What `inspectResetToken` tells a confirm page before it asks for a password. */
export type ResetTokenState =
  | { readonly status: 'valid'; readonly expiresAtMs: number }
  | { readonly status: 'expired' }
  | { readonly status: 'invalid' };

/**
 * `requestReset`: the uniform answer after the floor; the mail (if any) leaves from the queue. The IP
 * limit is counted first, so requests from a throttled IP do not use up the address's allowance.
 */
export async function requestReset(ctx: FlowContext, request: ResetRequest): Promise<AcceptedResponse> {
  const email = normalizeEmail(request.email, ctx.emailOptions);
  const requestId = newRequestId();
  return withFloor(ctx.clock, ctx.responseFloorMs, async () => {
    const ip = await ctx.limiters.resetPerIp.limit(request.ip);
    const account = ip.allowed ? await ctx.limiters.resetPerAccount.limit(email) : ip;
    if (!account.allowed) {
      ctx.instruments.resetFailed.add(1, { reason: 'throttled' });
      return { status: 'accepted', requestId };
    }
    if (await mayMail(ctx, 'reset', email)) await enqueueMail(ctx, { kind: 'reset', requestId, email });
    return { status: 'accepted', requestId };
  });
}

/** Counts the failure and throws the error for a lookup that is not `valid`. */
function refuse(ctx: FlowContext, found: Exclude<TokenLookup, { status: 'valid' }>): never {
  const reason: ResetFailureReason = found.status === 'expired' ? 'expired' : 'invalid';
  ctx.instruments.resetFailed.add(1, { reason });
  if (found.status === 'expired') throw new AccountTokenExpiredError(found.record.expiresAtMs);
  throw new AccountTokenInvalidError('unknown');
}

/** `inspectResetToken`: reads a token without using it, for the page that shows the form. */
export async function inspectResetToken(
  ctx: FlowContext,
  request: { readonly token: string; readonly ip: string },
): Promise<ResetTokenState> {
  let tokenHash: string;
  try {
    tokenHash = tokenHashOf(request.token);
  } catch {
    return { status: 'invalid' };
  }
  await limitTokenAttempt(ctx, request.ip);
  const found = await ctx.store.findToken({ kind: 'reset', tokenHash });
  if (found.status === 'valid') return { status: 'valid', expiresAtMs: found.record.expiresAtMs };
  return { status: found.status === 'expired' ? 'expired' : 'invalid' };
}

/** Checks the new password (policy, then breaches); counts a refusal. */
async function checkNewPassword(ctx: FlowContext, request: ConfirmResetRequest): Promise<string> {
  try {
    const password = ctx.policy.check(request.password, { mfa: request.mfa === true });
    await ctx.policy.checkBreached(password);
    return password;
  } catch (error) {
    if (error instanceof PasswordPolicyError) {
      ctx.instruments.resetFailed.add(1, { reason: error.reason === 'breached' ? 'breached' : 'policy' });
    }
    throw error;
  }
}

/**
 * Revokes every other way into the account: outstanding tokens, refresh families and the access-token
 * version, sessions; unlocks the login guard. Runs after the new hash is written (so a login with the old
 * password can no longer succeed and outlive the reset); a revocation that fails is queued and retried.
 */
async function revokeAccess(ctx: FlowContext, user: AccountUser): Promise<void> {
  await ctx.store.revokeTokens({ userId: user.id }).catch(() => undefined); // voided by the version bump anyway
  try {
    await ctx.tokens?.revokeAllForUser(user.id);
    await ctx.sessions?.revokeAllForUser(user.id);
  } catch {
    ctx.instruments.revocationsDeferred.add(1);
    await enqueueMail(ctx, { kind: 'revoke', requestId: newRequestId(), userId: user.id });
  }
  await ctx.loginGuard?.unlock(user.email).catch(() => undefined);
}

/** The confirmation mail, best effort: the reset has happened whether or not it can be queued now. */
async function mailCompleted(ctx: FlowContext, userId: string): Promise<void> {
  try {
    await enqueueMail(ctx, { kind: 'reset-completed', requestId: newRequestId(), userId });
  } catch {
    ctx.instruments.mail.add(1, { kind: 'reset-completed', status: 'failed' });
  }
}

/** `confirmReset`: policy, token check, hash, atomic use, write, revoke, confirmation mail. */
export async function confirmReset(
  ctx: FlowContext,
  request: ConfirmResetRequest,
): Promise<ConfirmResetResult> {
  let tokenHash: string;
  try {
    tokenHash = tokenHashOf(request.token);
  } catch (error) {
    ctx.instruments.resetFailed.add(1, { reason: 'malformed' });
    throw error;
  }
  await limitTokenAttempt(ctx, request.ip);
  const password = await checkNewPassword(ctx, request);
  // Look before hashing (a guessed token costs no hash), hash before using (an overloaded hasher does
  // not burn the token), then use it: of concurrent confirms exactly one gets past consumeToken.
  const found = await ctx.store.findToken({ kind: 'reset', tokenHash });
  if (found.status !== 'valid') refuse(ctx, found);
  const user = await boundUserCounted(ctx, found.record);
  const passwordHash = await ctx.hasher.hash(password);
  const used = await ctx.store.consumeToken({ kind: 'reset', tokenHash });
  if (used.status !== 'valid') {
    ctx.instruments.resetFailed.add(1, { reason: 'raced' });
    throw used.status === 'expired'
      ? new AccountTokenExpiredError(used.record.expiresAtMs)
      : new AccountTokenInvalidError('unknown');
  }
  // Write first: from here the old password is dead, and every later step is retried or best effort.
  await ctx.users.updatePasswordHash({ userId: user.id, passwordHash });
  const credentialsVersion = await ctx.users.bumpCredentialsVersion(user.id);
  if (!user.verified) await ctx.users.markVerified(user.id); // the link proved the mailbox
  ctx.instruments.resetCompleted.add(1);
  await revokeAccess(ctx, user);
  await mailCompleted(ctx, user.id);
  return { userId: user.id, credentialsVersion };
}
async function boundUserCounted(ctx: FlowContext, record: Parameters<typeof boundUser>[1]) {
  try {
    return await boundUser(ctx, record);
  } catch (error) {
    ctx.instruments.resetFailed.add(1, { reason: 'stale' });
    throw error;
  }
}
