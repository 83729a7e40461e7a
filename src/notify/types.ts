/**
 * Public types of the notifier: recipients, send requests and results, templates, and the
 * {@link NotifyStore} port (preferences, suppression, idempotency, delivery records, digest buffers and
 * the reputation counters behind the promotional pause), which the memory and Redis adapters implement
 * and one contract suite checks.
 */
import type { ChannelKind, DeliveryEventStatus, ProviderFailure, ProviderMessage } from './provider.js';

/** How urgent a message is. `high` skips digests and quiet hours and goes first in the queue. */
export type Priority = 'high' | 'normal' | 'low';

/** Whether a category is mail the user asked for (`transactional`) or marketing (`promotional`). */
export type CategoryKind = 'transactional' | 'promotional';

/** Quiet hours in the recipient's local time: `start` and `end` as `HH:MM` (24 h); the window may wrap midnight. */
export interface QuietHours {
  readonly start: string;
  readonly end: string;
}

/** Who a message goes to. Each channel needs its own address; a missing one skips the channel. */
export interface Recipient {
  /** Your user id: the key of preferences, digests and unsubscribe tokens. */
  readonly userId: string;
  readonly email?: string;
  /** Display name for email (unicode allowed, no CR/LF). */
  readonly name?: string;
  /** E.164, e.g. `+14155550100`. */
  readonly phone?: string;
  /** https (or http to loopback when the webhook channel allows it). */
  readonly webhookUrl?: string;
  /** IANA zone for quiet hours, e.g. `America/New_York`. Default UTC. */
  readonly timeZone?: string;
  /** BCP 47 tag, e.g. `fr-CA`; templates fall back `fr-CA` → `fr` → default. */
  readonly locale?: string;
  /** Overrides the notifier's quiet hours; `null` turns them off for this recipient. */
  readonly quietHours?: QuietHours | null;
}

/** One call of `send`. */
export interface SendRequest {
  readonly to: Recipient;
  /** A template name given to `createNotifier`. */
  readonly template: string;
  /** Template data: plain JSON-like values, at most `maxDataBytes`. */
  readonly data?: Readonly<Record<string, unknown>>;
  /** A category given to `createNotifier` (default: the template's, else `transactional`). */
  readonly category?: string;
  /** Default `normal`. */
  readonly priority?: Priority;
  /**
   * Makes a retry safe: a second send with the same key (per channel) returns the first outcome and
   * sends nothing. Default: a random key (no deduplication).
   */
  readonly idempotencyKey?: string;
  /** Restricts the template's channels to these. */
  readonly channels?: readonly ChannelKind[];
}

/** Why a channel was skipped. */
export type SkipReason = 'opted-out' | 'no-address' | 'promotional-paused';

/** Why a channel was queued instead of sent now. */
export type QueueReason = 'digest' | 'quiet-hours' | 'rate-limited';

/** Why a recipient is on the suppression list. */
export type SuppressionReason = 'bounced' | 'complained' | 'manual';

/** The outcome of one channel of a send. */
export type ChannelResult =
  | {
      readonly channel: ChannelKind;
      readonly status: 'sent';
      readonly messageId: string;
      readonly provider: string;
      readonly providerMessageId: string;
      /** Provider calls made, failovers and retries included. */
      readonly attempts: number;
      /** True when this is the stored outcome of an earlier send with the same idempotency key. */
      readonly replayed: boolean;
    }
  | {
      readonly channel: ChannelKind;
      readonly status: 'queued';
      readonly reason: QueueReason;
      /** When the job (the deferred send, or the digest flush) is due, epoch ms. */
      readonly runAtMs: number;
      readonly replayed: boolean;
    }
  | {
      readonly channel: ChannelKind;
      readonly status: 'suppressed';
      readonly reason: SuppressionReason;
      readonly replayed: boolean;
    }
  | {
      readonly channel: ChannelKind;
      readonly status: 'skipped';
      readonly reason: SkipReason;
      readonly replayed: boolean;
    }
  | {
      readonly channel: ChannelKind;
      readonly status: 'failed';
      readonly messageId: string;
      readonly failure: ProviderFailure;
      readonly attempts: number;
      readonly replayed: boolean;
    };

/** What `send` resolves to: one result per channel. A failed channel makes `send` throw `DeliveryFailedError`, which carries this. */
export interface SendResult {
  /** The key used (yours, or the generated one). */
  readonly idempotencyKey: string;
  readonly channels: readonly ChannelResult[];
}

