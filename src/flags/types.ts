/**
 * Public types of the flags module: the flag model (what a config file, Redis or an HTTP endpoint holds),
 * the evaluation context and result (the OpenFeature resolution shape), and the ports: {@link FlagSource}
 * (where configs come from), {@link SnapshotStore} (where the last good config is persisted) and
 * {@link EvaluationSink} (where evaluation events go). docs/flags.md has the semantics.
 */

/** A JSON value a flag may serve. */
export type JsonValue =
  | null
  | boolean
  | number
  | string
  | readonly JsonValue[]
  | { readonly [key: string]: JsonValue };

/** The type of a flag's variations; every variation of a flag has this type. */
export type FlagType = 'boolean' | 'string' | 'number' | 'json';

/** A value a flag serves. */
export type FlagValue = boolean | string | number | JsonValue;

/** Clause operators. Numeric, date and semver operators refuse values of the wrong kind (no match). */
export type ClauseOperator =
  | 'eq'
  | 'in'
  | 'contains'
  | 'startsWith'
  | 'endsWith'
  | 'matches'
  | 'lt'
  | 'lte'
  | 'gt'
  | 'gte'
  | 'semverEq'
  | 'semverLt'
  | 'semverLte'
  | 'semverGt'
  | 'semverGte'
  | 'before'
  | 'after'
  | 'exists'
  | 'inSegment';

/**
 * One condition on a context attribute: `attribute op values` (true when any value matches), optionally
 * negated. `attribute` is a top-level context key or a dotted path (`company.plan`). For `inSegment`,
 * `values` are segment keys and `attribute` is ignored.
 */
export interface Clause {
  readonly attribute: string;
  readonly op: ClauseOperator;
  readonly values: readonly (string | number | boolean)[];
  readonly negate?: boolean;
  /** String operators only: compare case-insensitively. */
  readonly caseInsensitive?: boolean;
}

/** One variation and its share of a rollout, in 1/100,000 units (0.001 %). */
export interface WeightedVariation {
  readonly variation: string;
  readonly weight: number;
}

/**
 * A percentage rollout. Weights sum to 100,000. A context falls in bucket
 * `murmur3_32(salt + ':' + stickinessValue) mod 100,000` and gets the variation whose cumulative range
 * holds the bucket, so raising a share only moves people in.
 */
export interface Rollout {
  readonly variations: readonly WeightedVariation[];
  /** The context attribute to bucket by. Default the flag's `stickiness`, else `targetingKey`. */
  readonly bucketBy?: string;
}

/** What a rule or the fallthrough serves: one variation, or a rollout. */
export type Serve = { readonly variation: string } | { readonly rollout: Rollout };

/** A targeting rule: every clause must hold; the first rule that matches serves. */
export interface FlagRule {
  /** Stable id (reported as `ruleId` in evaluation metadata). */
  readonly id: string;
  readonly clauses: readonly Clause[];
  readonly serve: Serve;
}

/** A prerequisite: the flag is only on when `flag` evaluates to `variation` for the same context. */
export interface Prerequisite {
  readonly flag: string;
  readonly variation: string;
}

/** A change that takes effect at an instant (a scheduled rollout step, a switch-off). */
export interface ScheduledChange {
  /** ISO 8601 instant. */
  readonly at: string;
  readonly enabled?: boolean;
  readonly rules?: readonly FlagRule[];
  readonly fallthrough?: Serve;
}

/** What a flag is for; stale-flag reports use it (a kill switch is expected to live forever). */
export type FlagKind = 'release' | 'experiment' | 'operational' | 'kill-switch' | 'permission';

/** One flag. */
export interface FlagDefinition {
  readonly type: FlagType;
  readonly variations: Readonly<Record<string, FlagValue>>;
  /** When false, every evaluation serves `offVariation` (reason `DISABLED`). */
  readonly enabled: boolean;
  readonly offVariation: string;
  /** Served when no rule matches (reason `DEFAULT`, or `SPLIT` for a rollout). */
  readonly fallthrough: Serve;
  readonly rules?: readonly FlagRule[];
  /** Context keys served a variation directly (reason `TARGETING_MATCH`), checked before the rules. */
  readonly targets?: readonly { readonly variation: string; readonly values: readonly string[] }[];
  readonly prerequisites?: readonly Prerequisite[];
  /** Mixed into the bucketing hash; change it to reshuffle a rollout. Default the flag key. */
  readonly salt?: string;
  /** The attribute rollouts bucket by. Default `targetingKey`. */
  readonly stickiness?: string;
  readonly schedule?: readonly ScheduledChange[];
  readonly kind?: FlagKind;
  /** ISO 8601 date after which the flag should be gone (the stale-flag report lists it). */
  readonly expiresAt?: string;
  /**
   * ISO 8601 instant of the flag's last change (set by whatever edits the config). The stale-flag report
   * reads it to tell since when a flag has been fully rolled out or fully off.
   */
  readonly updatedAt?: string;
  readonly description?: string;
}

