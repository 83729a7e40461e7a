/**
 * What the evaluator tests share: a small scripted FlagSource (the port itself, not a backend mock: load
 * answers, fails or hangs as told, watch delivers what the test pushes), an in-memory SnapshotStore, a
 * recording sink, and config builders.
 */
import type {
  EvaluationEvent,
  EvaluationSink,
  FlagConfig,
  FlagDefinition,
  FlagSource,
  SnapshotStore,
} from '../../src/flags/index.js';

type Update = { readonly config: FlagConfig } | { readonly error: Error };

/** A source whose `load` follows `mode` and whose watchers hear `push`. */
export interface ScriptedSource extends FlagSource {
  /** `ok`: answers `config`; `fail`: rejects; `hang`: never settles (until the signal aborts). */
  mode: 'ok' | 'fail' | 'hang';
  config: FlagConfig | unknown;
  loads: number;
  push(update: Update): void;
  watchers(): number;
}

/** Creates a scripted source; `watch: false` makes one without `watch` (polled). */
export function scriptedSource(config: unknown, options: { watch?: boolean } = {}): ScriptedSource {
  const listeners = new Set<(update: Update) => void>();
  const source: ScriptedSource = {
    kind: 'scripted',
    mode: 'ok',
    config,
    loads: 0,
    load(signal?: AbortSignal) {
      source.loads += 1;
      if (source.mode === 'fail') return Promise.reject(new Error('connection refused'));
      if (source.mode === 'hang') {
        return new Promise<FlagConfig>((_, reject) => {
          signal?.addEventListener('abort', () => reject(new Error('aborted')), { once: true });
        });
      }
      return Promise.resolve(source.config as FlagConfig);
    },
    push(update) {
      for (const listener of [...listeners]) listener(update);
    },
    watchers: () => listeners.size,
  };
  if (options.watch !== false) {
    Object.assign(source, {
      watch(listener: (update: Update) => void) {
        listeners.add(listener);
        return () => listeners.delete(listener);
      },
    });
  }
  return source;
}

/** An in-memory snapshot store. */
export interface MemorySnapshot extends SnapshotStore {
  saved: FlagConfig | undefined;
  writes: number;
  /** Makes writes reject. */
  failWrites: boolean;
}

/** Creates an in-memory snapshot store holding `initial`. */
export function memorySnapshot(initial?: FlagConfig): MemorySnapshot {
  const store: MemorySnapshot = {
    kind: 'memory',
    saved: initial,
    writes: 0,
    failWrites: false,
    async read() {
      return store.saved;
    },
    async write(config: FlagConfig) {
      store.writes += 1;
      if (store.failWrites) throw new Error('disk full');
      store.saved = structuredClone(config);
    },
  };
  return store;
}

/** A sink recording batches; `fail` makes it reject, `hang` never settle. */
export function recordingSink() {
  const sink = {
    kind: 'recording',
    batches: [] as EvaluationEvent[][],
    mode: 'ok' as 'ok' | 'fail' | 'hang',
    send(events: readonly EvaluationEvent[]) {
      if (sink.mode === 'fail') return Promise.reject(new Error('sink down'));
      if (sink.mode === 'hang') return new Promise<void>(() => {});
      sink.batches.push([...events]);
      return Promise.resolve();
    },
  } satisfies EvaluationSink & Record<string, unknown>;
  return sink;
}

/** A boolean flag serving `on` (true) or `off` (false) to everyone. */
export function booleanFlag(on: boolean, extra: Partial<FlagDefinition> = {}): FlagDefinition {
  return {
    type: 'boolean',
    variations: { on: true, off: false },
    enabled: true,
    offVariation: 'off',
    fallthrough: { variation: on ? 'on' : 'off' },
    ...extra,
  };
}

/** A string flag serving `value` as variation `v1`, and `beta` to `plan: beta` (rule `beta-rule`). */
export function stringFlag(value: string): FlagDefinition {
  return {
    type: 'string',
    variations: { v1: value, beta: 'beta-value' },
    enabled: true,
    offVariation: 'v1',
    fallthrough: { variation: 'v1' },
    rules: [
      {
        id: 'beta-rule',
        clauses: [{ attribute: 'plan', op: 'eq', values: ['beta'] }],
        serve: { variation: 'beta' },
      },
    ],
  };
}

/** A config of `flags` with `version`. */
export function config(version: string, flags: Record<string, FlagDefinition>): FlagConfig {
  return { version, flags };
}

/** Lets pending promise callbacks and immediates run. */
export async function settle(rounds = 5): Promise<void> {
  for (let i = 0; i < rounds; i++) await new Promise((resolve) => setImmediate(resolve));
}
