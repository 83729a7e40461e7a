/**
 * Notifier (`backend-patterns/notify`): email, SMS and webhook messages from handlebars templates, with
 * preferences and one-click unsubscribe, a suppression list fed by bounces and complaints, provider
 * limits, retries, failover and a circuit breaker per provider, idempotent sends, digests and quiet
 * hours through the JobQueue, and delivery tracking (`notify.deliveries`). The memory store is the
 * default; `backend-patterns/notify/redis` shares state across processes. Provider adapters live in
 * their own subpaths; the outbox here keeps messages for tests and previews.
 *
 * @example
 * ```ts
 * import { createNotifier, createOutbox } from 'backend-patterns/notify';
 * const outbox = createOutbox();
 * const notifier = createNotifier({
 *   channels: { email: { providers: [outbox.email], from: { address: 'app@example.com' } } },
 *   templates: { welcome: { email: { subject: 'Welcome', html: '<p>Hi {{name}}</p>' } } },
 * });
 * await notifier.send({ to: { userId: 'u1', email: 'ada@example.com' }, template: 'welcome', data: { name: 'Ada' } });
 * ```
 */
export { checkDisplayName, checkPhone, checkWebhookUrl, normalizeEmail } from './checks.js';
export { DELIVERY_TRANSITIONS } from './constants.js';
export {
  DataTooLargeError,
  DeliveryFailedError,
  HeaderInjectionError,
  IdempotencyMismatchError,
  InvalidDataError,
  InvalidRecipientError,
  NOTIFY_ERROR_CODES,
  type NotifyErrorCode,
  SendInProgressError,
  TemplateDataError,
  TemplateNotFoundError,
  TemplateSyntaxError,
  UnsubscribeExpiredError,
  UnsubscribeTokenError,
} from './errors.js';
export { decodeEntities, htmlToText } from './html-text.js';
export { createMemoryNotifyStore, type MemoryNotifyStore, type MemoryNotifyStoreOptions } from './memory.js';
export { createNotifier, type Notifier } from './notifier.js';
export type {
  ChannelsOptions,
  EmailChannelOptions,
  NotifierOptions,
  SmsChannelOptions,
  UnsubscribeOptions,
  WebhookChannelOptions,
} from './options.js';
export { createOutbox, type Outbox, type OutboxEntry } from './outbox.js';
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
} from './provider.js';
export type { TemplateHelper } from './templates.js';
export type { TrackResult } from './tracking.js';
export type {
  AddReputationRequest,
  AppendDigestReply,
  AppendDigestRequest,
  CategoryKind,
  ChannelResult,
  ClaimReply,
  ClaimRequest,
  CompleteRequest,
  DeliveryRecord,
  DeliveryRef,
  DeliveryStatus,
  DigestOptions,
  EmailTemplate,
  LocalizedTemplate,
  NotifyStore,
  Preference,
  PreferenceKey,
  PreviewResult,
  Priority,
  PutDeliveryRequest,
  QueueReason,
  QuietHours,
  Recipient,
  ReleaseRequest,
  ReputationCounts,
  SendRequest,
  SendResult,
  SkipReason,
  SmsTemplate,
  Suppression,
  SuppressionReason,
  SuppressRequest,
  TakenDigest,
  TemplateDefinition,
  UpdateDeliveryReply,
  UpdateDeliveryRequest,
  WebhookTemplate,
} from './types.js';
export type { UnsubscribeClaims, UnsubscribeKey } from './unsubscribe.js';
