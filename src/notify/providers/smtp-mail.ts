/**
 * The SMTP provider on nodemailer: maps a checked {@link EmailMessage} to nodemailer's mail object
 * (display names as objects, so nodemailer encodes unicode as RFC 2047 words; the unsubscribe headers
 * passed through unchanged; the notifier's id as `Message-ID` and `X-Notify-Message-Id`), and
 * nodemailer's errors to provider failures (smtp-errors.ts).
 */
import { domainToASCII } from 'node:url';
import { createTransport } from 'nodemailer';
import { InvalidOptionError } from '../../core/errors.js';
import { defineOptions, opt, optionError } from '../../core/options.js';
import { type EmailAddress, type EmailMessage, type NotifyProvider, ProviderError } from '../provider.js';
import { type CheckedEmail, checkEmail } from './checks.js';
import { smtpFailure } from './smtp-errors.js';

/** A mailbox as nodemailer takes it. */
export interface SmtpAddress {
  readonly name: string;
  readonly address: string;
}

/** A header value nodemailer writes as given (no encoding, no folding). */
export interface PreparedHeader {
  readonly prepared: true;
  readonly value: string;
}

/** The mail object handed to `sendMail` (a subset of nodemailer's message options). */
export interface SmtpMail {
  readonly from: SmtpAddress;
  readonly to: SmtpAddress[];
  readonly replyTo?: SmtpAddress;
  readonly subject: string;
  readonly text: string;
  readonly html?: string;
  readonly headers: Record<string, string | PreparedHeader>;
  readonly messageId: string;
  /** Honoured by nodemailer 10 and later (it stops the send); older versions ignore it. */
  readonly signal: AbortSignal;
  readonly disableFileAccess: true;
  readonly disableUrlAccess: true;
}

/** What `sendMail` resolves with (the fields the provider reads). */
export interface SmtpSentInfo {
  readonly messageId?: string;
  /** The server's last reply, e.g. `250 2.0.0 Ok: queued as 4AbC`. */
  readonly response?: string;
}

/** A nodemailer transport (`nodemailer.createTransport(...)`), or anything with the same `sendMail`. */
export interface SmtpTransport {
  sendMail(mail: SmtpMail): Promise<SmtpSentInfo>;
  close?(): void;
}

/**
 * nodemailer's SMTP (or pooled SMTP) options, passed to `createTransport` as they are: `host`, `port`,
 * `secure`, `auth`, `pool`, `maxConnections`, `maxMessages`, `rateDelta`, `rateLimit`,
 * `connectionTimeout`, `greetingTimeout`, `socketTimeout`, `tls`, ...
 */
export type SmtpTransportOptions = Readonly<Record<string, unknown>>;

/** Options of {@link createSmtpProvider}: exactly one of `transport` and `smtp`. */
export interface SmtpProviderOptions {
  /** A transport you built; the provider never closes it. */
  readonly transport?: SmtpTransport;
  /** nodemailer options; the provider builds the transport and closes it in `close()`. */
  readonly smtp?: SmtpTransportOptions;
  /** Default `smtp`. */
  readonly name?: string;
  /** The domain of generated `Message-ID`s. Default the domain of each message's `from`. */
  readonly messageIdDomain?: string;
}

/** The header that carries the notifier's message id, so bounces can be matched back. */
export const MESSAGE_ID_HEADER = 'X-Notify-Message-Id';

/** Headers whose exact bytes matter to mailbox providers (RFC 2369, RFC 8058): never re-encoded. */
const VERBATIM: ReadonlySet<string> = new Set(['list-unsubscribe', 'list-unsubscribe-post']);

function smtpOptionsSpec(value: unknown, path: string, owner: string): SmtpTransportOptions {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw optionError(owner, path, 'an object of nodemailer SMTP options');
  }
  return value as SmtpTransportOptions;
}

const parseOptions = defineOptions('createSmtpProvider', {
  transport: opt.port<SmtpTransport>(['sendMail']),
  smtp: opt.custom(smtpOptionsSpec),
  name: opt.name({ default: 'smtp' }),
  messageIdDomain: opt.matching(/^[A-Za-z0-9.-]{1,253}$/, 'a host name (ASCII)'),
});

const mailbox = (a: EmailAddress): SmtpAddress => ({ name: a.name ?? '', address: a.address });

