/**
 * One evaluation: checks the flag key, the context and the asked type, asks the answering compiled config
 * (or the code defaults), and shapes the result. Nothing here throws: a problem is a result with an
 * OpenFeature error code and the caller's default. What it returns is also what analytics records.
 */
import type { Answer, ResultMetadata } from './evaluator-layers.js';
import { MAX_FLAG_KEY_LENGTH } from './evaluator-options.js';
import type {
  EvaluationContext,
  EvaluationErrorCode,
  EvaluationResult,
  FlagType,
  FlagValue,
} from './types.js';

/** The type `value` asks for: boolean, string, number, or json (objects, arrays, null). */
export function typeOfValue(value: unknown): FlagType | undefined {
  switch (typeof value) {
    case 'boolean':
      return 'boolean';
    case 'string':
      return 'string';
    case 'number':
      return Number.isFinite(value) ? 'number' : undefined;
    case 'object':
      return 'json';
    default:
      return undefined;
  }
}

/** Metadata of a code default: no layer answered for this flag. */
const CODE_DEFAULT_META: ResultMetadata = Object.freeze({ layer: 'code-defaults' });

const EMPTY_CONTEXT: EvaluationContext = Object.freeze({});

/** A context refused, and why. */
interface Refusal {
  readonly error: string;
}

/**
 * A context is `undefined` or a plain object (prototype `Object.prototype` or null) whose `targetingKey`,
 * when present, is a string. Only the top level is checked: attributes are read by the engine, which
 * bounds its paths and never throws. A context whose traps throw (a Proxy) is refused. Returns the
 * targeting key (no allocation), or the refusal.
 */
function checkContext(context: unknown): string | undefined | Refusal {
  if (context === undefined) return undefined;
  try {
    if (typeof context !== 'object' || context === null || Array.isArray(context)) {
      return { error: 'the context must be a plain object' };
    }
    const proto: unknown = Object.getPrototypeOf(context);
    if (proto !== Object.prototype && proto !== null) return { error: 'the context must be a plain object' };
    const targetingKey: unknown = (context as EvaluationContext).targetingKey;
    if (targetingKey !== undefined && typeof targetingKey !== 'string') {
      return { error: '`targetingKey` must be a string' };
    }
    return targetingKey;
  } catch {
    return { error: 'the context could not be read' };
  }
}

function failure<T extends FlagValue>(
  defaultValue: T,
  errorCode: EvaluationErrorCode,
  errorMessage: string,
  meta?: ResultMetadata,
): EvaluationResult<T> {
  return meta === undefined
    ? { value: defaultValue, reason: 'ERROR', errorCode, errorMessage }
    : { value: defaultValue, reason: 'ERROR', errorCode, errorMessage, flagMetadata: meta };
}

/**
 * What one evaluation reads, and where it leaves the targeting key for analytics. The evaluator reuses
 * one such object for every call (evaluation is synchronous), so a call allocates only its result.
 */
export interface CallEnv {
  answer: Answer | undefined;
  defaults: ReadonlyMap<string, FlagValue>;
  nowMs: number;
  /** Out: the context's targeting key, when it has one. */
  targetingKey: string | undefined;
}

const mismatch = (flag: string, actual: FlagType, expected: FlagType) =>
  `flag \`${flag}\` is of type ${actual}, not ${expected}`;

function fromCodeDefault<T extends FlagValue>(
  flag: string,
  expected: FlagType,
  answer: Answer | undefined,
  defaults: ReadonlyMap<string, FlagValue>,
  defaultValue: T,
  missing: EvaluationErrorCode,
): EvaluationResult<T> {
  if (!defaults.has(flag)) {
    return missing === 'PROVIDER_NOT_READY'
      ? failure(defaultValue, missing, 'no flag data has been loaded')
      : failure(defaultValue, missing, `flag \`${flag}\` not found`, answer?.meta);
  }
  const value = defaults.get(flag) as FlagValue;
  const actual = typeOfValue(value) as FlagType;
  if (actual !== expected) return failure(defaultValue, 'TYPE_MISMATCH', mismatch(flag, actual, expected));
  return { value: value as T, reason: 'DEFAULT', flagMetadata: CODE_DEFAULT_META };
}

function fromAnswer<T extends FlagValue>(
  answer: Answer,
  flag: string,
  context: EvaluationContext,
  expected: FlagType,
  defaults: ReadonlyMap<string, FlagValue>,
  nowMs: number,
  defaultValue: T,
): EvaluationResult<T> {
  const actual = answer.compiled.typeOf(flag);
  if (actual === undefined)
    return fromCodeDefault(flag, expected, answer, defaults, defaultValue, 'FLAG_NOT_FOUND');
  if (actual !== expected) {
    return failure(defaultValue, 'TYPE_MISMATCH', mismatch(flag, actual, expected), answer.meta);
  }
  const found = answer.compiled.evaluate(flag, context, nowMs);
  if ('errorCode' in found) return failure(defaultValue, found.errorCode, found.errorMessage, answer.meta);
  return answer.resultFor(found) as EvaluationResult<T>;
}

/**
 * Evaluates `flag`. `expected` is the asked type (the typed helpers fix it; `evaluate` derives it from
 * `defaultValue`). Never throws: anything thrown inside is a `GENERAL` error result. Sets
 * `env.targetingKey` last, so a re-entrant call (from a context getter) cannot leave its own there.
 */
export function evaluateCall<T extends FlagValue>(
  env: CallEnv,
  flag: unknown,
  context: unknown,
  defaultValue: T,
  expected: FlagType | undefined,
): EvaluationResult<T> {
  const { answer, defaults, nowMs } = env;
  env.targetingKey = undefined;
  if (typeof flag !== 'string' || flag.length === 0 || flag.length > MAX_FLAG_KEY_LENGTH) {
    return failure(
      defaultValue,
      'GENERAL',
      `the flag key must be a string of 1..${MAX_FLAG_KEY_LENGTH} characters`,
    );
  }
  const type = expected ?? typeOfValue(defaultValue);
  if (type === undefined) {
    const message = 'the default value must be a boolean, a string, a finite number or a JSON value';
    return failure(defaultValue, 'GENERAL', message);
  }
  const checked = checkContext(context);
  if (typeof checked === 'object') return failure(defaultValue, 'INVALID_CONTEXT', checked.error);
  const ctx = context === undefined ? EMPTY_CONTEXT : (context as EvaluationContext);
  let result: EvaluationResult<T>;
  try {
    result =
      answer === undefined
        ? fromCodeDefault(flag, type, undefined, defaults, defaultValue, 'PROVIDER_NOT_READY')
        : fromAnswer(answer, flag, ctx, type, defaults, nowMs, defaultValue);
  } catch (error) {
    const message = error instanceof Error ? `evaluation failed: ${error.message}` : 'evaluation failed';
    result = failure(defaultValue, 'GENERAL', message);
  }
  env.targetingKey = checked;
  return result;
}
