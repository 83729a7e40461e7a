/**
 * The first half of a send, which touches nothing: the request is checked, every channel's address is
 * checked, and every channel's message is rendered. Any bad input fails here with a typed error, so a
 * send either hands all its messages on or none (nothing half-sent).
 */
import { createHash, randomBytes } from 'node:crypto';
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import {
  checkData,
  checkDisplayName,
  checkHeaderValue,
  checkPhone,
  checkWebhookUrl,
  normalizeEmail,
} from './checks.js';
import type { NotifierCore } from './core.js';
import type { ChannelKind, EmailMessage, ProviderMessage } from './provider.js';
import { checkTimeZone, parseQuietHours } from './schedule.js';
import type { CategoryKind, Priority, QuietHours, Recipient, SendRequest } from './types.js';

/** A request after its checks. */
export interface NormalizedRequest {
  readonly to: Recipient;
  readonly template: string;
  readonly data: Readonly<Record<string, unknown>>;
  readonly category: string;
  readonly kind: CategoryKind;
  readonly priority: Priority;
  readonly idempotencyKey: string;
  readonly channels: readonly ChannelKind[];
}

/** One channel of a send, rendered. `address` is undefined when the recipient has none for it. */
export interface PreparedChannel {
  readonly channel: ChannelKind;
  readonly address: string | undefined;
  readonly message: ProviderMessage | undefined;
  readonly fingerprint: string;
}

const REQUEST_KEYS = new Set([
  'to',
  'template',
  'data',
  'category',
  'priority',
  'idempotencyKey',
  'channels',
]);
const RECIPIENT_KEYS = new Set([
  'userId',
  'email',
  'name',
  'phone',
  'webhookUrl',
  'timeZone',
  'locale',
  'quietHours',
]);
const PRIORITIES = ['high', 'normal', 'low'] as const;
const CHANNELS = ['email', 'sms', 'webhook'] as const;

function checkKeys(value: object, allowed: ReadonlySet<string>, where: string): void {
  for (const key of Object.keys(value)) {
    if (!allowed.has(key)) throw new InvalidArgumentError(`unknown field \`${where}${key}\``);
  }
}

/** Checks a recipient: every field given is checked, used by this send or not. */
export function normalizeRecipient(core: NotifierCore, to: unknown): Recipient {
  if (typeof to !== 'object' || to === null)
    throw new InvalidArgumentError('`to` must be a recipient object');
  checkKeys(to, RECIPIENT_KEYS, 'to.');
  const r = to as Recipient;
  argument.key('to.userId', r.userId, 256);
  const out: { -readonly [K in keyof Recipient]: Recipient[K] } = { userId: r.userId };
  if (r.email !== undefined) out.email = normalizeEmail('to.email', r.email);
  if (r.name !== undefined) out.name = checkDisplayName('to.name', r.name);
  if (r.phone !== undefined) out.phone = checkPhone('to.phone', r.phone);
  if (r.webhookUrl !== undefined) {
    out.webhookUrl = checkWebhookUrl(
      'to.webhookUrl',
      r.webhookUrl,
      core.o.channels.webhook?.allowLoopbackHttp ?? false,
    );
  }
  if (r.timeZone !== undefined) out.timeZone = checkTimeZone(argument.key('to.timeZone', r.timeZone, 64));
  if (r.locale !== undefined) out.locale = argument.key('to.locale', r.locale, 64);
  if (r.quietHours !== undefined) {
    if (r.quietHours !== null) parseQuietHours('to.quietHours', r.quietHours as QuietHours, false);
    out.quietHours = r.quietHours;
  }
  return out;
}

function channelsOf(core: NotifierCore, template: string, wanted: unknown): ChannelKind[] {
  const defined = core.engine.channels(template);
  if (wanted === undefined) return [...defined];
  if (!Array.isArray(wanted) || wanted.length === 0)
    throw new InvalidArgumentError('`channels` must be a non-empty array');
  for (const c of wanted) argument.oneOf('channels[]', c, CHANNELS);
  return defined.filter((c) => wanted.includes(c));
}

/** Checks a send request; throws a typed error for anything wrong. */
export function normalizeRequest(core: NotifierCore, request: SendRequest): NormalizedRequest {
  if (typeof request !== 'object' || request === null)
    throw new InvalidArgumentError('`send` needs a request object');
  checkKeys(request, REQUEST_KEYS, '');
  const template = argument.key('template', request.template, 128);
  const definition = core.engine.definition(template);
  const to = normalizeRecipient(core, request.to);
  const category = request.category ?? definition.category ?? 'transactional';
  if (typeof category !== 'string' || !Object.hasOwn(core.categories, category)) {
    throw new InvalidArgumentError('`category` must be one of the categories given to createNotifier');
  }
  const kind = core.categories[category] as CategoryKind;
  // A notifier may be built for transactional mail only (no unsubscribe endpoint); promotional email
  // without List-Unsubscribe is refused here rather than sent.
  const channels = channelsOf(core, template, request.channels);
  if (kind === 'promotional' && core.signer === undefined && channels.includes('email')) {
    throw new InvalidArgumentError(
      '`category` is promotional, but the notifier has no `unsubscribe` (List-Unsubscribe is required)',
    );
  }
  const priority =
    request.priority === undefined ? 'normal' : argument.oneOf('priority', request.priority, PRIORITIES);
  const idempotencyKey =
    request.idempotencyKey === undefined
      ? `auto:${randomBytes(16).toString('base64url')}`
      : argument.key('idempotencyKey', request.idempotencyKey, 256);
  return {
    to,
    template,
    data: checkData(request.data, core.o.maxDataBytes),
    category,
    kind,
    priority,
    idempotencyKey,
    channels,
  };
}

