/**
 * Values the memory and Redis accounts stores share (the Lua scripts get them through `constants`), so
 * the two adapters cannot disagree on a retention, a limit or a status string.
 */

/**
 * How long a token record is kept after it expires, so a late click reads `expired` ("ask for a new
 * link") rather than `missing`. After that it is gone. One hour.
 */
export const EXPIRED_RETENTION_MS = 3_600_000;

/** Longest token lifetime a store accepts (`ttlMs`): 30 days. */
export const MAX_TOKEN_TTL_MS = 30 * 24 * 3_600_000;

/** Longest cooldown a store accepts (`cooldownMs`): one day. */
export const MAX_COOLDOWN_MS = 24 * 3_600_000;

/** Longest a mail record is kept (`ttlMs` of `putMail`): 30 days. */
export const MAX_MAIL_TTL_MS = 30 * 24 * 3_600_000;

/** Longest user id, email, cooldown key or mail text field a store accepts, in UTF-16 units. */
export const MAX_STORE_TEXT_LENGTH = 512;

/** Longest token `payload` (a PHC hash is about 100 characters). */
export const MAX_PAYLOAD_LENGTH = 1024;

/** Longest mail request id (1..128 of [A-Za-z0-9_-]). */
export const MAX_REQUEST_ID_LENGTH = 128;

/** Lookup outcomes, as the Lua scripts return them. */
export const TOKEN_STATUS = {
  VALID: 'valid',
  EXPIRED: 'expired',
  MISSING: 'missing',
} as const;
