/**
 * Twilio status callbacks: verifies `X-Twilio-Signature` (base64 HMAC-SHA1, keyed by the Auth Token,
 * over the full URL followed by every POST parameter as name + value, sorted by name) and maps
 * `MessageStatus` to a {@link DeliveryEvent}.
 *
 * Replays: Twilio signs no timestamp, so a captured callback verifies for as long as the Auth Token
 * lives. The only defence is remembering what was accepted: pass a `replayGuard`, keyed by
 * `MessageSid:MessageStatus` (a message reaches each status once, so a second copy is a replay or a
 * Twilio retry of one already accepted).
 */
import { createHmac } from 'node:crypto';
import type { Clock } from '../../core/clock.js';
import { defineOptions, opt, optionError } from '../../core/options.js';
import type { DeliveryEvent } from '../provider.js';
import { PayloadInvalidError, SignatureInvalidError } from './event-errors.js';
import {
  bodyBytes,
  claimOnce,
  type InboundHeaders,
  maxBodyOption,
  type RawBody,
  type ReplayGuard,
  replayGuardOption,
  requireHeader,
  sameMac,
} from './inbound.js';
import { MESSAGE_ID_PARAM } from './twilio-sms.js';

/** POST parameters a framework already parsed (`req.body` of a urlencoded parser). */
export type TwilioParams = Readonly<Record<string, string | readonly string[]>>;

/** Options of {@link createTwilioStatusVerifier}. */
export interface TwilioStatusVerifierOptions {
  /** The Auth Token, or several during a rotation (primary and secondary). */
  readonly authToken: string | readonly string[];
  /** Refuses a callback accepted before. Default none (see the replay note above). */
  readonly replayGuard?: ReplayGuard;
  /** How long the guard holds a key, ms. Default 1 day (Twilio's retries end well before). */
  readonly replayTtlMs?: number;
  /** Largest body accepted, bytes. Default 1 MiB. */
  readonly maxBodyBytes?: number;
  /** The `provider` of the events. Default `twilio`. */
  readonly provider?: string;
  /** Stamps `atMs` (Twilio callbacks carry no time). Default the system clock. */
  readonly clock?: Clock;
}

/** One status callback request. */
export interface TwilioStatusRequest {
  /**
   * The full URL Twilio requested, query included, exactly as configured in `statusCallback` (behind
   * a proxy, rebuild the public URL, not the internal one).
   */
  readonly url: string | URL;
  readonly headers: InboundHeaders;
  /** The raw form body, or the parameters a urlencoded body parser produced. */
  readonly body: RawBody | TwilioParams;
}

/** Verifies Twilio status callbacks. */
export interface TwilioStatusVerifier {
  /**
   * Verifies the callback and returns its event: `delivered`, `bounced` (undelivered) or `failed`;
   * `undefined` for intermediate statuses (queued, accepted, sending, sent, read, ...).
   */
  verify(request: TwilioStatusRequest): Promise<DeliveryEvent | undefined>;
}

const WHAT = 'twilio status callback';

function tokensSpec(value: unknown, path: string, owner: string): readonly string[] {
  const list = typeof value === 'string' ? [value] : Array.isArray(value) ? value : [];
  if (list.length === 0 || list.length > 4 || list.some((t) => typeof t !== 'string' || t.length < 8)) {
    throw optionError(owner, path, 'an Auth Token (string) or a list of 1..4 of them');
  }
  return [...list] as string[];
}

const parseOptions = defineOptions('createTwilioStatusVerifier', {
  authToken: opt.custom(tokensSpec, { required: true }),
  replayGuard: replayGuardOption(),
  replayTtlMs: opt.duration({ default: 86_400_000 }),
  maxBodyBytes: maxBodyOption(),
  provider: opt.name({ default: 'twilio' }),
  clock: opt.clock(),
});

/** Parameters as name -> values, from a raw body or a parsed record. */
function paramsOf(body: RawBody | TwilioParams, maxBytes: number): Map<string, string[]> {
  const params = new Map<string, string[]>();
  if (typeof body === 'string' || body instanceof Uint8Array) {
    for (const [k, v] of new URLSearchParams(bodyBytes(body, maxBytes, WHAT).toString('utf8'))) {
      params.set(k, [...(params.get(k) ?? []), v]);
    }
    return params;
  }
  if (typeof body !== 'object' || body === null) throw new PayloadInvalidError(`${WHAT}: no parameters`);
  for (const [k, v] of Object.entries(body)) {
    const values = typeof v === 'string' ? [v] : Array.isArray(v) ? v : undefined;
    if (values === undefined || values.some((x) => typeof x !== 'string')) {
      throw new PayloadInvalidError(`${WHAT}: parameter values must be strings`);
    }
    params.set(k, [...values]);
  }
  return params;
}

