/**
 * Call-time checks of the {@link AccountsStore} methods, shared by the memory and the Redis store so both
 * refuse the same inputs with the same `InvalidArgumentError`, before anything is read or written. Each
 * check returns a clean copy holding only the fields the store uses.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import {
  MAX_COOLDOWN_MS,
  MAX_MAIL_TTL_MS,
  MAX_PAYLOAD_LENGTH,
  MAX_REQUEST_ID_LENGTH,
  MAX_STORE_TEXT_LENGTH,
  MAX_TOKEN_TTL_MS,
} from './store-constants.js';
import type {
  AccountMailKind,
  AccountMailStatus,
  AccountTokenKind,
  CooldownRequest,
  IssueTokenRequest,
  MailRecord,
  TokenLookupRequest,
} from './types.js';

const TOKEN_KINDS: Record<AccountTokenKind, true> = { verify: true, reset: true };
const MAIL_KINDS: Record<AccountMailKind, true> = {
  verify: true,
  reset: true,
  'reset-unknown': true,
  'reset-completed': true,
  'signup-existing': true,
};
const MAIL_STATUSES: Record<AccountMailStatus, true> = {
  queued: true,
  skipped: true,
  sent: true,
  delivered: true,
  deferred: true,
  bounced: true,
  complained: true,
  suppressed: true,
  failed: true,
};

/** Every token kind, in a fixed order (revocation of both kinds walks it). */
export const ACCOUNT_TOKEN_KINDS = Object.keys(TOKEN_KINDS) as AccountTokenKind[];
const MAIL_KIND_LIST = Object.keys(MAIL_KINDS) as AccountMailKind[];
const MAIL_STATUS_LIST = Object.keys(MAIL_STATUSES) as AccountMailStatus[];

const TOKEN_HASH = /^[0-9a-f]{64}$/;
const REQUEST_ID = /^[A-Za-z0-9_-]+$/;

/** `String.prototype.isWellFormed` (ES2024, in every supported Node; the TS lib here is ES2023). */
const wellFormed = (value: string) => (value as string & { isWellFormed(): boolean }).isWellFormed();

/** C0 and C1 controls and DEL (NUL included). A loop: the lint refuses control characters in a regex. */
function hasControl(value: string): boolean {
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i);
    if (c < 0x20 || (c >= 0x7f && c <= 0x9f)) return true;
  }
  return false;
}

function object(name: string, value: unknown): Record<string, unknown> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw new InvalidArgumentError(`\`${name}\` must be an object`);
  }
  return value as Record<string, unknown>;
}

/**
 * A non-empty, well-formed string of at most `maxLength` UTF-16 units without control characters: what a
 * user id, an email, a cooldown key or a mail field may be. The value is never echoed.
 */
export function storeText(name: string, value: unknown, maxLength = MAX_STORE_TEXT_LENGTH): string {
  const text = argument.key(name, value, maxLength);
  if (hasControl(text)) throw new InvalidArgumentError(`\`${name}\` holds a control character`);
  if (!wellFormed(text)) throw new InvalidArgumentError(`\`${name}\` holds a lone surrogate`);
  return text;
}

const tokenKind = (name: string, value: unknown) => argument.oneOf(name, value, ACCOUNT_TOKEN_KINDS);

function tokenHash(value: unknown): string {
  if (typeof value !== 'string' || !TOKEN_HASH.test(value)) {
    throw new InvalidArgumentError('`tokenHash` must be a SHA-256 in lower-case hex (64 characters)');
  }
  return value;
}

/** Checks an `issueToken` request. */
export function checkIssue(request: unknown): IssueTokenRequest {
  const r = object('request', request);
  const binding = object('binding', r.binding);
  return {
    kind: tokenKind('kind', r.kind),
    tokenHash: tokenHash(r.tokenHash),
    binding: {
      userId: storeText('binding.userId', binding.userId),
      email: storeText('binding.email', binding.email),
      credentialsVersion: argument.integer(
        'binding.credentialsVersion',
        binding.credentialsVersion,
        0,
        Number.MAX_SAFE_INTEGER,
      ),
    },
    ttlMs: argument.integer('ttlMs', r.ttlMs, 1, MAX_TOKEN_TTL_MS),
    ...(r.payload === undefined ? {} : { payload: storeText('payload', r.payload, MAX_PAYLOAD_LENGTH) }),
  };
}

/** Checks a `findToken` / `consumeToken` request. */
export function checkLookup(request: unknown): TokenLookupRequest {
  const r = object('request', request);
  return { kind: tokenKind('kind', r.kind), tokenHash: tokenHash(r.tokenHash) };
}

/** Checks a `revokeTokens` request; returns the kinds to revoke. */
export function checkRevoke(request: unknown): { userId: string; kinds: readonly AccountTokenKind[] } {
  const r = object('request', request);
  const userId = storeText('userId', r.userId);
  return { userId, kinds: r.kind === undefined ? ACCOUNT_TOKEN_KINDS : [tokenKind('kind', r.kind)] };
}

/** Checks an `acquireCooldown` request. */
export function checkCooldown(request: unknown): CooldownRequest {
  const r = object('request', request);
  return {
    key: storeText('key', r.key),
    cooldownMs: argument.integer('cooldownMs', r.cooldownMs, 1, MAX_COOLDOWN_MS),
  };
}

/** Checks a mail request id: 1..128 of [A-Za-z0-9_-]. */
export function checkRequestId(value: unknown): string {
  if (typeof value !== 'string' || value.length > MAX_REQUEST_ID_LENGTH || !REQUEST_ID.test(value)) {
    throw new InvalidArgumentError(
      `\`requestId\` must be 1..${MAX_REQUEST_ID_LENGTH} characters of [A-Za-z0-9_-]`,
    );
  }
  return value;
}

/** A mail record as stored: everything but the store-stamped `updatedAtMs`. */
export type MailFields = Omit<MailRecord, 'updatedAtMs'>;

const OPTIONAL_MAIL_FIELDS = ['userId', 'messageId', 'reason'] as const;
/** `updatedAtMs` is accepted (a record read back and written again) and replaced by the store time. */
const MAIL_FIELDS = new Set<string>(['requestId', 'kind', 'status', 'updatedAtMs', ...OPTIONAL_MAIL_FIELDS]);

/**
 * Checks a mail record: known fields only (a field the store would drop is refused, port rule 4),
 * strings only, and the kind and status from their lists.
 */
export function checkMailFields(value: unknown): MailFields {
  const record = object('record', value);
  for (const key of Object.keys(record)) {
    if (!MAIL_FIELDS.has(key)) {
      const named = /^[A-Za-z0-9_]{1,32}$/.test(key) ? ` \`${key}\`` : '';
      throw new InvalidArgumentError(`\`record\` has an unknown field${named}`);
    }
  }
  const fields: { -readonly [K in keyof MailFields]: MailFields[K] } = {
    requestId: checkRequestId(record.requestId),
    kind: argument.oneOf('record.kind', record.kind, MAIL_KIND_LIST),
    status: argument.oneOf('record.status', record.status, MAIL_STATUS_LIST),
  };
  for (const name of OPTIONAL_MAIL_FIELDS) {
    if (record[name] !== undefined) fields[name] = storeText(`record.${name}`, record[name]);
  }
  return fields;
}

/** Checks a `putMail` request. */
export function checkPutMail(request: unknown): { fields: MailFields; ttlMs: number } {
  const r = object('request', request);
  return {
    fields: checkMailFields(r.record),
    ttlMs: argument.integer('ttlMs', r.ttlMs, 1, MAX_MAIL_TTL_MS),
  };
}
