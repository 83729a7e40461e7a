/**
 * The engine's contract between the compiler (validate + compile, once per config) and the evaluator
 * (layers, defaults, analytics). `compileConfig` validates a whole config (throwing `FlagConfigError`
 * naming the flag and the path) and returns a {@link CompiledConfig} whose `evaluate` is synchronous,
 * allocation-light and never throws.
 */
import type {
  EvaluationContext,
  EvaluationErrorCode,
  EvaluationReason,
  FlagConfig,
  FlagType,
  FlagValue,
} from './types.js';

/** What the engine found for one flag and context. */
export type EngineResult =
  | {
      readonly value: FlagValue;
      readonly variant: string;
      readonly reason: EvaluationReason;
      /** The matching rule's id, for `TARGETING_MATCH` from a rule. */
      readonly ruleId?: string;
    }
  | { readonly errorCode: EvaluationErrorCode; readonly errorMessage: string };

/** A validated, compiled config. */
export interface CompiledConfig {
  readonly version: string | undefined;
  /** The config as validated (frozen). */
  readonly config: FlagConfig;
  /** Evaluates `flag` for `context` at `nowMs` (scheduled changes apply from their instant). */
  evaluate(flag: string, context: EvaluationContext, nowMs: number): EngineResult;
  /** The flag's type, or undefined when there is no such flag. */
  typeOf(flag: string): FlagType | undefined;
  keys(): readonly string[];
}
