/**
 * The layer state: which compiled config answers, from which layer, since when, and the last error. Every
 * change goes through here, is counted, and is told to the listeners (one `status` event per layer change
 * or error, one `config` event when the answering flags changed). A config is compiled before it is
 * applied; one that does not validate never replaces the one answering.
 */
import type { Clock } from '../core/clock.js';
import { compileConfig } from './compile.js';
import type { CompiledConfig, EngineResult } from './engine.js';
import type { FlagInstruments } from './evaluator-instruments.js';
import type {
  FlagErrorKind,
  FlagEvaluatorEvent,
  FlagEvaluatorListener,
  FlagLastError,
  FlagLayer,
  SourceStatus,
} from './evaluator-types.js';
import type { EvaluationResult, FlagConfig } from './types.js';

/** Metadata of an evaluation result: the answering layer, the config version, the matching rule. */
export type ResultMetadata = Readonly<Record<string, string>>;

/** An engine result that served a variation. */
export type ServedResult = Extract<EngineResult, { readonly variant: string }>;

/** What evaluations read: the compiled config, its layer and the (shared, frozen) result metadata. */
export interface Answer {
  readonly compiled: CompiledConfig;
  readonly layer: Exclude<FlagLayer, 'none'>;
  readonly meta: ResultMetadata;
  /**
   * The evaluation result for an engine result. The engine shares its results (one per variation,
   * reason and rule), so these are cached by identity and frozen: a served evaluation allocates nothing.
   */
  resultFor(found: ServedResult): EvaluationResult;
}

/** The most results one answer caches (the engine's are bounded by the config; this bounds the rest). */
const MAX_CACHED_RESULTS = 10_000;

const LAYER_RANK: Readonly<Record<FlagLayer, number>> = {
  live: 0,
  'last-known-good': 1,
  snapshot: 2,
  bootstrap: 3,
  none: 4,
};

interface Applied {
  readonly compiled: CompiledConfig;
  /** JSON of each flag's definition, to tell which flags a new config changes. */
  readonly prints: ReadonlyMap<string, string>;
  readonly segmentsPrint: string;
}

function fingerprint(compiled: CompiledConfig): Applied {
  const prints = new Map<string, string>();
  for (const [key, definition] of Object.entries(compiled.config.flags)) {
    prints.set(key, JSON.stringify(definition));
  }
  return { compiled, prints, segmentsPrint: JSON.stringify(compiled.config.segments ?? {}) };
}

/** The flags whose definition differs between `before` and `after` (all of them when segments changed). */
function changedFlags(before: Applied | undefined, after: Applied): string[] {
  const keys = new Set([...(before?.prints.keys() ?? []), ...after.prints.keys()]);
  if (before === undefined || before.segmentsPrint !== after.segmentsPrint) return [...keys];
  return [...keys].filter((key) => before.prints.get(key) !== after.prints.get(key));
}

function makeAnswer(compiled: CompiledConfig, layer: Exclude<FlagLayer, 'none'>): Answer {
  const base: Record<string, string> = { layer };
  if (compiled.version !== undefined) base.version = compiled.version;
  const meta = Object.freeze(base);
  const results = new Map<ServedResult, EvaluationResult>();
  return {
    compiled,
    layer,
    meta,
    resultFor(found) {
      const cached = results.get(found);
      if (cached !== undefined) return cached;
      const result: EvaluationResult = Object.freeze({
        value: found.value,
        variant: found.variant,
        reason: found.reason,
        flagMetadata: found.ruleId === undefined ? meta : Object.freeze({ ...base, ruleId: found.ruleId }),
      });
      if (results.size < MAX_CACHED_RESULTS) results.set(found, result);
      return result;
    },
  };
}

/** What applying a config did. */
export interface Applying {
  readonly applied: boolean;
  /** The config to persist (live configs whose flags or version changed). */
  readonly persist?: FlagConfig;
}

/** The layer state. `answer` is a field, read on every evaluation. */
export interface LayerState {
  readonly answer: Answer | undefined;
  status(): SourceStatus;
  /** True once a live config was applied (it may be last-known-good now). */
  hadLive(): boolean;
  onChange(listener: FlagEvaluatorListener): () => void;
  /** Applies the bootstrap data at construction; throws `FlagConfigError` when it does not validate. */
  applyBootstrap(config: FlagConfig): void;
  /** Compiles and applies a live config; a refused one is reported and demotes `live`. */
  offerLive(config: unknown): Applying;
  /** Applies fallback data when nothing better answers (a snapshot at start). */
  offerFallback(config: unknown, layer: 'snapshot'): boolean;
  /** The source failed: reported, and `live` becomes `last-known-good`. */
  sourceFailed(error: unknown): void;
  /** A snapshot read or write failed (the layer does not change). */
  snapshotFailed(error: unknown): void;
}