/** The email part of a template. Text is derived from HTML when absent. */
export interface EmailTemplate {
  readonly subject: string;
  readonly html?: string;
  readonly text?: string;
  /** A layout name: the layout renders with the body as `{{{body}}}`. */
  readonly layout?: string;
}

/** The SMS part of a template. */
export interface SmsTemplate {
  readonly text: string;
}

/** The webhook part of a template: the event type; the body's `data` is the send's data. */
export interface WebhookTemplate {
  readonly type: string;
}

/** Per-locale overrides of a template's parts. */
export interface LocalizedTemplate {
  readonly email?: EmailTemplate;
  readonly sms?: SmsTemplate;
}

/** Batches a template's messages per recipient into one digest message. */
export interface DigestOptions {
  /** How long items collect after the first one, in ms. */
  readonly windowMs: number;
  /** The template that renders the digest; it gets `{ items, count, truncated }`. */
  readonly template: string;
  /** Items kept per digest; later ones are counted, not kept. Default 100. */
  readonly maxItems?: number;
}

/** One template: its channels are the parts it defines. */
export interface TemplateDefinition {
  readonly email?: EmailTemplate;
  readonly sms?: SmsTemplate;
  readonly webhook?: WebhookTemplate;
  /** Keyed by BCP 47 tag (`fr`, `fr-CA`). */
  readonly locales?: Readonly<Record<string, LocalizedTemplate>>;
  /** Category when the send gives none. */
  readonly category?: string;
  /** Batch non-high-priority sends of this template (needs `queue`). */
  readonly digest?: DigestOptions;
}

/** What `preview` returns: the messages a send would hand to providers, rendered, nothing sent. */
export interface PreviewResult {
  readonly locale: string;
  readonly messages: readonly ProviderMessage[];
}

// ---------------------------------------------------------------------------------------------------
// The store port

/** One preference entry; `'*'` matches every channel or every category. */
export interface PreferenceKey {
  readonly userId: string;
  readonly channel: ChannelKind | '*';
  readonly category: string;
}

/** A stored preference. */
export interface Preference {
  readonly channel: ChannelKind | '*';
  readonly category: string;
  readonly optedOut: boolean;
}

/** A suppressed recipient on one channel. */
export interface Suppression {
  readonly channel: ChannelKind;
  /** Normalised address (lower-case email, E.164 number, URL). */
  readonly recipient: string;
  readonly reason: SuppressionReason;
  /** When it was added, in the store's time (epoch ms). */
  readonly atMs: number;
}

/** A request to add a suppression. */
export interface SuppressRequest {
  readonly channel: ChannelKind;
  readonly recipient: string;
  readonly reason: SuppressionReason;
}

/** A request to claim an idempotency key before sending. */
export interface ClaimRequest {
  readonly key: string;
  /** Hash of what is sent; the same key with another fingerprint is a mismatch. */
  readonly fingerprint: string;
  /** Fences `complete` and `release`: only the claimant may finish the claim. */
  readonly token: string;
  /** How long the in-progress claim holds if its owner never finishes (a crash). */
  readonly ttlMs: number;
}

/** What a claim found. */
export type ClaimReply =
  | { readonly status: 'claimed' }
  | { readonly status: 'in-progress'; readonly expiresAtMs: number }
  | { readonly status: 'done'; readonly resultJson: string }
  | { readonly status: 'mismatch' };

/** Stores the outcome of a claimed key. */
export interface CompleteRequest {
  readonly key: string;
  readonly token: string;
  readonly resultJson: string;
  /** How long the outcome is kept (replays within it return it). */
  readonly ttlMs: number;
}

/** Gives a claimed key up (nothing was sent), so a retry may send. */
export interface ReleaseRequest {
  readonly key: string;
  readonly token: string;
}

/** A delivery's status: `sent` when a provider accepted it, then what provider events report. */
export type DeliveryStatus = 'sent' | DeliveryEventStatus;

/** A message a provider accepted, and what became of it. */
export interface DeliveryRecord {
  readonly messageId: string;
  readonly channel: ChannelKind;
  readonly provider: string;
  readonly providerMessageId: string;
  readonly recipient: string;
  readonly category: string;
  readonly status: DeliveryStatus;
  /** Store time of the record's creation, epoch ms. */
  readonly createdAtMs: number;
  /** The provider's time of the last applied event (creation time until then), epoch ms. */
  readonly updatedAtMs: number;
  readonly reason?: string;
}