/** The string Twilio signs: the URL, then each parameter name + value, names sorted, values sorted. */
export function twilioSignedString(url: string, params: ReadonlyMap<string, readonly string[]>): string {
  let data = url;
  for (const name of [...params.keys()].sort()) {
    for (const value of [...new Set(params.get(name))].sort()) data += name + value;
  }
  return data;
}

/** The URL as given, and with its default port added or removed: Twilio may have signed either. */
function urlVariants(raw: string): string[] {
  const url = new URL(raw);
  const defaultPort = url.protocol === 'https:' ? '443' : '80';
  const withPort = `${url.protocol}//${url.host.includes(':') ? url.host : `${url.host}:${defaultPort}`}${url.pathname}${url.search}`;
  const portMatch = raw.match(/^(https?:\/\/[^/?#]+?):(\d+)(.*)$/);
  const withoutPort =
    portMatch && portMatch[2] === defaultPort ? `${portMatch[1]}${portMatch[3]}` : url.toString();
  return [...new Set([raw, withPort, withoutPort])];
}

function signatureMatches(
  tokens: readonly string[],
  url: string,
  params: Map<string, string[]>,
  given: Buffer,
) {
  let ok = false;
  for (const candidate of urlVariants(url)) {
    const data = twilioSignedString(candidate, params);
    for (const token of tokens) {
      // Every combination is computed and compared, so timing does not say which one matched.
      ok = sameMac(createHmac('sha1', token).update(data, 'utf8').digest(), given) || ok;
    }
  }
  return ok;
}

/** `ErrorCode`s of undelivered messages that mean the number itself is bad or opted out. */
const HARD_UNDELIVERED: ReadonlySet<string> = new Set(['21211', '21610', '21614', '30004', '30005', '30006']);

/** A callback's parameters as a {@link DeliveryEvent}, or undefined for an intermediate status. */
export function twilioDeliveryEvent(
  params: ReadonlyMap<string, readonly string[]>,
  url: string,
  provider: string,
  atMs: number,
): DeliveryEvent | undefined {
  const one = (name: string) => params.get(name)?.[0];
  const status = one('MessageStatus') ?? one('SmsStatus');
  const recipient = one('To');
  const mapped =
    status === 'delivered'
      ? 'delivered'
      : status === 'undelivered'
        ? 'bounced'
        : status === 'failed'
          ? 'failed'
          : undefined;
  if (mapped === undefined || recipient === undefined) return undefined;
  const errorCode = one('ErrorCode');
  const messageId = new URL(url).searchParams.get(MESSAGE_ID_PARAM);
  const sid = one('MessageSid') ?? one('SmsSid');
  return {
    ...(messageId ? { messageId } : {}),
    ...(sid ? { providerMessageId: sid } : {}),
    provider,
    channel: 'sms',
    status: mapped,
    recipient,
    atMs,
    ...(mapped === 'bounced'
      ? { permanent: errorCode !== undefined && HARD_UNDELIVERED.has(errorCode) }
      : {}),
    ...(errorCode ? { reason: errorCode.slice(0, 32) } : {}),
  };
}

/**
 * Creates a verifier for Twilio status callbacks.
 *
 * @example
 * ```ts
 * import { createMemoryReplayGuard, createTwilioStatusVerifier } from 'backend-patterns/notify/twilio';
 * const twilioStatus = createTwilioStatusVerifier({
 *   authToken: process.env.TWILIO_AUTH_TOKEN ?? '',
 *   replayGuard: createMemoryReplayGuard(),
 * });
 * ```
 */
export function createTwilioStatusVerifier(options: TwilioStatusVerifierOptions): TwilioStatusVerifier {
  const o = parseOptions(options);
  return {
    async verify(request) {
      const url = String(request.url);
      if (!URL.canParse(url)) throw new PayloadInvalidError(`${WHAT}: \`url\` is not an absolute URL`);
      const params = paramsOf(request.body, o.maxBodyBytes);
      const header = requireHeader(request.headers, 'x-twilio-signature', WHAT);
      if (header.length > 64 || !/^[A-Za-z0-9+/]+={0,2}$/.test(header)) {
        throw new SignatureInvalidError(`${WHAT}: the signature is not base64`);
      }
      if (!signatureMatches(o.authToken, url, params, Buffer.from(header, 'base64'))) {
        throw new SignatureInvalidError(`${WHAT}: the signature does not match the URL and parameters`);
      }
      const sid = params.get('MessageSid')?.[0] ?? params.get('SmsSid')?.[0];
      if (sid === undefined) throw new PayloadInvalidError(`${WHAT}: no \`MessageSid\``);
      const status = params.get('MessageStatus')?.[0] ?? params.get('SmsStatus')?.[0] ?? '';
      await claimOnce(WHAT, o.replayGuard, `twilio:${sid}:${status}`, o.replayTtlMs);
      return twilioDeliveryEvent(params, url, o.provider, o.clock.now());
    },
  };
}
