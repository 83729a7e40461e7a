/**
 * One error base class for the whole library. Callers tell errors apart by `code` (stable, documented
 * per module) or `instanceof`, never by message text.
 */

/** Brand shared by every copy of this library loaded in a process (ESM + CJS, or two versions). */
const ERROR_BRAND = Symbol.for('backend-patterns.error');

/** Codes raised by the core itself, every one of them listed (the docs check reads this list). */
export const CORE_ERROR_CODES = [
  'ERR_INVALID_OPTION',
  'ERR_INVALID_ARGUMENT',
  'ERR_TIMEOUT',
  'ERR_STORE',
  'ERR_UNSUPPORTED',
] as const;

/**
 * Codes raised by the core itself. Each module exports its own list and union (`JOBS_ERROR_CODES`,
 * `JobsErrorCode`), and its errors are typed `code: <Module>ErrorCode | CoreErrorCode`.
 */
export type CoreErrorCode = (typeof CORE_ERROR_CODES)[number];

/** Options accepted by every error constructor of this library. */
export interface BackendPatternsErrorOptions {
  /** The underlying error, kept for logs; never echoed into `message`. */
  readonly cause?: unknown;
}

/**
 * Base class of every error this library throws.
 *
 * @example
 * ```ts
 * try { await limiter.limit(key); } catch (e) {
 *   if (isBackendPatternsError(e, 'ERR_INVALID_ARGUMENT')) return badRequest(e.message);
 *   throw e;
 * }
 * ```
 */
export class BackendPatternsError<Code extends string = string> extends Error {
  /** Stable machine-readable code, e.g. `ERR_INVALID_OPTION`. */
  readonly code: Code;

  constructor(code: Code, message: string, options: BackendPatternsErrorOptions = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.code = code;
    this.name = new.target.name;
    Object.defineProperty(this, ERROR_BRAND, { value: true });
  }
}

/** An option given to a factory is missing, of the wrong type or out of range. Thrown at construction. */
export class InvalidOptionError extends BackendPatternsError<'ERR_INVALID_OPTION'> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_INVALID_OPTION', message, options);
  }
}

/** An argument given to a method call is invalid (bad key, negative cost, ...). Thrown at the call. */
export class InvalidArgumentError extends BackendPatternsError<'ERR_INVALID_ARGUMENT'> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_INVALID_ARGUMENT', message, options);
  }
}

/** An operation did not finish within its deadline. */
export class TimeoutError extends BackendPatternsError<'ERR_TIMEOUT'> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_TIMEOUT', message, options);
  }
}

/** A backing store (Redis, PostgreSQL, ...) failed or answered with something unexpected. */
export class StoreError extends BackendPatternsError<'ERR_STORE'> {
  constructor(message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_STORE', message, options);
  }
}

/**
 * The adapter in use cannot do what was asked (a RabbitMQ job backend has no lookup by id, say). Raised
 * where a silent no-op would otherwise hide it; `capability` names what is missing.
 */
export class UnsupportedError extends BackendPatternsError<'ERR_UNSUPPORTED'> {
  /** The capability the adapter lacks, e.g. `lookup`, `priorities`. */
  readonly capability: string;
  constructor(capability: string, message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_UNSUPPORTED', message, options);
    this.capability = capability;
  }
}

/**
 * True when `error` was thrown by this library (any copy of it), optionally with the given `code`.
 *
 * @example
 * ```ts
 * if (isBackendPatternsError(err, 'ERR_TOKEN_EXPIRED')) res.statusCode = 401;
 * ```
 */
export function isBackendPatternsError<Code extends string = string>(
  error: unknown,
  code?: Code,
): error is BackendPatternsError<Code> {
  if (typeof error !== 'object' || error === null) return false;
  if ((error as Record<symbol, unknown>)[ERROR_BRAND] !== true) return false;
  return code === undefined || (error as BackendPatternsError).code === code;
}
