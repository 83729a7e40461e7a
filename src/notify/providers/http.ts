/**
 * One POST to a provider's HTTP API, with the per-request deadline on the injected clock, the caller's
 * abort signal, no redirects, a capped response body, and the one question the notifier needs answered
 * when it fails: may the request have reached the service?
 *
 * fetch does not say how far a request got. What it does say: a failure to connect (refused, DNS, TLS
 * handshake, connect timeout) happened before a byte of the request was written, so the message surely
 * did not go (`unavailable`). Anything else (a reset, a close before the answer, our own deadline or the
 * caller's abort) may have come after the service read the request: `ambiguous`.
 */
import type { Clock } from '../../core/clock.js';
import { TimeoutError } from '../../core/errors.js';
import { optionError } from '../../core/options.js';
import { ProviderError, type ProviderFailure } from '../provider.js';

/** The `fetch` an HTTP adapter calls: the global one by default, or yours (a proxy, a test double). */
export type FetchFunction = (input: string | URL, init: RequestInit) => Promise<Response>;

/** One request. */
export interface PostRequest {
  readonly provider: string;
  readonly url: URL;
  readonly headers: Readonly<Record<string, string>>;
  readonly body: string;
  readonly timeoutMs: number;
  readonly signal: AbortSignal;
  readonly clock: Clock;
  readonly fetch: FetchFunction;
}

/** The service's answer; `text` is at most {@link MAX_RESPONSE_BYTES} of the body. */
export interface PostReply {
  readonly status: number;
  readonly headers: Headers;
  readonly text: string;
}

/** How much of a response body is read: enough for any documented error body. */
export const MAX_RESPONSE_BYTES = 65_536;

/** Error codes of a failure to connect: nothing of the request was written (SMTP uses them too). */
export const CONNECT_FAILURES: ReadonlySet<string> = new Set([
  'ECONNREFUSED',
  'ENOTFOUND',
  'EAI_AGAIN',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EHOSTDOWN',
  'ENETDOWN',
  'EADDRNOTAVAIL',
  'UND_ERR_CONNECT_TIMEOUT',
  'CERT_HAS_EXPIRED',
  'DEPTH_ZERO_SELF_SIGNED_CERT',
  'SELF_SIGNED_CERT_IN_CHAIN',
  'UNABLE_TO_VERIFY_LEAF_SIGNATURE',
  'UNABLE_TO_GET_ISSUER_CERT_LOCALLY',
  'ERR_TLS_CERT_ALTNAME_INVALID',
  'ERR_SSL_WRONG_VERSION_NUMBER',
]);

/** Every `code` in an error's cause chain (and in an AggregateError's members). */
function codesOf(error: unknown, depth = 0): string[] {
  if (typeof error !== 'object' || error === null || depth > 6) return [];
  const { code, cause, errors } = error as { code?: unknown; cause?: unknown; errors?: unknown };
  const own = typeof code === 'string' ? [code] : [];
  const members = Array.isArray(errors) ? errors.flatMap((e) => codesOf(e, depth + 1)) : [];
  return [...own, ...members, ...codesOf(cause, depth + 1)];
}

/** Classifies a rejected fetch (not an HTTP status). */
function fetchFailure(request: PostRequest, error: unknown, timedOut: boolean): ProviderError {
  const { provider, timeoutMs } = request;
  if (timedOut) {
    return new ProviderError(
      provider,
      'ambiguous',
      `${provider}: no answer within ${timeoutMs} ms; the request may have been accepted`,
      { cause: new TimeoutError(`${provider}: no answer within ${timeoutMs} ms`, { cause: error }) },
    );
  }
  if (request.signal.aborted) {
    return new ProviderError(
      provider,
      'ambiguous',
      `${provider}: the send was aborted in flight; the request may have been accepted`,
      { cause: request.signal.reason },
    );
  }
  const codes = codesOf(error);
  const connectOnly = codes.length > 0 && codes.every((c) => CONNECT_FAILURES.has(c));
  if (connectOnly) {
    return new ProviderError(provider, 'unavailable', `${provider}: could not connect (${codes.at(-1)})`, {
      cause: error,
      providerCode: codes.at(-1),
    });
  }
  return new ProviderError(
    provider,
    'ambiguous',
    `${provider}: the connection failed in flight${codes.length ? ` (${codes.at(-1)})` : ''}; the request may have been accepted`,
    { cause: error, providerCode: codes.at(-1) },
  );
}

/** Reads at most {@link MAX_RESPONSE_BYTES}; a body that fails mid-way keeps what arrived. */
async function readCapped(response: Response): Promise<string> {
  if (response.body === null) return '';
  const reader = response.body.getReader();
  const chunks: Uint8Array[] = [];
  let size = 0;
  try {
    while (size < MAX_RESPONSE_BYTES) {
      const { done, value } = await reader.read();
      if (done) break;
      chunks.push(value);
      size += value.byteLength;
    }
  } catch {
    // The status line already arrived and decides the outcome; a broken body only loses detail.
  } finally {
    reader.cancel().catch(() => {});
  }
  return Buffer.concat(chunks).subarray(0, MAX_RESPONSE_BYTES).toString('utf8');
}

/**
 * Sends the request. Resolves with any HTTP answer (the caller maps statuses); rejects only with a
 * {@link ProviderError} for a request that got no answer.
 */
