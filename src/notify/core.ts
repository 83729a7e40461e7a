/** What the parts of one notifier share: its parsed options and the objects built from them. */
import type { JobQueue } from '../jobs/index.js';
import type { DeliveryContext, ProviderSlot } from './delivery.js';
import type { NotifyInstruments } from './instruments.js';
import type { ParsedNotifierOptions } from './options.js';
import type { ChannelKind } from './provider.js';
import type { QuietWindow } from './schedule.js';
import type { TemplateEngine } from './templates.js';
import type { CategoryKind, NotifyStore } from './types.js';
import type { UnsubscribeSigner } from './unsubscribe.js';

/** One notifier's shared state. */
export interface NotifierCore {
  readonly o: ParsedNotifierOptions;
  readonly engine: TemplateEngine;
  readonly store: NotifyStore;
  readonly queue: JobQueue | undefined;
  readonly slots: Readonly<Partial<Record<ChannelKind, readonly ProviderSlot[]>>>;
  readonly categories: Readonly<Record<string, CategoryKind>>;
  readonly signer: UnsubscribeSigner | undefined;
  readonly instruments: NotifyInstruments;
  readonly delivery: DeliveryContext;
  readonly quiet: QuietWindow | undefined;
}

/** The job type of a deferred send (quiet hours, our own rate limit). */
export const SEND_JOB = 'notify.send';
/** The job type of a digest flush. */
export const DIGEST_JOB = 'notify.digest';

/** Queue priorities (lower runs first): high-priority messages overtake the rest. */
export const JOB_PRIORITY = { high: 0, normal: 10, low: 20 } as const;