/** A reusable set of contexts: explicit keys, exclusions, and rules (any rule's clauses all holding). */
export interface Segment {
  readonly included?: readonly string[];
  readonly excluded?: readonly string[];
  readonly rules?: readonly (readonly Clause[])[];
}

/** A whole configuration, as a source delivers it. */
export interface FlagConfig {
  /** Opaque version (an ETag, a counter); reported with evaluations. */
  readonly version?: string;
  readonly flags: Readonly<Record<string, FlagDefinition>>;
  readonly segments?: Readonly<Record<string, Segment>>;
}

/** The evaluation context: `targetingKey` plus attributes (JSON values). */
export interface EvaluationContext {
  readonly targetingKey?: string;
  readonly [attribute: string]: JsonValue | undefined;
}

/** Why a value was served (OpenFeature's reasons; `STALE`: from a fallback layer, not live data). */
export type EvaluationReason =
  | 'STATIC'
  | 'TARGETING_MATCH'
  | 'SPLIT'
  | 'DEFAULT'
  | 'DISABLED'
  | 'PREREQUISITE_FAILED'
  | 'STALE'
  | 'ERROR';

/** OpenFeature's error codes. */
export type EvaluationErrorCode =
  | 'PROVIDER_NOT_READY'
  | 'FLAG_NOT_FOUND'
  | 'PARSE_ERROR'
  | 'TYPE_MISMATCH'
  | 'TARGETING_KEY_MISSING'
  | 'INVALID_CONTEXT'
  | 'GENERAL';

/** The result of an evaluation. Evaluation never throws: an error is a result with `errorCode`. */
export interface EvaluationResult<T extends FlagValue = FlagValue> {
  readonly value: T;
  /** The variation's name; absent when the default was served because of an error. */
  readonly variant?: string;
  readonly reason: EvaluationReason;
  readonly errorCode?: EvaluationErrorCode;
  readonly errorMessage?: string;
  /** The matching rule's id (`TARGETING_MATCH`), the config version, the layer that answered. */
  readonly flagMetadata?: Readonly<Record<string, string | number | boolean>>;
}

/** What a source delivers when asked. */
export interface SourceLoad {
  readonly config: FlagConfig;
}

/**
 * Where configs come from (memory, a JSON file, Redis, an HTTP endpoint). `load` returns the current
 * config or throws; `watch` (optional) calls back on every change, with the new config or the error that
 * kept it from loading (the previous config stays in use).
 */
export interface FlagSource {
  readonly kind: string;
  load(signal?: AbortSignal): Promise<FlagConfig>;
  watch?(listener: (update: { readonly config: FlagConfig } | { readonly error: Error }) => void): () => void;
  close?(): Promise<void>;
}

/** Where the last good config is persisted (a file), read at start when the source cannot answer. */
export interface SnapshotStore {
  readonly kind: string;
  /** The persisted config, or undefined when there is none or it cannot be used (never throws). */
  read(): Promise<FlagConfig | undefined>;
  write(config: FlagConfig): Promise<void>;
  /**
   * Why the last `read` answered undefined although a snapshot was there (corrupt, unreadable, too
   * large); undefined after a good read or when there was simply none. Optional.
   */
  lastReadError?(): Error | undefined;
}

/** One evaluation, as analytics sees it. The context is reduced to a hashed key. */
export interface EvaluationEvent {
  readonly flag: string;
  readonly variant: string | undefined;
  readonly reason: EvaluationReason;
  readonly errorCode?: EvaluationErrorCode;
  /** SHA-256 (base64url, 16 chars) of the targeting key with a per-process salt; absent without one. */
  readonly contextKeyHash?: string;
  readonly atMs: number;
}

/** Receives batches of evaluation events. A sink that throws loses that batch (counted). */
export interface EvaluationSink {
  readonly kind: string;
  send(events: readonly EvaluationEvent[]): Promise<void>;
}
