/** The options table of {@link createFlagEvaluator}, and the checks of `bootstrap` and `defaults`. */
import { defineOptions, opt, optionError } from '../core/options.js';
import type { EvaluationSink, FlagConfig, FlagSource, FlagValue, SnapshotStore } from './types.js';

const OWNER = 'createFlagEvaluator';

/** Deepest JSON a code default may have (the config's JSON variations have the same bound). */
const MAX_DEFAULT_DEPTH = 32;
/** Longest flag key `evaluate` accepts; longer keys are refused before any lookup. */
export const MAX_FLAG_KEY_LENGTH = 256;

const isPlainObject = (value: unknown): value is Record<string, unknown> => {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) return false;
  const proto = Object.getPrototypeOf(value);
  return proto === Object.prototype || proto === null;
};

function isJson(value: unknown, depth: number): boolean {
  if (value === null || typeof value === 'boolean' || typeof value === 'string') return true;
  if (typeof value === 'number') return Number.isFinite(value);
  if (depth >= MAX_DEFAULT_DEPTH) return false;
  if (Array.isArray(value)) return value.every((item) => isJson(item, depth + 1));
  if (!isPlainObject(value)) return false;
  return Object.values(value).every((item) => isJson(item, depth + 1));
}

/** `defaults` becomes a Map (no prototype lookups on flag keys such as `__proto__`) of structured copies. */
function parseDefaults(value: unknown, path: string, owner: string): ReadonlyMap<string, FlagValue> {
  if (!isPlainObject(value)) throw optionError(owner, path, 'an object of flag key to JSON value', value);
  const out = new Map<string, FlagValue>();
  for (const [key, item] of Object.entries(value)) {
    if (key.length === 0 || key.length > MAX_FLAG_KEY_LENGTH) {
      throw optionError(owner, path, `keyed by flag keys of 1..${MAX_FLAG_KEY_LENGTH} characters`);
    }
    if (!isJson(item, 0)) {
      throw optionError(owner, `${path}.${key}`, `a JSON value (depth at most ${MAX_DEFAULT_DEPTH})`, item);
    }
    out.set(key, structuredClone(item) as FlagValue);
  }
  return out;
}

function parseBootstrap(value: unknown, path: string, owner: string): FlagConfig {
  if (!isPlainObject(value) || !isPlainObject(value.flags)) {
    throw optionError(owner, path, 'a flag config (an object with `flags`)', value);
  }
  return value as unknown as FlagConfig;
}

const analyticsShape = opt.shape({
  maxBuffered: opt.integer({ default: 10_000, min: 1, max: 1_000_000 }),
  batchSize: opt.integer({ default: 500, min: 1, max: 100_000 }),
  flushIntervalMs: opt.duration({ default: 10_000 }),
  sendTimeoutMs: opt.duration({ default: 10_000 }),
  contextKeySalt: opt.bytes(),
});

const parse = defineOptions(OWNER, {
  source: opt.port<FlagSource>(['load']),
  snapshot: opt.port<SnapshotStore>(['read', 'write']),
  bootstrap: opt.custom(parseBootstrap),
  defaults: opt.custom(parseDefaults),
  initTimeoutMs: opt.duration({ default: 2_000 }),
  refreshIntervalMs: opt.duration(),
  sink: opt.port<EvaluationSink>(['send']),
  analytics: analyticsShape,
  clock: opt.clock(),
  metrics: opt.metrics(),
});

type Parsed = ReturnType<typeof parse>;

/** The resolved analytics options. */
export type AnalyticsOptions = NonNullable<Parsed['analytics']>;

/** The resolved options. */
export type EvaluatorOptions = Omit<Parsed, 'analytics' | 'defaults'> & {
  readonly analytics: AnalyticsOptions;
  readonly defaults: ReadonlyMap<string, FlagValue>;
};

/** Parses the options of {@link createFlagEvaluator}; throws `InvalidOptionError`. */
export function parseEvaluatorOptions(input: unknown): EvaluatorOptions {
  const options = parse(input);
  const analytics = options.analytics ?? analyticsShape.parse({}, 'analytics', OWNER)!;
  if (analytics.batchSize > analytics.maxBuffered) {
    throw optionError(
      OWNER,
      'analytics.batchSize',
      `at most \`analytics.maxBuffered\` (${analytics.maxBuffered})`,
    );
  }
  return { ...options, analytics, defaults: options.defaults ?? new Map() };
}
