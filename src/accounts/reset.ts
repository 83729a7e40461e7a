/**
 * Password reset. The request never looks the user up: it checks the address's shape, counts the limits,
 * takes the resend cooldown, records the request and adds a mail job, identically for every address,
 * then waits out the floor. The confirm checks the new password first (a refused password does not burn
 * the token), then uses the token atomically, and revokes before it writes: a failure half-way leaves
 * the old password with everything revoked, never a new password beside live sessions.
 */
import type { FlowContext } from './context.js';
import { normalizeEmail } from './email.js';
import { AccountTokenExpiredError, AccountTokenInvalidError, PasswordPolicyError } from './errors.js';
import type { ResetFailureReason } from './instruments.js';
import { enqueueMail, newRequestId } from './mail.js';
import { type AcceptedResponse, boundUser, limitTokenAttempt } from './signup.js';
import { withFloor } from './timebox.js';
import { tokenHashOf } from './tokens.js';
import type { TokenLookup } from './types.js';

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

/** `requestReset`: the uniform answer after the floor; the mail (if any) leaves from the queue. */
export async function requestReset(ctx: FlowContext, request: ResetRequest): Promise<AcceptedResponse> {
  const email = normalizeEmail(request.email, ctx.emailOptions);
  const requestId = newRequestId();
  return withFloor(ctx.clock, ctx.responseFloorMs, async () => {
    const [ip, account] = await Promise.all([
      ctx.limiters.resetPerIp.limit(request.ip),
      ctx.limiters.resetPerAccount.limit(email),
    ]);
    if (!ip.allowed || !account.allowed) {
      ctx.instruments.resetFailed.add(1, { reason: 'throttled' });
      return { status: 'accepted', requestId };
    }
    const cooldown = await ctx.store.acquireCooldown({
      key: `reset:${email}`,
      cooldownMs: ctx.resendCooldownMs,
    });
    if (cooldown.acquired) await enqueueMail(ctx, { kind: 'reset', requestId, email });
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

/** Revokes every way back into the account: other tokens, the credentials version, sessions, refresh families. */
async function revokeAccess(ctx: FlowContext, userId: string): Promise<number> {
  await ctx.store.revokeTokens({ userId });
  const version = await ctx.users.bumpCredentialsVersion(userId);
  await ctx.tokens?.revokeAllForUser(userId);
  await ctx.sessions?.revokeAllForUser(userId);
  return version;
}

/** `confirmReset`: policy, token check, hash, atomic use, revoke, write, confirmation mail. */
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
  const credentialsVersion = await revokeAccess(ctx, user.id);
  await ctx.users.updatePasswordHash({ userId: user.id, passwordHash });
  await ctx.loginGuard?.unlock(user.email);
  ctx.instruments.resetCompleted.add(1);
  await enqueueMail(ctx, { kind: 'reset-completed', requestId: newRequestId(), userId: user.id });
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
