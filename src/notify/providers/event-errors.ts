/**
 * Errors of the receivers: the Standard Webhooks verifier and the SendGrid and Twilio event ingestion.
 * Each says why a request was refused, so an endpoint can answer it (401 for a missing or bad
 * signature, 400 for a bad payload, 200 for a replay of a delivery already accepted).
 */
import { BackendPatternsError, type BackendPatternsErrorOptions } from '../../core/errors.js';
import type { NotifyErrorCode } from '../errors.js';

/**
 * A receiver's code, checked against the module's one list: a code missing from `NOTIFY_ERROR_CODES`
 * (src/notify/errors.ts) does not compile here, so the list (and the docs check that reads it)
 * cannot drift from the classes.
 */
type ReceiverCode<Code extends NotifyErrorCode> = Code;

/** The request carries no signature, or lacks a header the signature needs (it is unsigned). */
export class SignatureMissingError extends BackendPatternsError<
  ReceiverCode<'ERR_NOTIFY_SIGNATURE_MISSING'>
> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_NOTIFY_SIGNATURE_MISSING', message, options);
  }
}

/** The signature is malformed or does not match the body with any configured key. */
export class SignatureInvalidError extends BackendPatternsError<
  ReceiverCode<'ERR_NOTIFY_SIGNATURE_INVALID'>
> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_NOTIFY_SIGNATURE_INVALID', message, options);
  }
}

/** The signed timestamp is further from now than the tolerance (too old: a replay; or in the future). */
export class TimestampOutOfRangeError extends BackendPatternsError<
  ReceiverCode<'ERR_NOTIFY_TIMESTAMP_OUT_OF_RANGE'>
> {
  /** The signed timestamp, epoch ms. */
  readonly timestampMs: number;
  constructor(message: string, timestampMs: number, options?: BackendPatternsErrorOptions) {
    super('ERR_NOTIFY_TIMESTAMP_OUT_OF_RANGE', message, options);
    this.timestampMs = timestampMs;
  }
}

/**
 * The request is correctly signed but was seen before (the replay guard already holds its key): a
 * replay, or the sender retrying a delivery this endpoint already accepted.
 */
export class ReplayedError extends BackendPatternsError<ReceiverCode<'ERR_NOTIFY_REPLAYED'>> {
  /** The key the replay guard holds (`webhook-id`, a body digest, or `MessageSid:MessageStatus`). */
  readonly replayKey: string;
  constructor(message: string, replayKey: string, options?: BackendPatternsErrorOptions) {
    super('ERR_NOTIFY_REPLAYED', message, options);
    this.replayKey = replayKey;
  }
}

/** The signature holds but the body is not what the sender documents (not JSON, wrong shape, too big). */
export class PayloadInvalidError extends BackendPatternsError<ReceiverCode<'ERR_NOTIFY_PAYLOAD_INVALID'>> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_NOTIFY_PAYLOAD_INVALID', message, options);
  }
}
