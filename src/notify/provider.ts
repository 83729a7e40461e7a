/**
 * The provider port of the notifier: what a channel adapter (`backend-patterns/notify/smtp`,
 * `/notify/sendgrid`, `/notify/twilio`, `/notify/webhook`) implements and what the notifier calls. The
 * notifier renders, checks preferences, limits and retries; a provider only hands one finished message to
 * its service and says, when it fails, whether the message surely did not go (`unavailable`), must not be
 * tried again (`permanent`), may go again later (`retryable`), or may already have gone (`ambiguous`).
 * That classification decides retries and failover (docs/notify.md, "Failure behaviour").
 */
import { BackendPatternsError, type BackendPatternsErrorOptions } from '../core/errors.js';

/** The channels a notifier sends on. */
export type ChannelKind = 'email' | 'sms' | 'webhook';

/** An email address with an optional display name (unicode allowed; never containing CR or LF). */
export interface EmailAddress {
  readonly address: string;
  readonly name?: string;
}

/** A rendered email, ready for a provider. Header values hold no CR or LF (the notifier checks). */
export interface EmailMessage {
  readonly channel: 'email';
  readonly from: EmailAddress;
  readonly to: EmailAddress;
  readonly replyTo?: EmailAddress;
  readonly subject: string;
  readonly html?: string;
  readonly text: string;
  /**
   * Extra headers, e.g. `List-Unsubscribe` and `List-Unsubscribe-Post` on promotional mail. Names are
   * RFC 5322 field names; values are single lines.
   */
  readonly headers: Readonly<Record<string, string>>;
  /** The notifier's message id, also sent as a provider tag/custom arg so events can be matched back. */
  readonly messageId: string;
  readonly category: string;
}

/** A rendered SMS. `to` and `from` are E.164 (`+` and up to 15 digits); `from` may be a sender id. */
export interface SmsMessage {
  readonly channel: 'sms';
  readonly to: string;
  readonly from?: string;
  readonly text: string;
  readonly messageId: string;
  readonly category: string;
}

/** A webhook delivery: a JSON body posted to `url`, signed per the Standard Webhooks spec. */
export interface WebhookMessage {
  readonly channel: 'webhook';
  readonly url: string;
  /** The event type, e.g. `invoice.paid`; part of the JSON body (`type`). */
  readonly type: string;
  /** The payload (`data` of the body). */
  readonly data: unknown;
  /** The `webhook-id` header: stable across retries of one message, so receivers can deduplicate. */
  readonly messageId: string;
  readonly category: string;
}

/** Any message a provider may be handed. */
export type ProviderMessage = EmailMessage | SmsMessage | WebhookMessage;

/** What the notifier passes with every send. */
export interface SendContext {
  /**
   * Stable across retries of the same message. Providers whose API has an idempotency header send it,
   * and say so with `idempotent: true`.
   */
  readonly idempotencyKey: string;
  /** Aborts the send at the notifier's per-attempt deadline. */
  readonly signal: AbortSignal;
}

/** What a provider answers when it accepted the message. */
export interface ProviderReceipt {
  /** The provider's own id of the message (SMTP queue id, SendGrid `X-Message-Id`, Twilio SID). */
  readonly providerMessageId: string;
}

/** A provider adapter for one channel. */
export interface NotifyProvider<M extends ProviderMessage = ProviderMessage> {
  /** Unique within a notifier, e.g. `smtp`, `sendgrid`; the `provider` label of metrics. */
  readonly name: string;
  readonly channel: M['channel'];
  /**
   * True when the provider deduplicates on `context.idempotencyKey`, so an `ambiguous` failure may be
   * retried on the same provider without a double send. Never makes failover after an ambiguous failure
   * safe: another provider does not know the key.
   */
  readonly idempotent: boolean;
  /** Hands the message over. Rejects only with a {@link ProviderError}. */
  send(message: M, context: SendContext): Promise<ProviderReceipt>;
  /** Releases connections (an SMTP pool). */
  close?(): Promise<void>;
}

/**
 * How a failed send ended, as far as the provider can tell:
 * - `unavailable`: surely not sent, the provider is down or refusing load (connection refused, 5xx
 *   before acceptance, 429, SMTP 421). Retry later; failing over to the next provider is safe.
 * - `retryable`: surely not sent, a transient condition of this message (SMTP 4xx on RCPT). Retry on the
 *   same provider; no failover.
 * - `permanent`: the provider refused this message for good (invalid address, 4xx other than 429, SMTP
 *   5xx, auth failure). Never retried.
 * - `ambiguous`: the request may have been accepted (a timeout or reset after the message was written).
 *   Not retried (unless the provider is `idempotent`) and never failed over.
 */
export type ProviderFailure = 'unavailable' | 'retryable' | 'permanent' | 'ambiguous';

/** Codes of the provider errors. */
export const PROVIDER_ERROR_CODE = 'ERR_NOTIFY_PROVIDER' as const;

/** Options of {@link ProviderError}. */
export interface ProviderErrorOptions extends BackendPatternsErrorOptions {
  /** The provider's status (HTTP status or SMTP reply code), when it answered. */
  readonly status?: number;
  /** The provider's own error code (Twilio `21211`, nodemailer `EENVELOPE`), when it gave one. */
  readonly providerCode?: string;
  /** How long the provider asked us to wait (`Retry-After`), in ms. */
  readonly retryAfterMs?: number;
}

/** A provider's send failed; `failure` says what may happen next. */
export class ProviderError extends BackendPatternsError<typeof PROVIDER_ERROR_CODE> {
  readonly provider: string;
  readonly failure: ProviderFailure;
  readonly status: number | undefined;
  readonly providerCode: string | undefined;
  readonly retryAfterMs: number | undefined;
  constructor(
    provider: string,
    failure: ProviderFailure,
    message: string,
    options: ProviderErrorOptions = {},
  ) {
    super(PROVIDER_ERROR_CODE, message, options);
    this.provider = provider;
    this.failure = failure;
    this.status = options.status;
    this.providerCode = options.providerCode;
    this.retryAfterMs = options.retryAfterMs;
  }
}

/** Delivery statuses reported after a send, by provider events (webhooks, status callbacks). */
export type DeliveryEventStatus = 'delivered' | 'deferred' | 'bounced' | 'complained' | 'failed';

/** One provider event, normalised. */
export interface DeliveryEvent {
  /** The notifier's message id (sent to the provider as a custom arg or tag), when the event carries it. */
  readonly messageId?: string;
  readonly providerMessageId?: string;
  readonly provider: string;
  readonly channel: ChannelKind;
  readonly status: DeliveryEventStatus;
  /** The recipient (email address or E.164 number) the event is about: what suppression keys on. */
  readonly recipient: string;
  /** When the provider saw it, epoch ms. */
  readonly atMs: number;
  /** Hard bounce (suppress the address) vs soft; only for `bounced`. */
  readonly permanent?: boolean;
  /** The provider's reason text or code, for logs. */
  readonly reason?: string;
}
