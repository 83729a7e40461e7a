/**
 * `createNotifier`: builds the parts (templates, provider slots with their breakers and limits, the
 * unsubscribe signer, the store) and exposes the Notifier. A send is two halves: compose.ts checks and
 * renders everything (nothing touched yet), send.ts claims, gates and delivers per channel.
 */
import { createCircuitBreaker } from '../core/circuit.js';
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import { createWorker, type Job, type Worker, type WorkerOptions } from '../jobs/index.js';
import { normalizeRecipient, normalizeRequest, prepareChannels } from './compose.js';
import type { NotifierCore } from './core.js';
import { createJobHandler } from './deferred.js';
import type { ProviderSlot } from './delivery.js';
import { DeliveryFailedError } from './errors.js';
import { type NotifyInstruments, notifyInstruments } from './instruments.js';
import { createMemoryNotifyStore } from './memory.js';
import { type NotifierOptions, type ParsedNotifierOptions, parseNotifierOptions } from './options.js';
import type { ChannelKind, DeliveryEvent, NotifyProvider } from './provider.js';
import { parseQuietHours } from './schedule.js';
import { claimAll, failureCauses, recordSent, releaseAll, runChannel, settleClaim } from './send.js';
import { createTemplateEngine, type TemplateEngine } from './templates.js';
import { type TrackResult, track } from './tracking.js';
import type {
  CategoryKind,
  ChannelResult,
  DeliveryRecord,
  DeliveryRef,
  Preference,
  PreferenceKey,
  PreviewResult,
  SendRequest,
  SendResult,
  SuppressRequest,
  TemplateDefinition,
} from './types.js';
import { createUnsubscribeSigner, type UnsubscribeClaims } from './unsubscribe.js';

/** The notifier. */
export interface Notifier {
  /**
   * Sends a template to a recipient on each of its channels. Bad input throws a typed error before
   * anything is sent; a channel that could not be delivered makes it throw `DeliveryFailedError`,
   * whose `result` holds every channel's outcome.
   */
  send(request: SendRequest): Promise<SendResult>;
  /** Renders what `send` would hand to providers; checks input, touches no store, sends nothing. */
  preview(request: SendRequest): Promise<PreviewResult>;
  /** Applies provider events: records, suppression, complaint counts, `notify.deliveries`. */
  track(events: readonly DeliveryEvent[]): Promise<TrackResult>;
  /** The one-click unsubscribe (RFC 8058 POST, or the link): verifies the token and records the opt-out. */
  handleUnsubscribe(token: string): Promise<UnsubscribeClaims>;
  /** A signed unsubscribe token (for your own links, e.g. in an SMS footer or a preferences page). */
  unsubscribeToken(claims: Omit<UnsubscribeClaims, 'expiresAtMs'>): string;
  setPreference(request: PreferenceKey & { readonly optedOut: boolean }): Promise<void>;
  getPreferences(userId: string): Promise<readonly Preference[]>;
  /** Adds a manual suppression (the address is normalised as sends do). */
  suppress(request: SuppressRequest): Promise<void>;
  unsuppress(channel: ChannelKind, recipient: string): Promise<boolean>;
  getDelivery(ref: DeliveryRef): Promise<DeliveryRecord | undefined>;
  /** The handler of the notifier's jobs (deferred sends, digests), for your own worker. */
  readonly jobHandler: (job: Job) => Promise<unknown>;
  /** Starts a worker on the notifier's `queue` with {@link Notifier.jobHandler}. */
  startWorker(options?: WorkerOptions): Worker;
}

const DEFAULT_CATEGORIES: Readonly<Record<string, CategoryKind>> = {
  transactional: 'transactional',
  promotional: 'promotional',
};
const CATEGORY_NAME = /^[A-Za-z0-9._-]{1,64}$/;
const CHANNELS = ['email', 'sms', 'webhook'] as const;