const asError = (error: unknown): Error =>
  error instanceof Error ? error : new Error(typeof error === 'string' ? error : 'unknown failure');

const codeOf = (error: Error): string | undefined => {
  const code = (error as { code?: unknown }).code;
  return typeof code === 'string' ? code : undefined;
};

/** Creates the state, on layer `none`. */
export function createLayerState(clock: Clock, instruments: FlagInstruments): LayerState {
  const listeners = new Set<{ readonly listener: FlagEvaluatorListener }>();
  let applied: Applied | undefined;
  let layer: FlagLayer = 'none';
  let sinceMs = clock.now();
  let lastError: FlagLastError | undefined;
  let status: SourceStatus = buildStatus();
  let live = false;
  instruments.layer.set(LAYER_RANK.none);

  function buildStatus(): SourceStatus {
    const version = layer === 'none' ? undefined : applied?.compiled.version;
    return Object.freeze({
      layer,
      sinceMs,
      ...(version === undefined ? {} : { version }),
      ...(lastError === undefined ? {} : { lastError }),
      stale: layer !== 'live',
    });
  }

  function emit(event: FlagEvaluatorEvent) {
    for (const entry of [...listeners]) {
      try {
        entry.listener(event);
      } catch {
        // A listener that throws is the listener's bug; the others still hear.
      }
    }
  }

  /** Moves to `next` (when different) and records `error`; one status event for both. */
  function transition(next: FlagLayer, error?: { readonly kind: FlagErrorKind; readonly error: Error }) {
    const previous = layer;
    if (next === previous && error === undefined) return;
    if (next !== previous) {
      layer = next;
      sinceMs = clock.now();
      instruments.layer.set(LAYER_RANK[next]);
    }
    if (error !== undefined) {
      const e = error.error;
      lastError = Object.freeze({ kind: error.kind, code: codeOf(e), message: e.message, atMs: clock.now() });
      instruments.sourceErrors.add(1, { kind: error.kind });
    }
    state.answer = applied === undefined || next === 'none' ? undefined : makeAnswer(applied.compiled, next);
    status = buildStatus();
    emit({
      type: 'status',
      status,
      previous,
      ...(error === undefined ? {} : { error: error.error, errorKind: error.kind }),
    });
  }

  function apply(compiled: CompiledConfig, next: Exclude<FlagLayer, 'none'>): string[] {
    const before = applied;
    applied = fingerprint(compiled);
    const changed = changedFlags(before, applied);
    if (next === layer) {
      state.answer = makeAnswer(compiled, next);
      status = buildStatus();
    } else {
      transition(next);
    }
    if (changed.length > 0) emit({ type: 'config', flagsChanged: changed, status });
    return changed;
  }

  const state: LayerState & { answer: Answer | undefined } = {
    answer: undefined,
    status: () => status,
    hadLive: () => live,
    onChange(listener) {
      const entry = { listener };
      listeners.add(entry);
      return () => void listeners.delete(entry);
    },
    applyBootstrap(config) {
      const compiled = compileConfig(config);
      applied = fingerprint(compiled);
      layer = 'bootstrap';
      instruments.layer.set(LAYER_RANK.bootstrap);
      state.answer = makeAnswer(compiled, 'bootstrap');
      status = buildStatus();
    },
    offerLive(config) {
      let compiled: CompiledConfig;
      try {
        compiled = compileConfig(config);
      } catch (error) {
        transition(layer === 'live' ? 'last-known-good' : layer, { kind: 'config', error: asError(error) });
        return { applied: false };
      }
      const versionBefore = live ? applied?.compiled.version : undefined;
      const firstLive = !live;
      live = true;
      const changed = apply(compiled, 'live');
      const persist = firstLive || changed.length > 0 || versionBefore !== compiled.version;
      return persist ? { applied: true, persist: compiled.config } : { applied: true };
    },
    offerFallback(config, next) {
      if (LAYER_RANK[next] >= LAYER_RANK[layer]) return false;
      let compiled: CompiledConfig;
      try {
        compiled = compileConfig(config);
      } catch (error) {
        transition(layer, { kind: 'snapshot', error: asError(error) });
        return false;
      }
      apply(compiled, next);
      return true;
    },
    sourceFailed(error) {
      transition(layer === 'live' ? 'last-known-good' : layer, { kind: 'source', error: asError(error) });
    },
    snapshotFailed(error) {
      transition(layer, { kind: 'snapshot', error: asError(error) });
    },
  };
  return state;
}
