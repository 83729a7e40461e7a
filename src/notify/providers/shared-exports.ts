/**
 * What every provider subpath exports besides its own factories: the provider port, the module's error
 * list (the one `NOTIFY_ERROR_CODES` of `backend-patterns/notify`, re-exported), the receivers' errors
 * and the replay guard, so a user of one subpath needs no other import.
 */

export { NOTIFY_ERROR_CODES, type NotifyErrorCode } from '../errors.js';
export {
  type ChannelKind,
  type DeliveryEvent,
  type DeliveryEventStatus,
  type EmailAddress,
  type EmailMessage,
  type NotifyProvider,
  PROVIDER_ERROR_CODE,
  ProviderError,
  type ProviderErrorOptions,
  type ProviderFailure,
  type ProviderMessage,
  type ProviderReceipt,
  type SendContext,
  type SmsMessage,
  type WebhookMessage,
} from '../provider.js';
export {
  PayloadInvalidError,
  ReplayedError,
  SignatureInvalidError,
  SignatureMissingError,
  TimestampOutOfRangeError,
} from './event-errors.js';
export type { FetchFunction } from './http.js';
export {
  createMemoryReplayGuard,
  type InboundHeaders,
  type MemoryReplayGuard,
  type MemoryReplayGuardOptions,
  type RawBody,
  type ReplayGuard,
} from './inbound.js';
