/**
 * Validation of one flag: its type and variations (values of the declared type), what it serves, its
 * targets, prerequisites (shape only; the graph is checked once every flag is known), schedule and
 * bookkeeping fields. Returns a frozen copy with the schedule sorted by instant.
 */
import { parseIsoInstant } from './dates.js';
import { copyJsonValue, utf8Length } from './json-value.js';
import { FLAG_CONFIG_LIMITS } from './limits.js';
import type {
  FlagDefinition,
  FlagKind,
  FlagType,
  FlagValue,
  Prerequisite,
  ScheduledChange,
} from './types.js';
import type { ClauseEnv } from './validate-clause.js';
import { bareRecord, type Checker, describe, join, optional, quote } from './validate-kit.js';
import { validateRules, validateServe, variationRef } from './validate-serve.js';

/** What flag validation needs from the rest of the config. */
export interface FlagEnv extends ClauseEnv {
  readonly flagKeys: ReadonlySet<string>;
}

const FLAG_TYPES: readonly FlagType[] = ['boolean', 'string', 'number', 'json'];
const FLAG_KINDS: readonly FlagKind[] = ['release', 'experiment', 'operational', 'kill-switch', 'permission'];
const FLAG_FIELDS = [
  'type',
  'variations',
  'enabled',
  'offVariation',
  'fallthrough',
  'rules',
  'targets',
  'prerequisites',
  'salt',
  'stickiness',
  'schedule',
  'kind',
  'expiresAt',
  'updatedAt',
  'description',
] as const;

function variationValue(c: Checker, type: FlagType, value: unknown, path: string): FlagValue {
  if (type === 'json') return copyJsonValue(c, value, path);
  if (type === 'number' && !(typeof value === 'number' && Number.isFinite(value))) {
    c.fail(path, `must be a finite number (the flag is of type number), got ${describe(value)}`);
  }
  if (type !== 'number' && typeof value !== type) {
    c.fail(path, `must be a ${type} (the flag is of type ${type}), got ${describe(value)}`);
  }
  if (typeof value === 'string' && utf8Length(value) > FLAG_CONFIG_LIMITS.maxVariationBytes) {
    c.fail(path, `is larger than ${FLAG_CONFIG_LIMITS.maxVariationBytes} bytes`);
  }
  return value as FlagValue;
}

function validateVariations(
  c: Checker,
  type: FlagType,
  value: unknown,
  path: string,
): Readonly<Record<string, FlagValue>> {
  const record = c.object(value, path);
  const names = Object.keys(record);
  if (names.length === 0) c.fail(path, 'needs at least one variation');
  if (names.length > FLAG_CONFIG_LIMITS.maxVariations) {
    c.fail(path, `has ${names.length} variations, more than ${FLAG_CONFIG_LIMITS.maxVariations}`);
  }
  const entries: [string, FlagValue][] = [];
  for (const name of names) {
    const at = join(path, name);
    c.key(name, at);
    entries.push([name, variationValue(c, type, record[name], at)]);
  }
  return bareRecord(entries);
}

function validateTargets(
  c: Checker,
  value: unknown,
  path: string,
  variations: ReadonlySet<string>,
): FlagDefinition['targets'] {
  const list = c.array(value, path, FLAG_CONFIG_LIMITS.maxTargetsPerFlag);
  const seen = new Set<string>();
  return Object.freeze(
    list.map((item, i) => {
      const at = `${path}[${i}]`;
      const r = c.fields(item, at, ['variation', 'values'], ['variation', 'values']);
      const variation = variationRef(c, r.variation, `${at}.variation`, variations);
      const keys = c.array(r.values, `${at}.values`, FLAG_CONFIG_LIMITS.maxKeysPerList);
      c.spend(keys.length, `${at}.values`);
      const values = keys.map((key, j) => {
        const text = c.string(key, `${at}.values[${j}]`, FLAG_CONFIG_LIMITS.maxValueLength, 1);
        if (seen.has(text)) c.fail(`${at}.values[${j}]`, `${quote(text)} is targeted twice`);
        seen.add(text);
        return text;
      });
      return Object.freeze({ variation, values: Object.freeze(values) });
    }),
  );
}

function validatePrerequisites(
  c: Checker,
  self: string,
  value: unknown,
  path: string,
  env: FlagEnv,
): readonly Prerequisite[] {
  const list = c.array(value, path, FLAG_CONFIG_LIMITS.maxPrerequisites);
  const seen = new Set<string>();
  return Object.freeze(
    list.map((item, i) => {
      const at = `${path}[${i}]`;
      const r = c.fields(item, at, ['flag', 'variation'], ['flag', 'variation']);
      const flag = c.string(r.flag, `${at}.flag`, FLAG_CONFIG_LIMITS.maxKeyLength, 1);
      if (!env.flagKeys.has(flag)) c.fail(`${at}.flag`, `no flag ${quote(flag)}`);
      if (flag === self) c.fail(`${at}.flag`, 'a flag cannot be its own prerequisite');
      if (seen.has(flag)) c.fail(`${at}.flag`, `${quote(flag)} is listed twice`);
      seen.add(flag);
      const variation = c.string(r.variation, `${at}.variation`, FLAG_CONFIG_LIMITS.maxKeyLength, 1);
      return Object.freeze({ flag, variation });
    }),
  );
}

