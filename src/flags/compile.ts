/**
 * `compileConfig`: validates a config once and compiles it for fast, allocation-free evaluation (the
 * contract of engine.ts). `evaluate` is synchronous and never throws: an unknown flag, a context that
 * is not an object, a rollout without its bucketing attribute, or anything a hostile context throws
 * from a getter come back as results with an OpenFeature `errorCode`.
 */
import { targetingKeyOf } from './attributes.js';
import {
  beginEvaluation,
  type CompiledSegment,
  compileClause,
  compileSegment,
  type Matcher,
} from './compile-clause.js';
import { type CompiledFlag, compileFlag, evaluateFlag } from './compile-flag.js';
import type { CompiledConfig, EngineResult } from './engine.js';
import type { Clause, EvaluationContext } from './types.js';
import { validateConfigDetailed } from './validate.js';
import { quote } from './validate-kit.js';

const INVALID_CONTEXT: EngineResult = Object.freeze({
  errorCode: 'INVALID_CONTEXT',
  errorMessage: 'the evaluation context must be an object',
});

function notFound(flag: unknown): EngineResult {
  const name = typeof flag === 'string' ? quote(flag) : `(${typeof flag})`;
  return { errorCode: 'FLAG_NOT_FOUND', errorMessage: `no flag ${name} in the config` };
}

function failed(flag: string, error: unknown): EngineResult {
  const what = error instanceof Error ? error.name : typeof error;
  return { errorCode: 'GENERAL', errorMessage: `flag ${quote(flag)}: evaluation failed (${what})` };
}

/**
 * Validates and compiles a flag config. Throws `FlagConfigError` (`ERR_FLAGS_INVALID_CONFIG`) naming
 * the flag and path when the config does not validate; the returned config's `evaluate` never throws.
 *
 * @example
 * ```ts
 * import { compileConfig } from 'backend-patterns/flags';
 * const compiled = compileConfig({
 *   flags: {
 *     'new-checkout': {
 *       type: 'boolean',
 *       variations: { on: true, off: false },
 *       enabled: true,
 *       offVariation: 'off',
 *       fallthrough: { rollout: { variations: [{ variation: 'on', weight: 25_000 }, { variation: 'off', weight: 75_000 }] } },
 *     },
 *   },
 * });
 * const result = compiled.evaluate('new-checkout', { targetingKey: 'user-42' }, 1_700_000_000_000);
 * ```
 */
export function compileConfig(config: unknown): CompiledConfig {
  const validated = validateConfigDetailed(config);
  const segments = new Map<string, CompiledSegment>();
  const clause = (c: Clause): Matcher => compileClause(c, validated.prepared.get(c)!, segments);
  for (const [key, segment] of Object.entries(validated.config.segments ?? {})) {
    segments.set(key, compileSegment(segment, clause));
  }
  const flags = new Map<string, CompiledFlag>();
  for (const key of validated.prerequisiteOrder) {
    flags.set(key, compileFlag(key, validated.config.flags[key]!, clause, flags));
  }
  const keys = Object.freeze(Object.keys(validated.config.flags));
  return Object.freeze({
    version: validated.config.version,
    config: validated.config,
    evaluate(flag: string, context: EvaluationContext, nowMs: number): EngineResult {
      const compiled = typeof flag === 'string' ? flags.get(flag) : undefined;
      if (compiled === undefined) return notFound(flag);
      if (typeof context !== 'object' || context === null || Array.isArray(context)) return INVALID_CONTEXT;
      try {
        beginEvaluation();
        return evaluateFlag(compiled, context, targetingKeyOf(context), nowMs);
      } catch (error) {
        return failed(flag, error);
      }
    },
    typeOf: (flag: string) => flags.get(flag)?.type,
    keys: () => keys,
  });
}