/** The recipient's address on a channel, normalised (what suppression keys on), or undefined. */
export function addressOf(to: Recipient, channel: ChannelKind): string | undefined {
  if (channel === 'email') return to.email?.toLowerCase();
  if (channel === 'sms') return to.phone;
  return to.webhookUrl;
}

/** A new message id: also the Standard Webhooks `webhook-id` and the tag providers echo in events. */
export const newMessageId = () => `msg_${randomBytes(12).toString('base64url')}`;

/** What identifies a message for idempotency: the same key with another fingerprint is a mismatch. */
function fingerprintOf(req: NormalizedRequest, template: string, channel: ChannelKind): string {
  const { to, data, category } = req;
  return createHash('sha256')
    .update(JSON.stringify([template, channel, category, to, data]))
    .digest('base64url');
}

/** List-Unsubscribe (RFC 2369) and, with an https endpoint, List-Unsubscribe-Post (RFC 8058). */
function unsubscribeParts(core: NotifierCore, req: NormalizedRequest) {
  const signer = core.signer;
  const u = core.o.unsubscribe;
  if (req.kind !== 'promotional' || signer === undefined || u === undefined) return { headers: {}, data: {} };
  const token = signer.sign({ userId: req.to.userId, channel: 'email', category: req.category });
  const links: string[] = [];
  let unsubscribeUrl: string | undefined;
  if (u.url !== undefined) {
    const url = new URL(u.url);
    url.searchParams.set('token', token);
    unsubscribeUrl = url.href;
    links.push(`<${unsubscribeUrl}>`);
  }
  if (u.mailto !== undefined)
    links.push(`<mailto:${u.mailto}?subject=${encodeURIComponent(`unsubscribe ${token}`)}>`);
  const headers: Record<string, string> = { 'List-Unsubscribe': links.join(', ') };
  if (unsubscribeUrl !== undefined) headers['List-Unsubscribe-Post'] = 'List-Unsubscribe=One-Click';
  return { headers, data: unsubscribeUrl === undefined ? {} : { unsubscribeUrl } };
}

function renderEmail(
  core: NotifierCore,
  req: NormalizedRequest,
  template: string,
  data: Readonly<Record<string, unknown>>,
  messageId: string,
): EmailMessage {
  const email = core.o.channels.email!;
  const extra = unsubscribeParts(core, req);
  const locale = core.engine.localeFor(template, 'email', req.to.locale);
  const rendered = core.engine.renderEmail(template, locale, { ...extra.data, ...data });
  checkHeaderValue('subject', rendered.subject);
  for (const [name, value] of Object.entries(extra.headers)) checkHeaderValue(name, value);
  const to =
    req.to.name === undefined ? { address: req.to.email! } : { address: req.to.email!, name: req.to.name };
  return {
    channel: 'email',
    from: email.from,
    to,
    ...(email.replyTo ? { replyTo: email.replyTo } : {}),
    subject: rendered.subject,
    ...(rendered.html === undefined ? {} : { html: rendered.html }),
    text: rendered.text,
    headers: extra.headers,
    messageId,
    category: req.category,
  };
}

/** Renders the message of one channel with `template` (the request's, or a digest's) and `data`. */
export function renderChannel(
  core: NotifierCore,
  req: NormalizedRequest,
  channel: ChannelKind,
  template: string,
  data: Readonly<Record<string, unknown>>,
  messageId: string,
): ProviderMessage {
  if (channel === 'email') return renderEmail(core, req, template, data, messageId);
  if (channel === 'sms') {
    const locale = core.engine.localeFor(template, 'sms', req.to.locale);
    const text = core.engine.renderSms(template, locale, data);
    const from = core.o.channels.sms?.from;
    return { channel, to: req.to.phone!, ...(from ? { from } : {}), text, messageId, category: req.category };
  }
  const type = core.engine.definition(template).webhook?.type ?? template;
  return { channel, url: req.to.webhookUrl!, type, data, messageId, category: req.category };
}

/** Checks and renders one channel with `template` and `data` under a given message id. */
export function prepareOne(
  core: NotifierCore,
  req: NormalizedRequest,
  channel: ChannelKind,
  template: string,
  data: Readonly<Record<string, unknown>>,
  messageId: string,
): PreparedChannel {
  const address = addressOf(req.to, channel);
  const message =
    address === undefined ? undefined : renderChannel(core, req, channel, template, data, messageId);
  return { channel, address, message, fingerprint: fingerprintOf(req, template, channel) };
}

/** Checks and renders every channel of a request. */
export function prepareChannels(core: NotifierCore, req: NormalizedRequest): PreparedChannel[] {
  return req.channels.map((channel) =>
    prepareOne(core, req, channel, req.template, req.data, newMessageId()),
  );
}