function checkCategories(categories: Readonly<Record<string, CategoryKind>>) {
  for (const [name, kind] of Object.entries(categories)) {
    if (!CATEGORY_NAME.test(name) || (kind !== 'transactional' && kind !== 'promotional')) {
      throw new InvalidOptionError(
        `createNotifier: \`categories.${name}\` must be a [A-Za-z0-9._-] name of kind 'transactional' or 'promotional'`,
      );
    }
  }
}

/** Provider slots per channel; names are unique and each provider is on its own channel. */
function buildSlots(o: ParsedNotifierOptions, instruments: NotifyInstruments) {
  const names = new Set<string>();
  const slots: Partial<Record<ChannelKind, ProviderSlot[]>> = {};
  for (const channel of CHANNELS) {
    const providers = (o.channels[channel]?.providers ?? []) as readonly NotifyProvider[];
    slots[channel] = providers.map((provider, i) => {
      const where = `channels.${channel}.providers[${i}]`;
      if (provider.channel !== channel)
        throw new InvalidOptionError(
          `createNotifier: \`${where}\` is a ${String(provider.channel)} provider`,
        );
      if (typeof provider.name !== 'string' || provider.name === '' || names.has(provider.name)) {
        throw new InvalidOptionError(`createNotifier: \`${where}.name\` must be a unique non-empty string`);
      }
      names.add(provider.name);
      const labels = { provider: provider.name };
      const circuit = createCircuitBreaker({
        ...o.circuit,
        clock: o.clock,
        onStateChange: (to) =>
          instruments.circuit.set(to === 'closed' ? 0 : to === 'half-open' ? 1 : 2, labels),
      });
      const limiter = o.limits?.[provider.name];
      return limiter ? { provider, circuit, limiter } : { provider, circuit };
    });
  }
  for (const name of Object.keys(o.limits ?? {})) {
    if (!names.has(name))
      throw new InvalidOptionError(`createNotifier: \`limits.${name}\` names no provider`);
  }
  return slots;
}

/** A digest needs a queue and a digest template on the same channels. */
function checkDigest(o: ParsedNotifierOptions, engine: TemplateEngine, name: string, t: TemplateDefinition) {
  if (t.digest === undefined) return;
  if (o.queue === undefined)
    throw new InvalidOptionError(`createNotifier: \`templates.${name}.digest\` needs \`queue\``);
  if (!Number.isSafeInteger(t.digest.windowMs) || t.digest.windowMs < 1) {
    throw new InvalidOptionError(
      `createNotifier: \`templates.${name}.digest.windowMs\` must be an integer >= 1`,
    );
  }
  const digestChannels = Object.hasOwn(o.templates, t.digest.template)
    ? engine.channels(t.digest.template)
    : [];
  if (!engine.channels(name).every((c) => digestChannels.includes(c))) {
    throw new InvalidOptionError(
      `createNotifier: \`templates.${name}.digest.template\` must name a template with the same channels`,
    );
  }
}

/** Template channels must be configured and categories known. */
function checkTemplates(
  o: ParsedNotifierOptions,
  engine: TemplateEngine,
  categories: Readonly<Record<string, CategoryKind>>,
) {
  for (const [name, t] of Object.entries(o.templates)) {
    const missing = engine.channels(name).find((channel) => o.channels[channel] === undefined);
    if (missing)
      throw new InvalidOptionError(
        `createNotifier: \`templates.${name}\` uses the ${missing} channel, which has no providers`,
      );
    if (t.category !== undefined && !Object.hasOwn(categories, t.category)) {
      throw new InvalidOptionError(`createNotifier: \`templates.${name}.category\` is not a category`);
    }
    checkDigest(o, engine, name, t);
  }
}

