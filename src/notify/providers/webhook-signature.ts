/**
 * The Standard Webhooks signature (https://www.standardwebhooks.com, symmetric scheme `v1`): base64 of
 * HMAC-SHA256 over `<webhook-id>.<webhook-timestamp>.<body>`, keyed by the secret serialised as
 * `whsec_<base64 of 24..64 random bytes>`. During a rotation the sender signs with every current
 * secret and sends the signatures space-separated; the receiver accepts the request when any of them
 * matches any of its secrets.
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { defineOptions, opt, optionError } from '../../core/options.js';
import { PayloadInvalidError, SignatureInvalidError } from './event-errors.js';
import {
  bodyBytes,
  checkTimestamp,
  claimOnce,
  type InboundHeaders,
  maxBodyOption,
  type RawBody,
  type ReplayGuard,
  replayGuardOption,
  requireHeader,
  sameMac,
  secondsHeader,
  toleranceOption,
} from './inbound.js';

/** A secret as `whsec_...`, or several during a rotation. */
export type WebhookSecrets = string | readonly string[];

const WHAT = 'webhook';
const SECRET = /^whsec_([A-Za-z0-9+/]+={0,2})$/;

/** Parses `whsec_<base64>` (24..64 bytes, the spec's range) into the HMAC key. */
function secretKey(value: unknown): Buffer | undefined {
  const match = typeof value === 'string' ? SECRET.exec(value) : null;
  if (!match) return undefined;
  const key = Buffer.from(match[1] as string, 'base64');
  return key.byteLength >= 24 && key.byteLength <= 64 ? key : undefined;
}

/** The `secret` option: one `whsec_` secret or a list of 1..8. */
export function secretsSpec(value: unknown, path: string, owner: string): readonly Buffer[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  const keys = list.map(secretKey);
  if (list.length === 0 || list.length > 8 || keys.some((k) => k === undefined)) {
    throw optionError(owner, path, 'a `whsec_` secret of 24..64 base64 bytes, or a list of 1..8 of them');
  }
  return keys as Buffer[];
}

function mac(key: Buffer, id: string, timestamp: string, body: Uint8Array): Buffer {
  return createHmac('sha256', key).update(`${id}.${timestamp}.`, 'utf8').update(body).digest();
}

/** The `webhook-signature` value for `body`: `v1,<base64>` per secret, space-separated. */
export function signatureHeader(
  keys: readonly Buffer[],
  id: string,
  timestampSeconds: number,
  body: Uint8Array,
) {
  return keys.map((k) => `v1,${mac(k, id, String(timestampSeconds), body).toString('base64')}`).join(' ');
}

/** What {@link signWebhook} signs. */
export interface SignWebhookInput {
  readonly secret: WebhookSecrets;
  /** The `webhook-id`: no dots. */
  readonly id: string;
  /** The `webhook-timestamp`, epoch seconds. */
  readonly timestampSeconds: number;
  readonly body: RawBody;
}

/**
 * Computes the `webhook-signature` header for a body, as the provider sends it (for receivers' tests,
 * or for a sender other than the notifier).
 *
 * @example
 * ```ts
 * import { signWebhook } from 'backend-patterns/notify/webhook';
 * const signature = signWebhook({
 *   secret: 'whsec_MfKQ9r8GKYqrTwjUPD8ILPZIo2LaLaSw', id: 'msg_p5jXN8AQM9LWM0D4loKWxJek',
 *   timestampSeconds: 1614265330, body: '{"test": 2432232314}',
 * }); // 'v1,g0hM9SsE+OTPJTGt/tmIKtSyZlE3uFJELVlNIOLJ1OE='
 * ```
 */
export function signWebhook(input: SignWebhookInput): string {
  const keys = secretsSpec(input.secret, 'secret', 'signWebhook');
  if (!/^[^.\s]{1,256}$/.test(input.id))
    throw optionError('signWebhook', 'id', '1..256 characters without dots or spaces');
  if (!Number.isSafeInteger(input.timestampSeconds) || input.timestampSeconds < 0) {
    throw optionError('signWebhook', 'timestampSeconds', 'a non-negative integer', input.timestampSeconds);
  }
  return signatureHeader(
    keys,
    input.id,
    input.timestampSeconds,
    bodyBytes(input.body, Number.MAX_SAFE_INTEGER, WHAT),
  );
}

/** Options of {@link createWebhookVerifier}. */
export interface WebhookVerifierOptions {
  /** The endpoint's secret (`whsec_...`), or several during a rotation. */
  readonly secret: WebhookSecrets;
  /** How far `webhook-timestamp` may be from now, seconds. Default 300 (the spec's value). */
  readonly toleranceSeconds?: number;
  /** Refuses a `webhook-id` accepted before (the spec's idempotency advice). Default none. */
  readonly replayGuard?: ReplayGuard;
  /** Largest body accepted, bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** Time source of the tolerance. Default the system clock. */
  readonly clock?: Clock;
}

/** One received webhook request. */
export interface WebhookRequest {
  readonly headers: InboundHeaders;
  /** The raw body, exactly as received (parse nothing before verifying). */
  readonly body: RawBody;
}

