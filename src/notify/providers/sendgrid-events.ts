/**
 * SendGrid's signed Event Webhook: verifies the ECDSA (P-256, SHA-256) signature SendGrid puts over
 * `timestamp + raw body`, refuses unsigned, tampered, stale and (with a replay guard) replayed
 * requests, and maps the delivery events to {@link DeliveryEvent}s.
 *
 * Headers: `X-Twilio-Email-Event-Webhook-Signature` (base64 of a DER ECDSA signature) and
 * `X-Twilio-Email-Event-Webhook-Timestamp` (epoch seconds). The verification key is the one SendGrid
 * shows when the signed webhook is enabled (base64 of a DER public key), or the same key as PEM.
 */
import { createPublicKey, type KeyObject, verify as verifySignature } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { defineOptions, opt, optionError } from '../../core/options.js';
import type { DeliveryEvent, DeliveryEventStatus } from '../provider.js';
import { PayloadInvalidError, SignatureInvalidError } from './event-errors.js';
import {
  bodyBytes,
  checkTimestamp,
  claimOnce,
  digestKey,
  type InboundHeaders,
  maxBodyOption,
  type RawBody,
  type ReplayGuard,
  replayGuardOption,
  requireHeader,
  secondsHeader,
  toleranceOption,
} from './inbound.js';

/** Options of {@link createSendGridEventVerifier}. */
export interface SendGridEventVerifierOptions {
  /** The verification key: base64 of the DER public key as SendGrid shows it, or PEM. */
  readonly publicKey: string;
  /** How far the signed timestamp may be from now, seconds. Default 300. */
  readonly toleranceSeconds?: number;
  /** Refuses a request seen before (keyed by a digest of timestamp and body). Default none. */
  readonly replayGuard?: ReplayGuard;
  /** Largest body accepted, bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** The `provider` of the events. Default `sendgrid`. */
  readonly provider?: string;
  /** Time source of the tolerance. Default the system clock. */
  readonly clock?: Clock;
}

/** One Event Webhook request. */
export interface SendGridEventRequest {
  readonly headers: InboundHeaders;
  /** The raw body, exactly as received (parse nothing before verifying). */
  readonly body: RawBody;
}

/** Verifies SendGrid Event Webhook requests. */
export interface SendGridEventVerifier {
  /**
   * Verifies the request and returns its delivery events (`delivered`, `deferred`, `bounce`, `dropped`,
   * `spamreport`); engagement and account events (open, click, unsubscribe, processed, ...) are left
   * out. Rejects with a typed error (`ERR_NOTIFY_SIGNATURE_*`, `ERR_NOTIFY_TIMESTAMP_OUT_OF_RANGE`,
   * `ERR_NOTIFY_REPLAYED`, `ERR_NOTIFY_PAYLOAD_INVALID`).
   */
  verify(request: SendGridEventRequest): Promise<DeliveryEvent[]>;
}

const SIGNATURE_HEADER = 'x-twilio-email-event-webhook-signature';
const TIMESTAMP_HEADER = 'x-twilio-email-event-webhook-timestamp';
const WHAT = 'sendgrid event webhook';

function publicKeySpec(value: unknown, path: string, owner: string): KeyObject {
  if (typeof value !== 'string' || value.length === 0 || value.length > 4096) {
    throw optionError(owner, path, 'a base64 DER or PEM public key');
  }
  let key: KeyObject;
  try {
    key = value.includes('-----BEGIN')
      ? createPublicKey(value)
      : createPublicKey({ key: Buffer.from(value.trim(), 'base64'), format: 'der', type: 'spki' });
  } catch {
    throw optionError(owner, path, 'a base64 DER or PEM public key');
  }
  if (key.asymmetricKeyType !== 'ec' || key.asymmetricKeyDetails?.namedCurve !== 'prime256v1') {
    throw optionError(owner, path, 'an ECDSA P-256 public key (the Event Webhook verification key)');
  }
  return key;
}

const parseOptions = defineOptions('createSendGridEventVerifier', {
  publicKey: opt.custom(publicKeySpec, { required: true }),
  toleranceSeconds: toleranceOption(),
  replayGuard: replayGuardOption(),
  maxBodyBytes: maxBodyOption(),
  provider: opt.name({ default: 'sendgrid' }),
  clock: opt.clock(),
});

type SendGridEvent = Readonly<Record<string, unknown>>;

