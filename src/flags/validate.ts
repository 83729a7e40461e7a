/**
 * `validateConfig`: checks a whole flag config as a source delivered it (parsed JSON, or anything a
 * caller passes) and returns a deep-frozen copy, or throws a `FlagConfigError` naming the flag (or
 * segment) and the path of the first problem. Nothing of a refused config is used. The checks: every
 * field (unknown ones refused), variation values of the flag's type, references (variations, segments,
 * prerequisites) resolved, prerequisite and segment graphs acyclic and bounded, rollout weights, regex
 * safety, semver and ISO values parsed, and the size limits of `FLAG_CONFIG_LIMITS`.
 */
import { FLAG_CONFIG_LIMITS } from './limits.js';
import type { Clause, FlagConfig, FlagDefinition, FlagRule, Segment } from './types.js';
import type { PreparedValues } from './validate-clause.js';
import { validateFlag } from './validate-flag.js';
import { checkGraph, type GraphEdge } from './validate-graph.js';
import { bareRecord, Checker, join, optional, quote } from './validate-kit.js';
import { validateSegment } from './validate-segment.js';

/** A validated config and the values its clauses were parsed into (for the compiler). */
export interface ValidatedConfig {
  readonly config: FlagConfig;
  readonly prepared: ReadonlyMap<Clause, PreparedValues>;
  /** Flags in prerequisite order: every flag after its prerequisites. */
  readonly prerequisiteOrder: readonly string[];
}

function keysOf(c: Checker, record: Record<string, unknown>, path: string, max: number): string[] {
  const keys = Object.keys(record);
  if (keys.length > max) c.fail(path, `has ${keys.length} entries, more than ${max}`);
  for (const key of keys) {
    c.enter(key);
    c.key(key, join(path, key));
  }
  c.enter(undefined);
  return keys;
}

function checkPrerequisites(c: Checker, flags: ReadonlyMap<string, FlagDefinition>): readonly string[] {
  for (const [key, flag] of flags) {
    c.enter(key);
    flag.prerequisites?.forEach((p, i) => {
      if (!Object.hasOwn(flags.get(p.flag)!.variations, p.variation)) {
        c.fail(
          `${join('flags', key)}.prerequisites[${i}].variation`,
          `flag ${quote(p.flag)} has no variation ${quote(p.variation)}`,
        );
      }
    });
  }
  const facts = checkGraph({
    what: 'prerequisite',
    nodes: flags.keys(),
    edges: (key) =>
      (flags.get(key)!.prerequisites ?? []).map((p, i) => ({
        to: p.flag,
        path: `${join('flags', key)}.prerequisites[${i}].flag`,
      })),
    pathOf: (key) => `${join('flags', key)}.prerequisites`,
    maxDepth: FLAG_CONFIG_LIMITS.maxPrerequisiteDepth,
    maxExpansion: FLAG_CONFIG_LIMITS.maxPrerequisiteExpansion,
    fail: (key, path, message) => {
      c.enter(key);
      return c.fail(path, message);
    },
  });
  c.enter(undefined);
  return facts.order;
}

function segmentEdges(clauses: readonly Clause[], path: string): GraphEdge[] {
  return clauses.flatMap((clause, j) =>
    clause.op !== 'inSegment'
      ? []
      : clause.values.map((to, k) => ({ to: String(to), path: `${path}[${j}].values[${k}]` })),
  );
}

function checkSegments(c: Checker, segments: ReadonlyMap<string, Segment>): ReadonlyMap<string, number> {
  const facts = checkGraph({
    what: 'segment',
    nodes: segments.keys(),
    edges: (key) =>
      (segments.get(key)!.rules ?? []).flatMap((rule, i) =>
        segmentEdges(rule, `${join('segments', key)}.rules[${i}]`),
      ),
    pathOf: (key) => `${join('segments', key)}.rules`,
    maxDepth: FLAG_CONFIG_LIMITS.maxSegmentDepth,
    maxExpansion: FLAG_CONFIG_LIMITS.maxSegmentExpansion,
    fail: (key, path, message) => {
      c.enter(key);
      return c.fail(path, message);
    },
  });
  c.enter(undefined);
  return facts.expansion;
}