/** A verified webhook. */
export interface VerifiedWebhook {
  /** `webhook-id`: the same on every retry of one message (deduplicate on it). */
  readonly id: string;
  /** `webhook-timestamp`, epoch ms. */
  readonly timestampMs: number;
  /** The parsed JSON body (the notifier sends `{ type, timestamp, data }`). */
  readonly payload: unknown;
}

/** Verifies Standard Webhooks requests. */
export interface WebhookVerifier {
  /** Verifies and parses the request, or rejects with a typed error (`ERR_NOTIFY_*`). */
  verify(request: WebhookRequest): Promise<VerifiedWebhook>;
}

const parseOptions = defineOptions('createWebhookVerifier', {
  secret: opt.custom(secretsSpec, { required: true }),
  toleranceSeconds: toleranceOption(),
  replayGuard: replayGuardOption(),
  maxBodyBytes: maxBodyOption(),
  clock: opt.clock(),
});

/** The `v1` signatures of the header (other schemes, such as `v1a`, are not ours to check). */
function v1Signatures(header: string): Buffer[] {
  const entries = header.split(' ').filter((e) => e !== '');
  if (entries.length > 16) throw new SignatureInvalidError(`${WHAT}: more than 16 signatures`);
  const out: Buffer[] = [];
  for (const entry of entries) {
    const [version, value] = entry.split(',', 2);
    if (version !== 'v1' || value === undefined) continue;
    if (/^[A-Za-z0-9+/]{1,88}={0,2}$/.test(value)) out.push(Buffer.from(value, 'base64'));
  }
  if (out.length === 0) throw new SignatureInvalidError(`${WHAT}: no well-formed v1 signature`);
  return out;
}

function matchesAny(
  keys: readonly Buffer[],
  signatures: readonly Buffer[],
  id: string,
  ts: string,
  body: Buffer,
) {
  let ok = false;
  for (const key of keys) {
    const expected = mac(key, id, ts, body);
    // No early exit: the work done does not depend on which signature matched.
    for (const given of signatures) ok = sameMac(expected, given) || ok;
  }
  return ok;
}

/**
 * Creates a verifier for Standard Webhooks requests (the notifier's webhook channel, or any sender
 * that follows the spec).
 *
 * @example
 * ```ts
 * import { createWebhookVerifier } from 'backend-patterns/notify/webhook';
 * const webhooks = createWebhookVerifier({ secret: process.env.WEBHOOK_SECRET ?? '' });
 * // in a handler: const { id, payload } = await webhooks.verify({ headers: req.headers, body: rawBody });
 * ```
 */
export function createWebhookVerifier(options: WebhookVerifierOptions): WebhookVerifier {
  const o = parseOptions(options);
  const toleranceMs = o.toleranceSeconds * 1000;
  return {
    async verify(request) {
      const body = bodyBytes(request.body, o.maxBodyBytes, WHAT);
      const id = requireHeader(request.headers, 'webhook-id', WHAT);
      const timestamp = requireHeader(request.headers, 'webhook-timestamp', WHAT);
      const signatures = v1Signatures(requireHeader(request.headers, 'webhook-signature', WHAT));
      const timestampMs = secondsHeader(timestamp);
      if (!/^[^.\s]{1,256}$/.test(id))
        throw new SignatureInvalidError(`${WHAT}: \`webhook-id\` is malformed`);
      if (timestampMs === undefined)
        throw new SignatureInvalidError(`${WHAT}: \`webhook-timestamp\` is not seconds`);
      if (!matchesAny(o.secret, signatures, id, timestamp, body)) {
        throw new SignatureInvalidError(`${WHAT}: no signature matches the body`);
      }
      checkTimestamp(WHAT, timestampMs, toleranceMs, o.clock);
      await claimOnce(WHAT, o.replayGuard, `webhook:${id}`, 2 * toleranceMs);
      try {
        return { id, timestampMs, payload: JSON.parse(body.toString('utf8')) as unknown };
      } catch (error) {
        throw new PayloadInvalidError(`${WHAT}: the body is not JSON`, { cause: error });
      }
    },
  };
}

/** Options of {@link verifyWebhook}: a verifier's options and one request. */
export interface VerifyWebhookInput extends WebhookVerifierOptions, WebhookRequest {}

/**
 * Verifies one request (a verifier built for the call). Prefer {@link createWebhookVerifier} in a
 * server: it parses the secrets once.
 *
 * @example
 * ```ts
 * import { verifyWebhook } from 'backend-patterns/notify/webhook';
 * const rawBody = '{"type":"invoice.paid","timestamp":"2026-01-01T00:00:00Z","data":{}}'; // as received
 * const event = await verifyWebhook({ secret: process.env.WEBHOOK_SECRET ?? '', headers: req.headers, body: rawBody });
 * ```
 */
export async function verifyWebhook(input: VerifyWebhookInput): Promise<VerifiedWebhook> {
  const { headers, body, ...options } = input;
  return createWebhookVerifier(options).verify({ headers, body });
}