/** An ISO 8601 date or zoned date-time, returned as given. */
export function isoField(c: Checker, value: unknown, path: string): string {
  const text = c.string(value, path, 64, 1);
  if (parseIsoInstant(text) === undefined)
    c.fail(path, `${quote(text)} is not an ISO 8601 date or zoned date-time`);
  return text;
}

function validateChange(
  c: Checker,
  value: unknown,
  path: string,
  env: FlagEnv,
  variations: ReadonlySet<string>,
): ScheduledChange {
  const r = c.fields(value, path, ['at', 'enabled', 'rules', 'fallthrough'], ['at']);
  const at = isoField(c, r.at, `${path}.at`);
  const [enabled, rules, fallthrough] = [
    optional(r, 'enabled'),
    optional(r, 'rules'),
    optional(r, 'fallthrough'),
  ];
  if (enabled === undefined && rules === undefined && fallthrough === undefined) {
    c.fail(path, 'changes nothing: give `enabled`, `rules` or `fallthrough`');
  }
  return Object.freeze({
    at,
    ...(enabled === undefined ? {} : { enabled: c.boolean(enabled, `${path}.enabled`) }),
    ...(rules === undefined ? {} : { rules: validateRules(c, rules, `${path}.rules`, env, variations) }),
    ...(fallthrough === undefined
      ? {}
      : { fallthrough: validateServe(c, fallthrough, `${path}.fallthrough`, variations) }),
  });
}

function validateSchedule(
  c: Checker,
  value: unknown,
  path: string,
  env: FlagEnv,
  variations: ReadonlySet<string>,
): readonly ScheduledChange[] {
  const list = c.array(value, path, FLAG_CONFIG_LIMITS.maxScheduledChanges);
  const changes = list.map((item, i) => validateChange(c, item, `${path}[${i}]`, env, variations));
  const instants = new Map<number, number>();
  changes.forEach((change, i) => {
    const ms = parseIsoInstant(change.at)!;
    const earlier = instants.get(ms);
    if (earlier !== undefined) c.fail(`${path}[${i}].at`, `the same instant as ${path}[${earlier}].at`);
    instants.set(ms, i);
  });
  return Object.freeze(changes.sort((a, b) => parseIsoInstant(a.at)! - parseIsoInstant(b.at)!));
}

type Optionals = Omit<FlagDefinition, 'type' | 'variations' | 'enabled' | 'offVariation' | 'fallthrough'>;

function validateOptionals(
  c: Checker,
  key: string,
  r: Record<string, unknown>,
  env: FlagEnv,
  variations: ReadonlySet<string>,
): Optionals {
  const path = join('flags', key);
  const out: Record<string, unknown> = {};
  const read = (field: string, check: (value: unknown, at: string) => unknown) => {
    const value = optional(r, field);
    if (value !== undefined) out[field] = check(value, `${path}.${field}`);
  };
  read('rules', (v, at) => validateRules(c, v, at, env, variations));
  read('targets', (v, at) => validateTargets(c, v, at, variations));
  read('prerequisites', (v, at) => validatePrerequisites(c, key, v, at, env));
  read('salt', (v, at) => c.string(v, at, FLAG_CONFIG_LIMITS.maxSaltLength, 1));
  read('stickiness', (v, at) => c.attribute(v, at));
  read('schedule', (v, at) => validateSchedule(c, v, at, env, variations));
  read('kind', (v, at) => c.oneOf(v, at, FLAG_KINDS));
  read('expiresAt', (v, at) => isoField(c, v, at));
  read('updatedAt', (v, at) => isoField(c, v, at));
  read('description', (v, at) => c.string(v, at, FLAG_CONFIG_LIMITS.maxDescriptionLength));
  return out as Optionals;
}

/** Validates the flag `key` and returns a frozen copy. */
export function validateFlag(c: Checker, key: string, value: unknown, env: FlagEnv): FlagDefinition {
  const path = join('flags', key);
  const r = c.fields(value, path, FLAG_FIELDS, [
    'type',
    'variations',
    'enabled',
    'offVariation',
    'fallthrough',
  ]);
  const type = c.oneOf(r.type, `${path}.type`, FLAG_TYPES);
  const variations = validateVariations(c, type, r.variations, `${path}.variations`);
  const names: ReadonlySet<string> = new Set(Object.keys(variations));
  const enabled = c.boolean(r.enabled, `${path}.enabled`);
  const offVariation = variationRef(c, r.offVariation, `${path}.offVariation`, names);
  const fallthrough = validateServe(c, r.fallthrough, `${path}.fallthrough`, names);
  const optionals = validateOptionals(c, key, r, env, names);
  return Object.freeze({ type, variations, enabled, offVariation, fallthrough, ...optionals });
}