/** Refuses a flag clause whose `inSegment` values together expand beyond the segment limit. */
function checkFlagSegmentUse(
  c: Checker,
  key: string,
  flag: FlagDefinition,
  expansion: ReadonlyMap<string, number>,
) {
  const ruleSets: [string, readonly FlagRule[] | undefined][] = [
    [`${join('flags', key)}.rules`, flag.rules],
    ...(flag.schedule ?? []).map((s, i): [string, readonly FlagRule[] | undefined] => [
      `${join('flags', key)}.schedule[${i}].rules`,
      s.rules,
    ]),
  ];
  for (const [path, rules] of ruleSets) {
    for (const [i, rule] of (rules ?? []).entries()) {
      for (const [j, clause] of rule.clauses.entries()) {
        if (clause.op !== 'inSegment') continue;
        const total = clause.values.reduce<number>((sum, s) => sum + expansion.get(String(s))!, 0);
        if (total <= FLAG_CONFIG_LIMITS.maxSegmentExpansion) continue;
        c.enter(key);
        c.fail(
          `${path}[${i}].clauses[${j}].values`,
          `segment references expand to more than ${FLAG_CONFIG_LIMITS.maxSegmentExpansion} evaluations`,
        );
      }
    }
  }
}

/** Validates `input` and returns the frozen copy with what the compiler needs. */
export function validateConfigDetailed(input: unknown): ValidatedConfig {
  const c = new Checker();
  const root = c.fields(input, 'config', ['version', 'flags', 'segments'], ['flags']);
  const version = optional(root, 'version');
  if (version !== undefined) c.string(version, 'version', FLAG_CONFIG_LIMITS.maxVersionLength);
  const segmentsInput = optional(root, 'segments');
  const segmentRecord = segmentsInput === undefined ? {} : c.object(segmentsInput, 'segments');
  const flagRecord = c.object(root.flags, 'flags');
  const segmentKeys = keysOf(c, segmentRecord, 'segments', FLAG_CONFIG_LIMITS.maxSegments);
  const flagKeys = keysOf(c, flagRecord, 'flags', FLAG_CONFIG_LIMITS.maxFlags);
  const prepared = new Map<Clause, PreparedValues>();
  const env = { segmentKeys: new Set(segmentKeys), flagKeys: new Set(flagKeys), prepared };
  const segments = new Map<string, Segment>();
  for (const key of segmentKeys) {
    c.enter(key);
    segments.set(key, validateSegment(c, key, segmentRecord[key], env));
  }
  const flags = new Map<string, FlagDefinition>();
  for (const key of flagKeys) {
    c.enter(key);
    flags.set(key, validateFlag(c, key, flagRecord[key], env));
  }
  c.enter(undefined);
  const prerequisiteOrder = checkPrerequisites(c, flags);
  const expansion = checkSegments(c, segments);
  for (const [key, flag] of flags) checkFlagSegmentUse(c, key, flag, expansion);
  const config: FlagConfig = Object.freeze({
    ...(version === undefined ? {} : { version: version as string }),
    flags: bareRecord(flags),
    ...(segmentsInput === undefined ? {} : { segments: bareRecord(segments) }),
  });
  return { config, prepared, prerequisiteOrder };
}

/**
 * Validates a flag config and returns a deep-frozen copy (records without prototypes, each schedule
 * sorted by instant). Throws `FlagConfigError` (`ERR_FLAGS_INVALID_CONFIG`) naming the flag or segment
 * and the path of the first problem.
 *
 * @example
 * ```ts
 * import { validateConfig } from 'backend-patterns/flags';
 * const config = validateConfig(JSON.parse('{"flags":{"beta":{"type":"boolean","variations":{"on":true,"off":false},"enabled":true,"offVariation":"off","fallthrough":{"variation":"on"}}}}'));
 * ```
 */
export function validateConfig(input: unknown): FlagConfig {
  return validateConfigDetailed(input).config;
}