/** A new record, created at `sent`. */
export interface PutDeliveryRequest {
  readonly messageId: string;
  readonly channel: ChannelKind;
  readonly provider: string;
  readonly providerMessageId: string;
  readonly recipient: string;
  readonly category: string;
  /** How long the record (and its provider id index) is kept. */
  readonly ttlMs: number;
}

/** Which record an event is about: the notifier's id, or the provider's. */
export type DeliveryRef =
  | { readonly messageId: string }
  | { readonly provider: string; readonly providerMessageId: string };

/** Applies one provider event to a record. */
export interface UpdateDeliveryRequest {
  readonly ref: DeliveryRef;
  readonly status: DeliveryEventStatus;
  /** The provider's time of the event. */
  readonly atMs: number;
  readonly reason?: string;
}

/** What an update did: `updated`, `ignored` (the status machine refused the move) or `unknown` (no record). */
export interface UpdateDeliveryReply {
  readonly outcome: 'updated' | 'ignored' | 'unknown';
  readonly record?: DeliveryRecord;
}

/** Adds one item to a digest buffer. */
export interface AppendDigestRequest {
  readonly key: string;
  readonly itemJson: string;
  /** Items kept; beyond it the item is only counted. */
  readonly maxItems: number;
  /** How long the buffer lives if never taken (a lost flush job). */
  readonly ttlMs: number;
}

/** What an append did: `first` is true for the item that opened the buffer (schedule its flush). */
export interface AppendDigestReply {
  readonly first: boolean;
  /** Items added since the buffer opened, kept or not. */
  readonly count: number;
}

/** What `takeDigest` removed: the kept items, and how many were added in all. */
export interface TakenDigest {
  readonly items: readonly string[];
  readonly count: number;
}

/** Counts of the reputation window (email sends and complaints). */
export interface ReputationCounts {
  readonly sent: number;
  readonly complained: number;
}

/** Adds to the reputation counters of the current window. */
export interface AddReputationRequest {
  readonly sent: number;
  readonly complained: number;
  readonly windowMs: number;
}

/**
 * The notifier's state. Every method is one atomic step; time is the adapter's own (port rule 2).
 * Deadlines that tests move with a manual clock (claim expiry, digest lifetime) are kept as instants in
 * the stored values, and key TTLs only collect garbage.
 */
export interface NotifyStore {
  readonly kind: string;
  /** Sets or clears one opt-out. */
  setPreference(request: PreferenceKey & { readonly optedOut: boolean }): Promise<void>;
  /** Every stored preference of a user. */
  getPreferences(userId: string): Promise<readonly Preference[]>;
  /** Adds (or replaces) a suppression. */
  suppress(request: SuppressRequest): Promise<void>;
  getSuppression(channel: ChannelKind, recipient: string): Promise<Suppression | undefined>;
  /** Removes a suppression; false when there was none. */
  unsuppress(channel: ChannelKind, recipient: string): Promise<boolean>;
  /** Claims a key: a new (or lapsed) key is claimed; otherwise its state is reported. */
  claimIdempotency(request: ClaimRequest): Promise<ClaimReply>;
  /** Stores the outcome; false when the claim is no longer this token's (it lapsed and was taken). */
  completeIdempotency(request: CompleteRequest): Promise<boolean>;
  /** Deletes the claim if still this token's. */
  releaseIdempotency(request: ReleaseRequest): Promise<boolean>;
  /** Creates a delivery record at `sent`, indexed by provider id. */
  putDelivery(request: PutDeliveryRequest): Promise<void>;
  getDelivery(ref: DeliveryRef): Promise<DeliveryRecord | undefined>;
  /** Moves a record along the status machine (see `DELIVERY_TRANSITIONS`). */
  updateDelivery(request: UpdateDeliveryRequest): Promise<UpdateDeliveryReply>;
  appendDigest(request: AppendDigestRequest): Promise<AppendDigestReply>;
  /** Removes and returns a digest buffer (empty when none). */
  takeDigest(key: string): Promise<TakenDigest>;
  addReputation(request: AddReputationRequest): Promise<void>;
  /** Counts of the current and the previous window together (so between one and two windows of data). */
  reputation(windowMs: number): Promise<ReputationCounts>;
  close?(): Promise<void>;
}
