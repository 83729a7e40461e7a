/**
 * What a nodemailer error means for the notifier. nodemailer's errors carry a `code` (`ECONNECTION`,
 * `EENVELOPE`, ...), the server's `responseCode` when it answered, and for timeouts a `timeoutType`;
 * they do not say which SMTP command was in flight when a socket died. So:
 *
 * - a reply decides when there is one: 421 (the server is closing, nothing was accepted) is
 *   `unavailable`; another 4xx (to MAIL, RCPT or the end of DATA) is `retryable`; 5xx is `permanent`,
 *   except 503 (bad sequence: a session problem, not this message), which is `retryable`;
 * - failures to connect (refused, DNS, TLS set-up, connect or greeting timeout) are `unavailable`;
 * - authentication and local envelope or message problems are `permanent`;
 * - a socket timeout or close after the session was set up may have come after the end of DATA: the
 *   server may have queued the message, so it is `ambiguous`.
 */
import { ProviderError, type ProviderFailure } from '../provider.js';
import { CONNECT_FAILURES as CONNECT_CODES, scrub } from './http.js';

/** nodemailer codes of a problem with our message or configuration: retrying sends the same thing. */
const LOCAL_CODES: ReadonlySet<string> = new Set([
  'EAUTH',
  'ENOAUTH',
  'EOAUTH2',
  'EENVELOPE',
  'EMESSAGE',
  'EMAXRECIPIENTS',
  'ECONFIG',
  'ESTREAM',
  'EFILEACCESS',
  'EURLACCESS',
  'EREQUIRETLS',
  'EFETCH',
]);

/** Timeouts of the connection set-up: nothing of the message was sent. */
const SETUP_TIMEOUTS: ReadonlySet<string> = new Set([
  'CONNECT_TIMEOUT',
  'GREETING_TIMEOUT',
  'UPGRADE_TIMEOUT',
]);

interface NodemailerError {
  readonly code?: unknown;
  readonly originalCode?: unknown;
  readonly responseCode?: unknown;
  readonly timeoutType?: unknown;
  readonly message?: unknown;
}

const str = (value: unknown) => (typeof value === 'string' ? value : undefined);

function byReply(responseCode: number): ProviderFailure | undefined {
  if (responseCode === 421) return 'unavailable';
  if (responseCode === 503) return 'retryable';
  if (responseCode >= 400 && responseCode < 500) return 'retryable';
  if (responseCode >= 500 && responseCode < 600) return 'permanent';
  return undefined;
}

function byCode(e: NodemailerError): ProviderFailure {
  const code = str(e.code);
  const original = str(e.originalCode);
  if (code === undefined) return 'ambiguous';
  if (CONNECT_CODES.has(code) || (original !== undefined && CONNECT_CODES.has(original)))
    return 'unavailable';
  if (LOCAL_CODES.has(code)) return 'permanent';
  if (code === 'EDNS' || code === 'ETLS' || code === 'EPROXY') return 'unavailable';
  if (code === 'EMAXLIMIT') return 'retryable'; // the pool's connection was used up before taking it
  if (code === 'ETIMEDOUT') {
    const type = str(e.timeoutType);
    // nodemailer before 10 sets no timeoutType; its set-up timeouts say so in the message.
    const setup =
      (type !== undefined && SETUP_TIMEOUTS.has(type)) ||
      (type === undefined && /Greeting never received|Connection timeout/.test(str(e.message) ?? ''));
    return setup ? 'unavailable' : 'ambiguous';
  }
  return 'ambiguous';
}

/** Classifies a nodemailer error (or anything a custom transport threw). */
export function smtpFailureKind(error: unknown): ProviderFailure {
  if (typeof error !== 'object' || error === null) return 'ambiguous';
  const e = error as NodemailerError;
  const reply = typeof e.responseCode === 'number' ? byReply(e.responseCode) : undefined;
  // Authentication failures are permanent whatever their reply (a 454 on AUTH is rare and local).
  if (str(e.code) === 'EAUTH' || str(e.code) === 'ENOAUTH') return 'permanent';
  return reply ?? byCode(e);
}

/** The {@link ProviderError} for a failed nodemailer send. */
export function smtpFailure(provider: string, error: unknown): ProviderError {
  const e = (typeof error === 'object' && error !== null ? error : {}) as NodemailerError;
  const code = str(e.code);
  const status = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const kind = smtpFailureKind(error);
  const detail = scrub(str(e.message) ?? String(error), [], 200);
  return new ProviderError(provider, kind, `${provider}: ${detail}`, {
    cause: error,
    ...(code ? { providerCode: code } : {}),
    ...(status === undefined ? {} : { status }),
  });
}
