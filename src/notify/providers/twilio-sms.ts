/**
 * The Twilio SMS provider: one `POST /2010-04-01/Accounts/{AccountSid}/Messages.json`, form-encoded,
 * with HTTP Basic auth (Account SID + Auth Token, or an API key SID + secret). The receipt is the
 * Message SID; errors are mapped by HTTP status and Twilio's numeric `code`.
 */
import type { Clock } from '../../core/clock.js';
import { InvalidOptionError } from '../../core/errors.js';
import { defineOptions, opt } from '../../core/options.js';
import { type NotifyProvider, ProviderError, type SmsMessage } from '../provider.js';
import { bodyText, messageIdOf, phoneNumber, refuse } from './checks.js';
import {
  baseUrlSpec,
  endpoint,
  type FetchFunction,
  type PostReply,
  poster,
  retryAfterMs,
  scrub,
  statusFailure,
} from './http.js';

/** Options of {@link createTwilioProvider}. */
export interface TwilioProviderOptions {
  /** `AC` and 32 hex digits. */
  readonly accountSid: string;
  /** The account's Auth Token; or give `apiKey` and `apiSecret`. Never echoed into errors. */
  readonly authToken?: string;
  /** An API key SID (`SK...`), with `apiSecret`, instead of the Auth Token. */
  readonly apiKey?: string;
  /** The API key's secret. */
  readonly apiSecret?: string;
  /** Default sender: E.164, a short code or an alphanumeric sender id (a message's `from` wins). */
  readonly from?: string;
  /** A Messaging Service (`MG...`), used when neither the message nor `from` names a sender. */
  readonly messagingServiceSid?: string;
  /**
   * Where Twilio posts status callbacks (https). The adapter adds `bpMessageId=<messageId>` to its
   * query, so the callback verifier can match events back to the notifier's message.
   */
  readonly statusCallback?: string | URL;
  /** Default `https://api.twilio.com`. */
  readonly baseUrl?: string | URL;
  /** Default the global `fetch`. */
  readonly fetch?: FetchFunction;
  /** Deadline of one request, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** Default `twilio`. */
  readonly name?: string;
  /** Time source of the deadline and of `Retry-After` dates. Default the system clock. */
  readonly clock?: Clock;
}

const SID = (prefix: string) => new RegExp(`^${prefix}[0-9a-fA-F]{32}$`);
const SENDER = /^(?:\+[1-9][0-9]{1,14}|[0-9]{3,8}|(?=[A-Za-z0-9 ]*[A-Za-z])[A-Za-z0-9 ]{1,11})$/;

const parseOptions = defineOptions('createTwilioProvider', {
  accountSid: opt.matching(SID('AC'), '`AC` and 32 hex digits', { required: true }),
  authToken: opt.string({ maxLength: 256 }),
  apiKey: opt.matching(SID('SK'), '`SK` and 32 hex digits'),
  apiSecret: opt.string({ maxLength: 256 }),
  from: opt.matching(SENDER, 'an E.164 number, a short code or an alphanumeric sender id'),
  messagingServiceSid: opt.matching(SID('MG'), '`MG` and 32 hex digits'),
  statusCallback: opt.custom(baseUrlSpec),
  baseUrl: opt.custom(baseUrlSpec, { default: new URL('https://api.twilio.com') }),
  fetch: opt.fn<FetchFunction>(),
  timeoutMs: opt.duration({ default: 10_000, max: 300_000 }),
  name: opt.name({ default: 'twilio' }),
  clock: opt.clock(),
});

type Parsed = ReturnType<typeof parseOptions>;

/** The query parameter that carries the notifier's message id on status callbacks. */
export const MESSAGE_ID_PARAM = 'bpMessageId';

/** Longest body Twilio accepts (characters). */
const MAX_BODY = 1600;

function credentials(o: Parsed): { user: string; secret: string } {
  const owner = 'createTwilioProvider';
  if (o.authToken !== undefined) {
    if (o.apiKey !== undefined || o.apiSecret !== undefined) {
      throw new InvalidOptionError(`${owner}: give \`authToken\` or \`apiKey\` + \`apiSecret\`, not both`);
    }
    return { user: o.accountSid, secret: o.authToken };
  }
  if (o.apiKey === undefined || o.apiSecret === undefined) {
    throw new InvalidOptionError(`${owner}: give \`authToken\`, or both \`apiKey\` and \`apiSecret\``);
  }
  return { user: o.apiKey, secret: o.apiSecret };
}