/** Promotional email must carry List-Unsubscribe (the Gmail and Yahoo bulk-sender rules). */
function checkUnsubscribe(o: ParsedNotifierOptions, categories: Readonly<Record<string, CategoryKind>>) {
  // Only promotional categories the app declared or a template uses; the built-in `promotional` name
  // alone does not force an unsubscribe endpoint on a transactional-only notifier (sends check it).
  const declared = Object.values(o.categories ?? {}).includes('promotional');
  const used = Object.values(o.templates).some(
    (t) => t.category !== undefined && categories[t.category] === 'promotional',
  );
  const promotionalEmail = (declared || used) && o.channels.email !== undefined;
  const u = o.unsubscribe;
  if (promotionalEmail && (u === undefined || (u.url === undefined && u.mailto === undefined))) {
    throw new InvalidOptionError(
      'createNotifier: promotional email needs `unsubscribe` with `keys` and a `url` or `mailto` (List-Unsubscribe)',
    );
  }
  if (u?.url !== undefined && !/^https:\/\//.test(u.url))
    throw new InvalidOptionError('createNotifier: `unsubscribe.url` must be https');
}

function buildCore(o: ParsedNotifierOptions): NotifierCore {
  const categories = o.categories ?? DEFAULT_CATEGORIES;
  checkCategories(categories);
  const engine = createTemplateEngine({
    templates: o.templates,
    layouts: o.layouts ?? {},
    partials: o.partials ?? {},
    helpers: o.helpers ?? {},
    strict: o.strict,
  });
  checkTemplates(o, engine, categories);
  checkUnsubscribe(o, categories);
  const instruments = notifyInstruments(o.metrics);
  if (o.quietHours !== undefined && o.queue === undefined)
    throw new InvalidOptionError('createNotifier: `quietHours` needs `queue`');
  if (o.retry.minDelayMs > o.retry.maxDelayMs)
    throw new InvalidOptionError('createNotifier: `retry.minDelayMs` must not exceed `retry.maxDelayMs`');
  return {
    o,
    engine,
    store: o.store ?? createMemoryNotifyStore({ clock: o.clock }),
    queue: o.queue,
    slots: buildSlots(o, instruments),
    categories,
    signer: o.unsubscribe
      ? createUnsubscribeSigner(o.unsubscribe.keys, o.unsubscribe.tokenTtlMs, o.clock)
      : undefined,
    instruments,
    delivery: {
      clock: o.clock,
      retry: o.retry,
      attemptTimeoutMs: o.attemptTimeoutMs,
      rateLimitWaitMs: o.rateLimitWaitMs,
      random: o.random,
      instruments,
    },
    quiet: o.quietHours ? parseQuietHours('quietHours', o.quietHours, true) : undefined,
  };
}

/** A send: render all, claim all, then each channel in turn; claims are settled as soon as a channel ends. */
async function sendWith(core: NotifierCore, request: SendRequest): Promise<SendResult> {
  const req = normalizeRequest(core, request);
  const prepared = prepareChannels(core, req);
  const claims = await claimAll(core, req, prepared);
  const results: ChannelResult[] = [];
  try {
    for (const [i, p] of prepared.entries()) {
      const claim = claims[i]!;
      if ('replay' in claim) {
        results.push(claim.replay);
        continue;
      }
      const key = `${req.idempotencyKey}:${p.channel}`;
      const result = await runChannel(core, req, p, key);
      // From here the claim is never released on an error: if the outcome cannot be stored, the claim
      // lapses at its TTL, and a retry meanwhile gets ERR_NOTIFY_IN_PROGRESS instead of a second send.
      claims[i] = { replay: result };
      results.push(result);
      await settleClaim(core, key, claim.token, result);
      await recordSent(core, req, result);
    }
  } catch (error) {
    await releaseAll(core, req, prepared, claims);
    throw error;
  }
  const result = { idempotencyKey: req.idempotencyKey, channels: results };
  const failed = results.find((r) => r.status === 'failed');
  if (failed?.status === 'failed')
    throw new DeliveryFailedError(result, failed.failure, failureCauses.get(failed));
  return result;
}

/**
 * Creates a notifier.
 *
 * @example
 * ```ts
 * const outbox = createOutbox();
 * const notifier = createNotifier({
 *   channels: { email: { providers: [outbox.email], from: { address: 'app@example.com', name: 'App' } } },
 *   templates: { welcome: { email: { subject: 'Welcome, {{name}}', html: '<p>Hi {{name}}</p>' } } },
 * });
 * const result = await notifier.send({
 *   to: { userId: 'u1', email: 'ada@example.com' },
 *   template: 'welcome',
 *   data: { name: 'Ada' },
 *   idempotencyKey: 'welcome:u1',
 * });
 * result.channels[0]?.status; // 'sent'
 * ```
 */
export function createNotifier(options: NotifierOptions): Notifier {
  const core = buildCore(parseNotifierOptions(options));
  const jobHandler = createJobHandler(core);
  const normalizeAddress = (channel: ChannelKind, recipient: string) => {
    const field = channel === 'email' ? 'email' : channel === 'sms' ? 'phone' : 'webhookUrl';
    const to = normalizeRecipient(core, { userId: 'suppression', [field]: recipient });
    return (
      channel === 'email' ? to.email?.toLowerCase() : channel === 'sms' ? to.phone : to.webhookUrl
    ) as string;
  };
  return {
    send: (request) => sendWith(core, request),
    async preview(request) {
      const req = normalizeRequest(core, request);
      const messages = prepareChannels(core, req).flatMap((p) => (p.message ? [p.message] : []));
      const part = core.engine.channels(req.template).includes('email') ? 'email' : 'sms';
      return { locale: core.engine.localeFor(req.template, part, req.to.locale), messages };
    },
    track: (events) => track(core, events),
    async handleUnsubscribe(token) {
      if (core.signer === undefined)
        throw new InvalidArgumentError('this notifier has no `unsubscribe` keys');
      const claims = core.signer.verify(token);
      await core.store.setPreference({
        userId: claims.userId,
        channel: claims.channel,
        category: claims.category,
        optedOut: true,
      });
      return claims;
    },
    unsubscribeToken(claims) {
      if (core.signer === undefined)
        throw new InvalidArgumentError('this notifier has no `unsubscribe` keys');
      argument.key('userId', claims.userId, 256);
      argument.key('category', claims.category, 64);
      argument.oneOf('channel', claims.channel, ['email', 'sms', 'webhook', '*'] as const);
      return core.signer.sign(claims);
    },
    async setPreference(request) {
      argument.key('userId', request.userId, 256);
      argument.oneOf('channel', request.channel, ['email', 'sms', 'webhook', '*'] as const);
      if (request.category !== '*' && !Object.hasOwn(core.categories, request.category)) {
        throw new InvalidArgumentError('`category` must be a category of this notifier or `*`');
      }
      if (typeof request.optedOut !== 'boolean')
        throw new InvalidArgumentError('`optedOut` must be a boolean');
      await core.store.setPreference(request);
    },
    getPreferences: (userId) => core.store.getPreferences(argument.key('userId', userId, 256)),
    async suppress({ channel, recipient, reason }) {
      argument.oneOf('channel', channel, CHANNELS);
      argument.oneOf('reason', reason, ['bounced', 'complained', 'manual'] as const);
      await core.store.suppress({ channel, recipient: normalizeAddress(channel, recipient), reason });
    },
    unsuppress: async (channel, recipient) =>
      core.store.unsuppress(
        argument.oneOf('channel', channel, CHANNELS),
        normalizeAddress(channel, recipient),
      ),
    getDelivery: (ref) => core.store.getDelivery(ref),
    jobHandler,
    startWorker(workerOptions) {
      if (core.queue === undefined) throw new InvalidArgumentError('this notifier has no `queue`');
      return createWorker(core.queue, jobHandler, workerOptions);
    },
  };
}
