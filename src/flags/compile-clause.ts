/**
 * Clauses and segments compiled into matchers: `(context, targetingKey) => boolean`. An attribute that
 * is absent or null makes its clause false whatever `negate` says (as in LaunchDarkly: "not in
 * [beta]" does not pick contexts that say nothing); otherwise the clause holds when any value matches
 * (for an array attribute, any element), then `negate` flips it. `exists` is true for any non-null
 * value (and false, or true when negated, for an absent one). `inSegment` holds when the context is in
 * any of the named segments.
 */
import { compileLookup } from './attributes.js';
import { FLAG_CONFIG_LIMITS } from './limits.js';
import { compileValueTest, type ValueTest } from './operators.js';
import type { Clause, EvaluationContext, Segment } from './types.js';
import type { PreparedValues } from './validate-clause.js';

/** A compiled clause or segment test. */
export type Matcher = (context: EvaluationContext, key: string | undefined) => boolean;

/**
 * A compiled segment: included keys win over excluded ones, then any rule whose clauses all hold. Its
 * answer is remembered for the evaluation in progress (see {@link beginEvaluation}), so a segment named by
 * many clauses, or by a chain of segments that fans out, is decided once per evaluation: without that a
 * valid config could make one evaluation run billions of checks.
 */
export interface CompiledSegment {
  readonly included: ReadonlySet<string> | undefined;
  readonly excluded: ReadonlySet<string> | undefined;
  readonly rules: readonly (readonly Matcher[])[];
  /** The evaluation, context and key the remembered answer is for. */
  memoEvaluation: number;
  memoContext: EvaluationContext | undefined;
  memoKey: string | undefined;
  memoResult: boolean;
}

let evaluationSerial = 0;

/** Starts a top-level evaluation: answers remembered by segments before it no longer count. */
export function beginEvaluation(): void {
  evaluationSerial = (evaluationSerial + 1) | 0;
}

/** Where compiled segments are found by key (filled before the first evaluation). */
export type SegmentTable = ReadonlyMap<string, CompiledSegment>;

/** True when every matcher holds. */
export function allHold(
  matchers: readonly Matcher[],
  context: EvaluationContext,
  key: string | undefined,
): boolean {
  for (let i = 0; i < matchers.length; i++) if (!matchers[i]!(context, key)) return false;
  return true;
}

function decideSegment(
  segment: CompiledSegment,
  context: EvaluationContext,
  key: string | undefined,
): boolean {
  if (key !== undefined) {
    if (segment.included?.has(key)) return true;
    if (segment.excluded?.has(key)) return false;
  }
  for (let i = 0; i < segment.rules.length; i++) if (allHold(segment.rules[i]!, context, key)) return true;
  return false;
}

/**
 * Whether the context is in the segment, decided once per evaluation. The memo is keyed by the
 * evaluation serial and by the context object and key too, so an evaluation re-entered from a context
 * getter (another context) never reads the outer one's answers.
 */
export function inSegment(
  segment: CompiledSegment,
  context: EvaluationContext,
  key: string | undefined,
): boolean {
  if (
    segment.memoEvaluation === evaluationSerial &&
    segment.memoContext === context &&
    segment.memoKey === key
  ) {
    return segment.memoResult;
  }
  const result = decideSegment(segment, context, key);
  segment.memoEvaluation = evaluationSerial;
  segment.memoContext = context;
  segment.memoKey = key;
  segment.memoResult = result;
  return result;
}

function attributeMatcher(attribute: string, test: ValueTest, negate: boolean): Matcher {
  const lookup = compileLookup(attribute);
  return (context) => {
    const value = lookup(context);
    if (value === undefined || value === null) return false;
    if (!Array.isArray(value)) return test(value) !== negate;
    // Bounded: a context array comes from the app (often from a request), and each element may run a regex.
    const length = Math.min(value.length, FLAG_CONFIG_LIMITS.maxContextArrayItems);
    for (let i = 0; i < length; i++) {
      const item: unknown = value[i];
      if (item !== undefined && item !== null && test(item)) return !negate;
    }
    return negate;
  };
}

function segmentMatcher(keys: readonly string[], table: SegmentTable, negate: boolean): Matcher {
  let segments: readonly CompiledSegment[] | undefined;
  return (context, key) => {
    segments ??= keys.map((k) => table.get(k)!); // resolved on first use: segments may refer to later ones
    for (let i = 0; i < segments.length; i++) if (inSegment(segments[i]!, context, key)) return !negate;
    return negate;
  };
}

/** Compiles one clause. */
export function compileClause(clause: Clause, prepared: PreparedValues, table: SegmentTable): Matcher {
  const negate = clause.negate === true;
  if (clause.op === 'inSegment') return segmentMatcher(clause.values as readonly string[], table, negate);
  if (clause.op === 'exists') {
    const lookup = compileLookup(clause.attribute);
    return (context) => {
      const value = lookup(context);
      return (value !== undefined && value !== null) !== negate;
    };
  }
  return attributeMatcher(clause.attribute, compileValueTest(clause, prepared), negate);
}

/** Compiles a segment (its clauses through `compile`). */
export function compileSegment(segment: Segment, compile: (clause: Clause) => Matcher): CompiledSegment {
  const keys = (list: readonly string[] | undefined) =>
    list === undefined || list.length === 0 ? undefined : new Set(list);
  return {
    included: keys(segment.included),
    excluded: keys(segment.excluded),
    rules: (segment.rules ?? []).map((rule) => rule.map(compile)),
    memoEvaluation: -1,
    memoContext: undefined,
    memoKey: undefined,
    memoResult: false,
  };
}
