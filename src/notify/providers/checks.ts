/**
 * The checks every provider adapter runs on a message before it calls its service. The notifier checks
 * the same things first; the adapters check again (defence in depth) because a provider may be called
 * directly, and because a CR or LF that reaches a header is a header injection, whatever the caller
 * meant. A refused field is a `permanent` {@link ProviderError} whose `cause` is an
 * `InvalidArgumentError`: nothing was sent, and the same message will never be accepted.
 */
import { InvalidArgumentError } from '../../core/errors.js';
import { hasControl } from '../checks.js';
import { type EmailAddress, type EmailMessage, ProviderError } from '../provider.js';

/** A field name of RFC 5322: printable US-ASCII except the colon. */
const HEADER_NAME = /^[!-9;-~]{1,76}$/;

/**
 * One mailbox, `local@domain`, with none of the characters that would let one string name several
 * recipients or break out of the angle brackets (comma, semicolon, angle brackets, quotes, spaces).
 * Quoted local parts are refused: legal, but too rare to be worth the risk.
 */
const ADDRESS = /^[^\s@<>()[\]\\,;:"]{1,64}@[^\s@<>()[\]\\,;:"]{1,253}$/u;

/** E.164: a plus sign and up to 15 digits, the first not 0. */
export const E164 = /^\+[1-9][0-9]{1,14}$/;

/** Longest header value we hand over (RFC 5322 line limit, before folding). */
const MAX_HEADER_VALUE = 998;

/** Builds the refusal for a field; the value is never echoed (it may be hostile or personal). */
export function refuse(provider: string, reason: string): ProviderError {
  return new ProviderError(provider, 'permanent', `${provider}: ${reason}; nothing was sent`, {
    cause: new InvalidArgumentError(reason),
  });
}

/** A single-line string of 1..`maxLength` characters (0.. when `allowEmpty`). */
export function singleLine(
  provider: string,
  field: string,
  value: unknown,
  maxLength: number,
  allowEmpty = false,
): string {
  if (typeof value !== 'string') throw refuse(provider, `\`${field}\` must be a string`);
  if (value.length === 0 && !allowEmpty) throw refuse(provider, `\`${field}\` must not be empty`);
  if (value.length > maxLength) throw refuse(provider, `\`${field}\` is longer than ${maxLength} characters`);
  if (hasControl(value)) {
    throw refuse(provider, `\`${field}\` contains a line break or control character`);
  }
  return value;
}

/** A string body (text or HTML): any characters, at most `maxLength`. */
export function bodyText(provider: string, field: string, value: unknown, maxLength: number): string {
  if (typeof value !== 'string') throw refuse(provider, `\`${field}\` must be a string`);
  if (value.length > maxLength) throw refuse(provider, `\`${field}\` is longer than ${maxLength} characters`);
  return value;
}

/** An {@link EmailAddress}: one mailbox and an optional single-line display name. */
export function emailAddress(provider: string, field: string, value: unknown): EmailAddress {
  if (typeof value !== 'object' || value === null) throw refuse(provider, `\`${field}\` must be an object`);
  const { address, name } = value as { address?: unknown; name?: unknown };
  const checked = singleLine(provider, `${field}.address`, address, 254);
  if (!ADDRESS.test(checked)) throw refuse(provider, `\`${field}.address\` is not a single email address`);
  if (name === undefined) return { address: checked };
  return { address: checked, name: singleLine(provider, `${field}.name`, name, 256, true) };
}

/** An E.164 phone number. */
export function phoneNumber(provider: string, field: string, value: unknown): string {
  if (typeof value !== 'string' || !E164.test(value)) {
    throw refuse(provider, `\`${field}\` must be an E.164 number (+ and up to 15 digits)`);
  }
  return value;
}

/**
 * Extra headers: RFC 5322 field names, single-line values, and none of `reserved` (lower case), which
 * the adapter sets itself or which would add recipients (`Bcc`) or change the MIME structure.
 */
export function extraHeaders(
  provider: string,
  value: unknown,
  reserved: ReadonlySet<string>,
): Readonly<Record<string, string>> {
  if (value === undefined) return {};
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw refuse(provider, '`headers` must be an object of strings');
  }
  const out: Record<string, string> = {};
  const seen = new Set<string>();
  for (const [name, headerValue] of Object.entries(value)) {
    if (!HEADER_NAME.test(name)) throw refuse(provider, 'a header name is not an RFC 5322 field name');
    const lower = name.toLowerCase();
    if (reserved.has(lower)) throw refuse(provider, `the header \`${name}\` is set by the adapter`);
    if (seen.has(lower)) throw refuse(provider, `the header \`${name}\` is given twice`);
    seen.add(lower);
    out[name] = singleLine(provider, `headers.${name}`, headerValue, MAX_HEADER_VALUE, true);
  }
  return out;
}

/**
 * The notifier's message id where it becomes a header, a tag or a URL parameter: 1..200 characters of
 * `[A-Za-z0-9_:-]` (no dot: Standard Webhooks signs `id.timestamp.body`, where a dot in the id would be
 * ambiguous; no `@` or `>`: it goes inside a Message-ID).
 */
export function messageIdOf(provider: string, value: unknown): string {
  if (typeof value !== 'string' || !/^[A-Za-z0-9_:-]{1,200}$/.test(value)) {
    throw refuse(provider, '`messageId` must be 1..200 characters of [A-Za-z0-9_:-]');
  }
  return value;
}

/** The headers every email adapter sets itself or refuses to take from a message. */
export const RESERVED_EMAIL_HEADERS: ReadonlySet<string> = new Set([
  'from',
  'to',
  'cc',
  'bcc',
  'reply-to',
  'sender',
  'subject',
  'date',
  'message-id',
  'mime-version',
  'content-type',
  'content-transfer-encoding',
  'return-path',
  'received',
  'dkim-signature',
  'x-notify-message-id',
]);

/** Longest text or HTML part an email adapter hands over (characters). */
export const MAX_EMAIL_BODY = 5_000_000;

/** A checked {@link EmailMessage}: every field a provider maps, validated. */
export interface CheckedEmail {
  readonly from: EmailAddress;
  readonly to: EmailAddress;
  readonly replyTo: EmailAddress | undefined;
  readonly subject: string;
  readonly text: string;
  readonly html: string | undefined;
  readonly headers: Readonly<Record<string, string>>;
  readonly messageId: string;
  readonly category: string;
}

/** Checks an email before any byte of it leaves the process. */
export function checkEmail(provider: string, message: unknown): CheckedEmail {
  if (typeof message !== 'object' || message === null)
    throw refuse(provider, 'the message must be an object');
  const m = message as Partial<Record<keyof EmailMessage, unknown>>;
  if (m.channel !== 'email') throw refuse(provider, '`channel` must be `email`');
  return {
    from: emailAddress(provider, 'from', m.from),
    to: emailAddress(provider, 'to', m.to),
    replyTo: m.replyTo === undefined ? undefined : emailAddress(provider, 'replyTo', m.replyTo),
    subject: singleLine(provider, 'subject', m.subject, MAX_HEADER_VALUE),
    text: bodyText(provider, 'text', m.text, MAX_EMAIL_BODY),
    html: m.html === undefined ? undefined : bodyText(provider, 'html', m.html, MAX_EMAIL_BODY),
    headers: extraHeaders(provider, m.headers, RESERVED_EMAIL_HEADERS),
    messageId: messageIdOf(provider, m.messageId),
    category: singleLine(provider, 'category', m.category, 255),
  };
}