/** The domain part of an address, as ASCII (punycode for an IDN). */
function asciiDomain(address: string): string {
  const domain = address.slice(address.lastIndexOf('@') + 1);
  return domainToASCII(domain) || 'localhost';
}

/** The nodemailer mail object of a checked email. */
export function smtpMail(
  email: CheckedEmail,
  messageIdDomain: string | undefined,
  signal: AbortSignal,
): SmtpMail {
  const headers: Record<string, string | PreparedHeader> = {};
  for (const [name, value] of Object.entries(email.headers)) {
    // ASCII values of the unsubscribe headers go as they are; nodemailer would fold or encode them.
    const verbatim = VERBATIM.has(name.toLowerCase()) && /^[\x20-\x7e]*$/.test(value);
    headers[name] = verbatim ? { prepared: true, value } : value;
  }
  headers[MESSAGE_ID_HEADER] = email.messageId;
  return {
    from: mailbox(email.from),
    to: [mailbox(email.to)],
    ...(email.replyTo ? { replyTo: mailbox(email.replyTo) } : {}),
    subject: email.subject,
    text: email.text,
    ...(email.html === undefined ? {} : { html: email.html }),
    headers,
    messageId: `<${email.messageId}@${messageIdDomain ?? asciiDomain(email.from.address)}>`,
    signal,
    disableFileAccess: true,
    disableUrlAccess: true,
  };
}

/** The server's queue id from `250 ... queued as <id>`, else the Message-ID. */
function receiptId(info: SmtpSentInfo | undefined, fallback: string): string {
  const queued = /queued as ([A-Za-z0-9._-]{1,64})/i.exec(info?.response ?? '');
  return queued?.[1] ?? info?.messageId ?? fallback;
}

/** Waits for the send, or rejects as ambiguous when the signal aborts first. */
function untilDoneOrAborted(name: string, sending: Promise<SmtpSentInfo>, signal: AbortSignal) {
  return new Promise<SmtpSentInfo>((resolve, reject) => {
    const onAbort = () => {
      reject(
        new ProviderError(
          name,
          'ambiguous',
          `${name}: aborted in flight; the server may have queued the message`,
          {
            cause: signal.reason,
          },
        ),
      );
    };
    signal.addEventListener('abort', onAbort, { once: true });
    sending.then(
      (info) => {
        signal.removeEventListener('abort', onAbort);
        resolve(info);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(smtpFailure(name, error));
      },
    );
  });
}

/**
 * Creates the SMTP provider. SMTP has no idempotency key, so the provider is not `idempotent`.
 *
 * @example
 * ```ts
 * import { createSmtpProvider } from 'backend-patterns/notify/smtp';
 * const smtp = createSmtpProvider({
 *   smtp: { host: 'smtp.example.com', port: 587, auth: { user: 'app', pass: process.env.SMTP_PASS }, pool: true },
 * });
 * // later: await smtp.close?.();
 * ```
 */
export function createSmtpProvider(options: SmtpProviderOptions): NotifyProvider<EmailMessage> {
  const o = parseOptions(options);
  if ((o.transport === undefined) === (o.smtp === undefined)) {
    throw new InvalidOptionError('createSmtpProvider: give exactly one of `transport` and `smtp`');
  }
  const owned: SmtpTransport | undefined = o.smtp === undefined ? undefined : createTransport(o.smtp);
  const transport = (o.transport ?? owned) as SmtpTransport;
  const { name } = o;
  return {
    name,
    channel: 'email',
    idempotent: false,
    async send(message, context) {
      const email = checkEmail(name, message);
      if (context.signal.aborted) {
        throw new ProviderError(name, 'retryable', `${name}: aborted before the message was handed over`, {
          cause: context.signal.reason,
        });
      }
      const mail = smtpMail(email, o.messageIdDomain, context.signal);
      let sending: Promise<SmtpSentInfo>;
      try {
        sending = Promise.resolve(transport.sendMail(mail));
      } catch (error) {
        throw smtpFailure(name, error);
      }
      sending.catch(() => {}); // after an abort nobody awaits it; its rejection is already classified
      const info = await untilDoneOrAborted(name, sending, context.signal);
      return { providerMessageId: receiptId(info, mail.messageId) };
    },
    async close() {
      owned?.close?.();
    },
  };
}
