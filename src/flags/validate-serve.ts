/**
 * Validation of what a flag serves: a variation or a rollout (integer weights summing to exactly
 * 100,000, each variation once), and the rules that pick one (unique ids, clauses all validated).
 */
import { BUCKET_COUNT, FLAG_CONFIG_LIMITS } from './limits.js';
import type { Clause, FlagRule, Rollout, Serve, WeightedVariation } from './types.js';
import { type ClauseEnv, validateClause } from './validate-clause.js';
import { type Checker, describe, optional, quote } from './validate-kit.js';

/** A reference to one of the flag's variations. */
export function variationRef(
  c: Checker,
  value: unknown,
  path: string,
  variations: ReadonlySet<string>,
): string {
  const name = c.string(value, path, FLAG_CONFIG_LIMITS.maxKeyLength, 1);
  if (!variations.has(name)) c.fail(path, `no variation ${quote(name)}`);
  return name;
}

function validateWeighted(
  c: Checker,
  value: unknown,
  path: string,
  variations: ReadonlySet<string>,
): WeightedVariation {
  const r = c.fields(value, path, ['variation', 'weight'], ['variation', 'weight']);
  const variation = variationRef(c, r.variation, `${path}.variation`, variations);
  const weight = r.weight;
  if (typeof weight !== 'number' || !Number.isInteger(weight) || weight < 0 || weight > BUCKET_COUNT) {
    c.fail(`${path}.weight`, `must be an integer in 0..${BUCKET_COUNT}, got ${describe(weight)}`);
  }
  return Object.freeze({ variation, weight });
}

function validateRollout(c: Checker, value: unknown, path: string, variations: ReadonlySet<string>): Rollout {
  const r = c.fields(value, path, ['variations', 'bucketBy'], ['variations']);
  const list = c.array(r.variations, `${path}.variations`, FLAG_CONFIG_LIMITS.maxVariations);
  if (list.length === 0) c.fail(`${path}.variations`, 'needs at least one variation');
  const seen = new Set<string>();
  const weighted: WeightedVariation[] = [];
  let sum = 0;
  for (let i = 0; i < list.length; i++) {
    const item = validateWeighted(c, list[i], `${path}.variations[${i}]`, variations);
    if (seen.has(item.variation)) {
      c.fail(`${path}.variations[${i}].variation`, `${quote(item.variation)} is listed twice`);
    }
    seen.add(item.variation);
    sum += item.weight;
    weighted.push(item);
  }
  if (sum !== BUCKET_COUNT) c.fail(`${path}.variations`, `weights sum to ${sum}, not ${BUCKET_COUNT}`);
  const bucketBy = optional(r, 'bucketBy');
  return Object.freeze({
    variations: Object.freeze(weighted),
    ...(bucketBy === undefined ? {} : { bucketBy: c.attribute(bucketBy, `${path}.bucketBy`) }),
  });
}

/** `{ variation }` or `{ rollout }`, exactly one of them. */
export function validateServe(
  c: Checker,
  value: unknown,
  path: string,
  variations: ReadonlySet<string>,
): Serve {
  const r = c.fields(value, path, ['variation', 'rollout']);
  const hasVariation = optional(r, 'variation') !== undefined;
  const hasRollout = optional(r, 'rollout') !== undefined;
  if (hasVariation === hasRollout) c.fail(path, 'must have exactly one of `variation` and `rollout`');
  if (hasVariation)
    return Object.freeze({ variation: variationRef(c, r.variation, `${path}.variation`, variations) });
  return Object.freeze({ rollout: validateRollout(c, r.rollout, `${path}.rollout`, variations) });
}

/** A list of clauses (a flag rule's, or one segment rule). */
export function validateClauses(c: Checker, value: unknown, path: string, env: ClauseEnv): readonly Clause[] {
  const list = c.array(value, path, FLAG_CONFIG_LIMITS.maxClausesPerRule);
  const clauses: Clause[] = [];
  for (let i = 0; i < list.length; i++) clauses.push(validateClause(c, list[i], `${path}[${i}]`, env));
  return Object.freeze(clauses);
}

/** A flag's rules (or a scheduled change's): ids unique within the list. */
export function validateRules(
  c: Checker,
  value: unknown,
  path: string,
  env: ClauseEnv,
  variations: ReadonlySet<string>,
): readonly FlagRule[] {
  const list = c.array(value, path, FLAG_CONFIG_LIMITS.maxRulesPerFlag);
  const ids = new Set<string>();
  const rules: FlagRule[] = [];
  for (let i = 0; i < list.length; i++) {
    const at = `${path}[${i}]`;
    const r = c.fields(list[i], at, ['id', 'clauses', 'serve'], ['id', 'clauses', 'serve']);
    const id = c.key(r.id, `${at}.id`);
    if (ids.has(id)) c.fail(`${at}.id`, `${quote(id)} is used by an earlier rule`);
    ids.add(id);
    const clauses = validateClauses(c, r.clauses, `${at}.clauses`, env);
    rules.push(Object.freeze({ id, clauses, serve: validateServe(c, r.serve, `${at}.serve`, variations) }));
  }
  return Object.freeze(rules);
}
