/**
 * What every provider subpath exports besides its own factories: the provider port, the receivers'
 * errors and the replay guard, so a user of one subpath needs no other import.
 */

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
  NOTIFY_EVENT_ERROR_CODES,
  type NotifyEventErrorCode,
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