/** The form fields of one message. */
export function twilioForm(
  message: SmsMessage,
  o: Pick<Parsed, 'from' | 'messagingServiceSid' | 'statusCallback' | 'name'>,
): URLSearchParams {
  const name = o.name;
  if (typeof message !== 'object' || message === null || message.channel !== 'sms') {
    throw refuse(name, 'the message must be an SMS (`channel: sms`)');
  }
  const form = new URLSearchParams();
  form.set('To', phoneNumber(name, 'to', message.to));
  const body = bodyText(name, 'text', message.text, MAX_BODY);
  if (body.trim() === '') throw refuse(name, '`text` must not be empty');
  form.set('Body', body);
  const messageId = messageIdOf(name, message.messageId);
  const from = message.from ?? o.from;
  if (from !== undefined) {
    if (typeof from !== 'string' || !SENDER.test(from)) {
      throw refuse(name, '`from` must be an E.164 number, a short code or an alphanumeric sender id');
    }
    form.set('From', from);
  } else if (o.messagingServiceSid !== undefined) {
    form.set('MessagingServiceSid', o.messagingServiceSid);
  } else {
    throw refuse(
      name,
      'no sender: the message has no `from` and the provider no `from` or `messagingServiceSid`',
    );
  }
  if (o.statusCallback !== undefined) {
    const callback = new URL(o.statusCallback);
    callback.searchParams.set(MESSAGE_ID_PARAM, messageId);
    form.set('StatusCallback', callback.toString());
  }
  return form;
}

function failure(name: string, reply: PostReply, secret: string, clock: Clock): ProviderError {
  let code: string | undefined;
  let detail = '';
  try {
    const parsed = JSON.parse(reply.text) as { code?: unknown; message?: unknown };
    if (typeof parsed.code === 'number' || typeof parsed.code === 'string') code = String(parsed.code);
    if (typeof parsed.message === 'string') detail = scrub(parsed.message, [secret]);
  } catch {
    detail = scrub(reply.text, [secret], 120);
  }
  // 20429 is Twilio's "too many requests", whatever status a proxy put on it.
  const kind = code === '20429' ? 'unavailable' : statusFailure(reply.status, 'unavailable');
  const wait = retryAfterMs(reply.headers, clock);
  return new ProviderError(
    name,
    kind,
    `${name}: HTTP ${reply.status}${code ? ` (${code})` : ''}${detail ? `: ${detail}` : ''}`,
    {
      status: reply.status,
      ...(code ? { providerCode: code } : {}),
      ...(wait === undefined ? {} : { retryAfterMs: wait }),
    },
  );
}

function sidOf(text: string): string {
  try {
    const sid = (JSON.parse(text) as { sid?: unknown }).sid;
    return typeof sid === 'string' ? sid.slice(0, 64) : '';
  } catch {
    return ''; // 201 says it was created; a body we cannot read does not undo that
  }
}

/**
 * Creates the Twilio SMS provider. Twilio's Messages API has no idempotency key, so the provider is not
 * `idempotent`.
 *
 * @example
 * ```ts
 * import { createTwilioProvider } from 'backend-patterns/notify/twilio';
 * const twilio = createTwilioProvider({
 *   accountSid: process.env.TWILIO_ACCOUNT_SID ?? '',
 *   authToken: process.env.TWILIO_AUTH_TOKEN ?? '',
 *   messagingServiceSid: process.env.TWILIO_MESSAGING_SERVICE_SID ?? '',
 *   statusCallback: 'https://api.example.com/hooks/twilio/status',
 * });
 * ```
 */
export function createTwilioProvider(options: TwilioProviderOptions): NotifyProvider<SmsMessage> {
  const o = parseOptions(options);
  const { user, secret } = credentials(o);
  const { name, clock } = o;
  const url = endpoint(o.baseUrl, `/2010-04-01/Accounts/${o.accountSid}/Messages.json`);
  const send = poster({ provider: name, timeoutMs: o.timeoutMs, clock, fetch: o.fetch });
  const headers = {
    authorization: `Basic ${Buffer.from(`${user}:${secret}`, 'utf8').toString('base64')}`,
    'content-type': 'application/x-www-form-urlencoded',
    accept: 'application/json',
  };
  return {
    name,
    channel: 'sms',
    idempotent: false,
    async send(message, context) {
      const form = twilioForm(message, o);
      const reply = await send(url, headers, form.toString(), context.signal);
      if (reply.status < 200 || reply.status >= 300) throw failure(name, reply, secret, clock);
      return { providerMessageId: sidOf(reply.text) };
    },
  };
}