const STATUS: Readonly<Record<string, DeliveryEventStatus>> = {
  delivered: 'delivered',
  deferred: 'deferred',
  bounce: 'bounced',
  dropped: 'failed',
  spamreport: 'complained',
};

const text = (value: unknown): string | undefined =>
  typeof value === 'string' && value !== '' ? value.slice(0, 500) : undefined;

/** One SendGrid event as a {@link DeliveryEvent}, or undefined for events that are not about delivery. */
export function sendGridDeliveryEvent(event: SendGridEvent, provider: string): DeliveryEvent | undefined {
  const status = typeof event.event === 'string' ? STATUS[event.event] : undefined;
  const recipient = text(event.email);
  if (status === undefined || recipient === undefined) return undefined;
  const timestamp =
    typeof event.timestamp === 'number' && Number.isFinite(event.timestamp) ? event.timestamp : 0;
  // sg_message_id is the X-Message-Id of the send followed by `.filter...`: keep the part that matches.
  const sgMessageId = text(event.sg_message_id)?.split('.')[0];
  const reason = text(event.reason) ?? text(event.response) ?? text(event.status);
  return {
    ...(text(event.messageId) ? { messageId: text(event.messageId) } : {}),
    ...(sgMessageId ? { providerMessageId: sgMessageId } : {}),
    provider,
    channel: 'email',
    status,
    recipient,
    atMs: timestamp * 1000,
    // A `bounce` of type `blocked` is the receiving server refusing for now (reputation, content), not
    // a mailbox that does not exist: not a reason to suppress the address.
    ...(status === 'bounced' ? { permanent: event.type !== 'blocked' } : {}),
    ...(reason ? { reason } : {}),
  };
}

function signatureBytes(value: string): Buffer {
  if (value.length > 512 || !/^[A-Za-z0-9+/]+={0,2}$/.test(value)) {
    throw new SignatureInvalidError(`${WHAT}: the signature header is not base64`);
  }
  return Buffer.from(value, 'base64');
}

function parseEvents(body: Buffer): SendGridEvent[] {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString('utf8'));
  } catch (error) {
    throw new PayloadInvalidError(`${WHAT}: the body is not JSON`, { cause: error });
  }
  if (!Array.isArray(parsed)) throw new PayloadInvalidError(`${WHAT}: the body is not an array of events`);
  return parsed.filter((e): e is SendGridEvent => typeof e === 'object' && e !== null && !Array.isArray(e));
}

/**
 * Creates a verifier for SendGrid's signed Event Webhook.
 *
 * @example
 * ```ts
 * import { createSendGridEventVerifier } from 'backend-patterns/notify/sendgrid';
 * // The key SendGrid shows under Settings > Mail Settings > Event Webhook > Signed Event Webhook.
 * const sendgridEvents = createSendGridEventVerifier({ publicKey: process.env.SENDGRID_WEBHOOK_KEY ?? '' });
 * ```
 */
export function createSendGridEventVerifier(options: SendGridEventVerifierOptions): SendGridEventVerifier {
  const o = parseOptions(options);
  const toleranceMs = o.toleranceSeconds * 1000;
  return {
    async verify(request) {
      const body = bodyBytes(request.body, o.maxBodyBytes, WHAT);
      const signature = signatureBytes(requireHeader(request.headers, SIGNATURE_HEADER, WHAT));
      const timestampText = requireHeader(request.headers, TIMESTAMP_HEADER, WHAT);
      const timestampMs = secondsHeader(timestampText);
      if (timestampMs === undefined)
        throw new SignatureInvalidError(`${WHAT}: the timestamp is not epoch seconds`);
      const signed = Buffer.concat([Buffer.from(timestampText, 'utf8'), body]);
      let valid = false;
      try {
        valid = verifySignature('sha256', signed, { key: o.publicKey, dsaEncoding: 'der' }, signature);
      } catch {
        valid = false; // a signature that is not DER at all
      }
      if (!valid) throw new SignatureInvalidError(`${WHAT}: the signature does not match the body`);
      checkTimestamp(WHAT, timestampMs, toleranceMs, o.clock);
      // Keyed by what was signed, not by the signature: ECDSA signatures are malleable, so a replay may
      // carry a different but valid signature over the same bytes.
      await claimOnce(WHAT, o.replayGuard, digestKey('sendgrid', signed), 2 * toleranceMs);
      return parseEvents(body).flatMap((e) => sendGridDeliveryEvent(e, o.provider) ?? []);
    },
  };
}
