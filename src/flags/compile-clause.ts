/**
 * Clauses and segments compiled into matchers: `(context, targetingKey) => boolean`. An attribute that
 * is absent or null makes its clause false whatever `negate` says (as in LaunchDarkly: "not in
 * [beta]" does not pick contexts that say nothing); otherwise the clause holds when any value matches
 * (for an array attribute, any element), then `negate` flips it. `exists` is true for any non-null
 * value (and false, or true when negated, for an absent one). `inSegment` holds when the context is in
 * any of the named segments.
 */
import { compileLookup } from './attributes.js';
import { compileValueTest, type ValueTest } from './operators.js';
import type { Clause, EvaluationContext, Segment } from './types.js';
import type { PreparedValues } from './validate-clause.js';

/** A compiled clause or segment test. */
export type Matcher = (context: EvaluationContext, key: string | undefined) => boolean;

/** A compiled segment: included keys win over excluded ones, then any rule whose clauses all hold. */
export interface CompiledSegment {
  readonly included: ReadonlySet<string> | undefined;
  readonly excluded: ReadonlySet<string> | undefined;
  readonly rules: readonly (readonly Matcher[])[];
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

/** Whether the context is in the segment. */
export function inSegment(
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

function attributeMatcher(attribute: string, test: ValueTest, negate: boolean): Matcher {
  const lookup = compileLookup(attribute);
  return (context) => {
    const value = lookup(context);
    if (value === undefined || value === null) return false;
    if (!Array.isArray(value)) return test(value) !== negate;
    for (let i = 0; i < value.length; i++) {
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
  };
}
