/**
 * Errors of the flags module, all listed in {@link FLAGS_ERROR_CODES}. Evaluation never throws (it returns
 * a result with an OpenFeature `errorCode`); these are for loading and wiring: a config that does not
 * validate, a source that cannot answer.
 */
import { BackendPatternsError, type BackendPatternsErrorOptions } from '../core/errors.js';

/** Every code the flags module raises. Core codes such as `ERR_INVALID_OPTION` come on top. */
export const FLAGS_ERROR_CODES = ['ERR_FLAGS_INVALID_CONFIG', 'ERR_FLAGS_SOURCE'] as const;

/** A code of {@link FLAGS_ERROR_CODES}. */
export type FlagsErrorCode = (typeof FLAGS_ERROR_CODES)[number];

/**
 * A config does not validate. `flag` and `path` name the place (`flags.checkout.rules[2].clauses[0].op`);
 * nothing of the config is applied.
 */
export class FlagConfigError extends BackendPatternsError<'ERR_FLAGS_INVALID_CONFIG'> {
  /** The flag (or segment) key, when the problem is inside one. */
  readonly flag: string | undefined;
  /** Where in the config, dotted with indexes. */
  readonly path: string;
  constructor(path: string, message: string, flag?: string) {
    super('ERR_FLAGS_INVALID_CONFIG', `${path}: ${message}`);
    this.path = path;
    this.flag = flag;
  }
}

/** A source could not deliver a config (unreachable, timed out, not JSON, too large). */
export class FlagSourceError extends BackendPatternsError<'ERR_FLAGS_SOURCE'> {
  /** The source's kind (`file`, `redis`, `http`). */
  readonly source: string;
  constructor(source: string, message: string, options?: BackendPatternsErrorOptions) {
    super('ERR_FLAGS_SOURCE', `${source}: ${message}`, options);
    this.source = source;
  }
}
