/** Validation of one segment: explicit keys in and out, and rules (each a list of clauses). */
import { FLAG_CONFIG_LIMITS } from './limits.js';
import type { Segment } from './types.js';
import type { ClauseEnv } from './validate-clause.js';
import { type Checker, join, optional } from './validate-kit.js';
import { validateClauses } from './validate-serve.js';

function keyList(c: Checker, value: unknown, path: string): readonly string[] {
  const list = c.array(value, path, FLAG_CONFIG_LIMITS.maxKeysPerList);
  c.spend(list.length, path);
  return Object.freeze(
    list.map((key, i) => c.string(key, `${path}[${i}]`, FLAG_CONFIG_LIMITS.maxValueLength, 1)),
  );
}

/** Validates the segment `key` and returns a frozen copy. */
export function validateSegment(c: Checker, key: string, value: unknown, env: ClauseEnv): Segment {
  const path = join('segments', key);
  const r = c.fields(value, path, ['included', 'excluded', 'rules']);
  const [included, excluded, rules] = [
    optional(r, 'included'),
    optional(r, 'excluded'),
    optional(r, 'rules'),
  ];
  const ruleList =
    rules === undefined ? undefined : c.array(rules, `${path}.rules`, FLAG_CONFIG_LIMITS.maxSegmentRules);
  return Object.freeze({
    ...(included === undefined ? {} : { included: keyList(c, included, `${path}.included`) }),
    ...(excluded === undefined ? {} : { excluded: keyList(c, excluded, `${path}.excluded`) }),
    ...(ruleList === undefined
      ? {}
      : {
          rules: Object.freeze(
            ruleList.map((clauses, i) => validateClauses(c, clauses, `${path}.rules[${i}]`, env)),
          ),
        }),
  });
}
