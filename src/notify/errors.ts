/**
 * Errors of the notifier. Every code of the module is listed in {@link NOTIFY_ERROR_CODES} (the docs
 * check reads it), the receivers' included: their classes live with the receivers
 * (providers/event-errors.ts) but take their codes from this one list. Bad input is refused with one of
 * these before anything is rendered or sent.
 */
import { BackendPatternsError, type BackendPatternsErrorOptions } from '../core/errors.js';
import { PROVIDER_ERROR_CODE, type ProviderError, type ProviderFailure } from './provider.js';
import type { SendResult } from './types.js';

/**
 * Every code the notify module raises: the notifier's, then the receivers' (the signed-webhook and
 * provider-event verifiers of the provider subpaths). Core codes such as `ERR_INVALID_ARGUMENT` come on top.
 */
export const NOTIFY_ERROR_CODES = [
  PROVIDER_ERROR_CODE,
  'ERR_NOTIFY_INVALID_RECIPIENT',
  'ERR_NOTIFY_HEADER_INJECTION',
  'ERR_NOTIFY_DATA_TOO_LARGE',
  'ERR_NOTIFY_INVALID_DATA',
  'ERR_NOTIFY_TEMPLATE_NOT_FOUND',
  'ERR_NOTIFY_TEMPLATE_SYNTAX',
  'ERR_NOTIFY_TEMPLATE_DATA',
  'ERR_NOTIFY_UNSUBSCRIBE_INVALID',
  'ERR_NOTIFY_UNSUBSCRIBE_EXPIRED',
  'ERR_NOTIFY_IN_PROGRESS',
  'ERR_NOTIFY_IDEMPOTENCY_MISMATCH',
  'ERR_NOTIFY_DELIVERY_FAILED',
  // The receivers' (providers/event-errors.ts).
  'ERR_NOTIFY_SIGNATURE_MISSING',
  'ERR_NOTIFY_SIGNATURE_INVALID',
  'ERR_NOTIFY_TIMESTAMP_OUT_OF_RANGE',
  'ERR_NOTIFY_REPLAYED',
  'ERR_NOTIFY_PAYLOAD_INVALID',
] as const;

/** A code of {@link NOTIFY_ERROR_CODES}. */
export type NotifyErrorCode = (typeof NOTIFY_ERROR_CODES)[number];

/** An email address, phone number or webhook URL is malformed or not allowed. */
export class InvalidRecipientError extends BackendPatternsError<'ERR_NOTIFY_INVALID_RECIPIENT'> {
  /** Which field was refused (`to.email`, `channels.email.from`, ...). */
  readonly field: string;
  constructor(field: string, message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_NOTIFY_INVALID_RECIPIENT', message, options);
    this.field = field;
  }
}

/** A header value (subject, address, display name, extra header) holds CR, LF or another control character. */
export class HeaderInjectionError extends BackendPatternsError<'ERR_NOTIFY_HEADER_INJECTION'> {
  /** The header or field that held it. */
  readonly field: string;
  constructor(field: string) {
    super('ERR_NOTIFY_HEADER_INJECTION', `\`${field}\` must not contain CR, LF or control characters`);
    this.field = field;
  }
}

/** The data of a send is larger than `maxDataBytes`; it was measured, never rendered. */
export class DataTooLargeError extends BackendPatternsError<'ERR_NOTIFY_DATA_TOO_LARGE'> {
  readonly maxBytes: number;
  constructor(maxBytes: number) {
    super('ERR_NOTIFY_DATA_TOO_LARGE', `\`data\` is larger than \`maxDataBytes\` (${maxBytes} bytes)`);
    this.maxBytes = maxBytes;
  }
}

/** The data of a send is not plain JSON-like data (a function, a cycle, a `__proto__` key, too deep). */
export class InvalidDataError extends BackendPatternsError<'ERR_NOTIFY_INVALID_DATA'> {
  constructor(message: string) {
    super('ERR_NOTIFY_INVALID_DATA', message);
  }
}

/** No template of that name, or none for the channel. */
export class TemplateNotFoundError extends BackendPatternsError<'ERR_NOTIFY_TEMPLATE_NOT_FOUND'> {
  constructor(message: string) {
    super('ERR_NOTIFY_TEMPLATE_NOT_FOUND', message);
  }
}

/** A template, layout or partial does not parse (thrown by `createNotifier`). */
export class TemplateSyntaxError extends BackendPatternsError<'ERR_NOTIFY_TEMPLATE_SYNTAX'> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_NOTIFY_TEMPLATE_SYNTAX', message, options);
  }
}

/** Rendering failed: in strict mode, a variable the template uses is missing from the data. */
export class TemplateDataError extends BackendPatternsError<'ERR_NOTIFY_TEMPLATE_DATA'> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_NOTIFY_TEMPLATE_DATA', message, options);
  }
}

/** An unsubscribe token is malformed, tampered with or signed by no key of the ring. */
export class UnsubscribeTokenError extends BackendPatternsError<'ERR_NOTIFY_UNSUBSCRIBE_INVALID'> {
  constructor(message: string) {
    super('ERR_NOTIFY_UNSUBSCRIBE_INVALID', message);
  }
}

/** An unsubscribe token is genuine but past its expiry. */
export class UnsubscribeExpiredError extends BackendPatternsError<'ERR_NOTIFY_UNSUBSCRIBE_EXPIRED'> {
  constructor() {
    super('ERR_NOTIFY_UNSUBSCRIBE_EXPIRED', 'the unsubscribe token has expired');
  }
}

/** Another send with the same idempotency key (and channel) is running; nothing was sent by this one. */
export class SendInProgressError extends BackendPatternsError<'ERR_NOTIFY_IN_PROGRESS'> {
  readonly idempotencyKey: string;
  /** When the other send's claim lapses if it never finishes (a crash), epoch ms. */
  readonly claimExpiresAtMs: number;
  constructor(idempotencyKey: string, claimExpiresAtMs: number) {
    super('ERR_NOTIFY_IN_PROGRESS', 'a send with this idempotency key is in progress');
    this.idempotencyKey = idempotencyKey;
    this.claimExpiresAtMs = claimExpiresAtMs;
  }
}

/** The idempotency key was used before for a different message (template, recipient or data). */
export class IdempotencyMismatchError extends BackendPatternsError<'ERR_NOTIFY_IDEMPOTENCY_MISMATCH'> {
  readonly idempotencyKey: string;
  constructor(idempotencyKey: string) {
    super('ERR_NOTIFY_IDEMPOTENCY_MISMATCH', 'this idempotency key was used for a different message');
    this.idempotencyKey = idempotencyKey;
  }
}

/**
 * At least one channel could not be delivered. `result` holds every channel's outcome, the ones that
 * went included, so a caller never loses a success to a sibling's failure.
 */
export class DeliveryFailedError extends BackendPatternsError<'ERR_NOTIFY_DELIVERY_FAILED'> {
  readonly result: SendResult;
  /** How the first failed channel ended (`ambiguous`: it may have gone). */
  readonly failure: ProviderFailure;
  constructor(result: SendResult, failure: ProviderFailure, cause: ProviderError | undefined) {
    super('ERR_NOTIFY_DELIVERY_FAILED', `delivery failed (${failure})`, { cause });
    this.result = result;
    this.failure = failure;
  }
}