export async function post(request: PostRequest): Promise<PostReply> {
  const { provider, signal, clock } = request;
  if (signal.aborted) {
    throw new ProviderError(provider, 'retryable', `${provider}: aborted before the request was made`, {
      cause: signal.reason,
    });
  }
  const inFlight = new AbortController();
  const stopTimer = new AbortController();
  let timedOut = false;
  const onAbort = () => inFlight.abort(signal.reason);
  signal.addEventListener('abort', onAbort, { once: true });
  clock.sleep(request.timeoutMs, stopTimer.signal).then(
    () => {
      timedOut = true;
      inFlight.abort(new TimeoutError(`${provider}: no answer within ${request.timeoutMs} ms`));
    },
    () => {},
  );
  try {
    const response = await request.fetch(request.url, {
      method: 'POST',
      headers: request.headers,
      body: request.body,
      redirect: 'manual',
      signal: inFlight.signal,
    });
    return { status: response.status, headers: response.headers, text: await readCapped(response) };
  } catch (error) {
    throw fetchFailure(request, error, timedOut);
  } finally {
    stopTimer.abort();
    signal.removeEventListener('abort', onAbort);
  }
}

/** Sends one request of an adapter whose name, deadline, clock and fetch are fixed. */
export type Poster = (
  url: URL,
  headers: Readonly<Record<string, string>>,
  body: string,
  signal: AbortSignal,
) => Promise<PostReply>;

/** The {@link Poster} of an adapter; `fetch` defaults to the global one, looked up at each call. */
export function poster(o: {
  readonly provider: string;
  readonly timeoutMs: number;
  readonly clock: Clock;
  readonly fetch: FetchFunction | undefined;
}): Poster {
  const fetchFn: FetchFunction = o.fetch ?? ((input, init) => fetch(input, init));
  return (url, headers, body, signal) =>
    post({
      provider: o.provider,
      url,
      headers,
      body,
      signal,
      timeoutMs: o.timeoutMs,
      clock: o.clock,
      fetch: fetchFn,
    });
}

/**
 * The failure an HTTP status means. 408, 429 and 5xx: the service did not take the request (retry
 * later, fail over). A redirect is never followed (`redirects` says what it means for this adapter).
 * Every other 4xx: this request will never be accepted.
 */
export function statusFailure(status: number, redirects: ProviderFailure): ProviderFailure {
  if (status === 408 || status === 429 || status >= 500) return 'unavailable';
  if (status >= 300 && status < 400) return redirects;
  return 'permanent';
}

/** Longest wait we pass on from a `Retry-After` (a day): a larger value is a misconfiguration. */
const MAX_RETRY_AFTER_MS = 86_400_000;

/** `Retry-After` (seconds or an HTTP date) in ms from the clock's now, or undefined. */
export function retryAfterMs(headers: Headers, clock: Clock): number | undefined {
  const value = headers.get('retry-after')?.trim();
  if (value === undefined || value === '') return undefined;
  const ms = /^[0-9]+$/.test(value) ? Number(value) * 1000 : Date.parse(value) - clock.now();
  if (!Number.isFinite(ms)) return undefined;
  return Math.min(Math.max(0, Math.round(ms)), MAX_RETRY_AFTER_MS);
}

/** `X-RateLimit-Reset` (epoch seconds) in ms from the clock's now, or undefined. */
export function rateLimitResetMs(headers: Headers, clock: Clock): number | undefined {
  const value = headers.get('x-ratelimit-reset')?.trim();
  if (value === undefined || !/^[0-9]{1,12}$/.test(value)) return undefined;
  return Math.min(Math.max(0, Number(value) * 1000 - clock.now()), MAX_RETRY_AFTER_MS);
}

const LOOPBACK_HOSTS: ReadonlySet<string> = new Set(['127.0.0.1', 'localhost', '[::1]']);

/** True for a loopback host name as `URL` spells it. */
export function isLoopbackHost(hostname: string): boolean {
  return (
    LOOPBACK_HOSTS.has(hostname) ||
    hostname.endsWith('.localhost') ||
    /^127\.\d{1,3}\.\d{1,3}\.\d{1,3}$/.test(hostname)
  );
}

/** The `baseUrl` option of an API adapter: https, or http on loopback (a local test server). */
export function baseUrlSpec(value: unknown, path: string, owner: string): URL {
  let url: URL;
  try {
    url = new URL(String(value));
  } catch {
    throw optionError(owner, path, 'an absolute URL');
  }
  const loopbackHttp = url.protocol === 'http:' && isLoopbackHost(url.hostname);
  if ((url.protocol !== 'https:' && !loopbackHttp) || url.username !== '' || url.password !== '') {
    throw optionError(owner, path, 'an https URL without credentials (http only on loopback)');
  }
  return url;
}

/** Resolves `path` under a base URL, keeping any path prefix of the base (a proxy mount). */
export function endpoint(base: URL, path: string): URL {
  const prefix = base.pathname.endsWith('/') ? base.pathname.slice(0, -1) : base.pathname;
  return new URL(`${prefix}${path}`, base);
}

/** Shortens a provider's error text for a message and removes any secret it might echo. */
export function scrub(text: string, secrets: readonly string[], maxLength = 300): string {
  let out = text;
  for (const secret of secrets) if (secret.length >= 8) out = out.split(secret).join('[redacted]');
  // biome-ignore lint/suspicious/noControlCharactersInRegex: log lines must not carry control characters
  out = out.replace(/[\u0000-\u001f\u007f]+/g, ' ').trim();
  return out.length > maxLength ? `${out.slice(0, maxLength)}...` : out;
}
