/**
 * Delivery tracking: provider events (from the adapters' webhook ingestion) move delivery records along
 * the status machine, feed the suppression list (hard bounces and complaints) and the complaint count
 * behind the promotional pause, and are counted in `notify.deliveries{channel, provider, status}`.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { normalizeEmail } from './checks.js';
import type { NotifierCore } from './core.js';
import type { ChannelKind, DeliveryEvent } from './provider.js';
import type { DeliveryRef } from './types.js';

/** What `track` did with a batch of events. */
export interface TrackResult {
  /** Records moved to a new status. */
  readonly updated: number;
  /** Events the status machine refused (out of order, or after a final status). */
  readonly ignored: number;
  /** Events about no known record (expired, or sent by someone else). */
  readonly unknown: number;
  /** Recipients added to the suppression list. */
  readonly suppressed: number;
}

const STATUSES = new Set(['delivered', 'deferred', 'bounced', 'complained', 'failed']);
const CHANNELS = new Set(['email', 'sms', 'webhook']);
const MAX_EVENTS = 10_000;

function checkEvent(event: unknown, i: number): DeliveryEvent {
  const e = event as Partial<DeliveryEvent> | null;
  const bad = (why: string) => new InvalidArgumentError(`\`events[${i}]\` ${why}`);
  if (typeof e !== 'object' || e === null) throw bad('must be a DeliveryEvent');
  if (!STATUSES.has(e.status as string)) throw bad('has an unknown `status`');
  if (!CHANNELS.has(e.channel as string)) throw bad('has an unknown `channel`');
  if (typeof e.provider !== 'string' || e.provider === '' || e.provider.length > 128)
    throw bad('needs a `provider`');
  if (typeof e.recipient !== 'string' || e.recipient.length > 2048) throw bad('needs a `recipient`');
  if (!Number.isSafeInteger(e.atMs)) throw bad('needs `atMs` (epoch ms)');
  const hasId = typeof e.messageId === 'string' && e.messageId !== '' && e.messageId.length <= 256;
  const hasProviderId =
    typeof e.providerMessageId === 'string' &&
    e.providerMessageId !== '' &&
    e.providerMessageId.length <= 256;
  if (!hasId && !hasProviderId) throw bad('needs `messageId` or `providerMessageId`');
  return e as DeliveryEvent;
}

/** The suppression key of an event's recipient, as sends compute it. */
function suppressionKey(channel: ChannelKind, recipient: string): string {
  if (channel !== 'email') return recipient;
  try {
    return normalizeEmail('recipient', recipient).toLowerCase();
  } catch {
    return recipient.toLowerCase();
  }
}

/** Applies one event. */
async function applyEvent(
  core: NotifierCore,
  event: DeliveryEvent,
  counts: { -readonly [K in keyof TrackResult]: number },
) {
  const ref: DeliveryRef = event.messageId
    ? { messageId: event.messageId }
    : { provider: event.provider, providerMessageId: event.providerMessageId as string };
  const reply = await core.store.updateDelivery({
    ref,
    status: event.status,
    atMs: event.atMs,
    ...(event.reason ? { reason: event.reason.slice(0, 512) } : {}),
  });
  counts[reply.outcome]++;
  if (reply.outcome === 'updated') {
    core.instruments.deliveries.add(1, {
      channel: event.channel,
      provider: event.provider,
      status: event.status,
    });
  }
  // Suppress even without a record: the address is bad whoever sent to it. Complaints count once per record.
  const hardBounce = event.status === 'bounced' && event.permanent === true;
  if (hardBounce || event.status === 'complained') {
    const recipient = reply.record?.recipient ?? suppressionKey(event.channel, event.recipient);
    const reason = hardBounce ? 'bounced' : 'complained';
    await core.store.suppress({ channel: event.channel, recipient, reason });
    counts.suppressed++;
  }
  if (event.status === 'complained' && reply.outcome !== 'ignored') {
    await core.store.addReputation({ sent: 0, complained: 1, windowMs: core.o.reputation.windowMs });
  }
}

/** Applies provider events in order. Throws `InvalidArgumentError` (before applying any) for a malformed one. */
export async function track(core: NotifierCore, events: readonly DeliveryEvent[]): Promise<TrackResult> {
  if (!Array.isArray(events) || events.length > MAX_EVENTS) {
    throw new InvalidArgumentError(`\`events\` must be an array of at most ${MAX_EVENTS} DeliveryEvents`);
  }
  const checked = events.map(checkEvent);
  const counts = { updated: 0, ignored: 0, unknown: 0, suppressed: 0 };
  for (const event of checked) await applyEvent(core, event, counts);
  return counts;
}
