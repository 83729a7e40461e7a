/**
 * The SendGrid email provider: one `POST /v3/mail/send` per message with the documented v3 JSON body,
 * Bearer auth, the receipt from the `X-Message-Id` response header, and SendGrid's statuses mapped to
 * the provider failures.
 */
import type { Clock } from '../../core/clock.js';
import { defineOptions, opt } from '../../core/options.js';
import { type EmailAddress, type EmailMessage, type NotifyProvider, ProviderError } from '../provider.js';
import { type CheckedEmail, checkEmail } from './checks.js';
import {
  baseUrlSpec,
  endpoint,
  type FetchFunction,
  type PostReply,
  poster,
  rateLimitResetMs,
  retryAfterMs,
  scrub,
  statusFailure,
} from './http.js';

/** Options of {@link createSendGridProvider}. */
export interface SendGridProviderOptions {
  /** A SendGrid API key with the Mail Send permission. Never echoed into errors. */
  readonly apiKey: string;
  /** Default `https://api.sendgrid.com` (`https://api.eu.sendgrid.com` for EU data residency). */
  readonly baseUrl?: string | URL;
  /** Default the global `fetch`. */
  readonly fetch?: FetchFunction;
  /** Deadline of one request, ms. Default 10 000. */
  readonly timeoutMs?: number;
  /** The provider's name (metrics label, errors). Default `sendgrid`. */
  readonly name?: string;
  /** Time source of the deadline and of `X-RateLimit-Reset`. Default the system clock. */
  readonly clock?: Clock;
}

const parseOptions = defineOptions('createSendGridProvider', {
  apiKey: opt.string({ required: true, maxLength: 512 }),
  baseUrl: opt.custom(baseUrlSpec, { default: new URL('https://api.sendgrid.com') }),
  fetch: opt.fn<FetchFunction>(),
  timeoutMs: opt.duration({ default: 10_000, max: 300_000 }),
  name: opt.name({ default: 'sendgrid' }),
  clock: opt.clock(),
});

const mailbox = (a: EmailAddress) => (a.name ? { email: a.address, name: a.name } : { email: a.address });

/** The v3 Mail Send body. Content order is documented: text/plain first, then text/html. */
export function sendGridBody(email: CheckedEmail): Record<string, unknown> {
  const content = [{ type: 'text/plain', value: email.text }];
  if (email.html !== undefined) content.push({ type: 'text/html', value: email.html });
  return {
    personalizations: [{ to: [mailbox(email.to)] }],
    from: mailbox(email.from),
    ...(email.replyTo ? { reply_to: mailbox(email.replyTo) } : {}),
    subject: email.subject,
    content,
    ...(Object.keys(email.headers).length > 0 ? { headers: email.headers } : {}),
    custom_args: { messageId: email.messageId },
    categories: [email.category],
  };
}

/** `{ errors: [{ message, field }] }` as one line, without anything that looks like the key. */
function errorDetail(text: string, apiKey: string): string {
  try {
    const parsed = JSON.parse(text) as { errors?: unknown };
    if (Array.isArray(parsed.errors)) {
      const parts = parsed.errors.slice(0, 5).map((e: { message?: unknown; field?: unknown }) => {
        const message = typeof e?.message === 'string' ? e.message : 'error';
        return typeof e?.field === 'string' && e.field !== '' ? `${e.field}: ${message}` : message;
      });
      return scrub(parts.join('; '), [apiKey]);
    }
  } catch {
    // Not the documented body (a proxy's HTML page): fall through to the raw text.
  }
  return scrub(text, [apiKey], 120);
}

function failure(name: string, reply: PostReply, apiKey: string, clock: Clock): ProviderError {
  const kind = statusFailure(reply.status, 'unavailable');
  const wait =
    reply.status === 429
      ? (rateLimitResetMs(reply.headers, clock) ?? retryAfterMs(reply.headers, clock))
      : retryAfterMs(reply.headers, clock);
  const detail = errorDetail(reply.text, apiKey);
  return new ProviderError(name, kind, `${name}: HTTP ${reply.status}${detail ? `: ${detail}` : ''}`, {
    status: reply.status,
    ...(wait === undefined ? {} : { retryAfterMs: wait }),
  });
}

/**
 * Creates the SendGrid email provider. SendGrid's Mail Send has no idempotency key, so the provider is
 * not `idempotent`: an ambiguous failure (a timeout after the request was written) is not retried.
 *
 * @example
 * ```ts
 * import { createSendGridProvider } from 'backend-patterns/notify/sendgrid';
 * const sendgrid = createSendGridProvider({ apiKey: process.env.SENDGRID_API_KEY ?? '' });
 * ```
 */
export function createSendGridProvider(options: SendGridProviderOptions): NotifyProvider<EmailMessage> {
  const o = parseOptions(options);
  const { apiKey, name, clock } = o;
  const url = endpoint(o.baseUrl, '/v3/mail/send');
  const send = poster({ provider: name, timeoutMs: o.timeoutMs, clock, fetch: o.fetch });
  const headers = { authorization: `Bearer ${apiKey}`, 'content-type': 'application/json' };
  return {
    name,
    channel: 'email',
    idempotent: false,
    async send(message, context) {
      const email = checkEmail(name, message);
      const reply = await send(url, headers, JSON.stringify(sendGridBody(email)), context.signal);
      if (reply.status < 200 || reply.status >= 300) throw failure(name, reply, apiKey, clock);
      // 202 is the documented answer; the id links later events (their sg_message_id starts with it).
      return { providerMessageId: reply.headers.get('x-message-id') ?? '' };
    },
  };
}
