/**
 * One flag compiled: every result it can give is built once (shared, frozen), rules are matcher
 * lists, rollouts are cumulative bucket bounds, the schedule is a list of states (each change applied
 * on top of the previous ones), and prerequisites point at compiled flags. Evaluation allocates nothing.
 */
import { compileLookup, type Lookup } from './attributes.js';
import { bucketOf } from './bucket.js';
import { allHold, type Matcher } from './compile-clause.js';
import { parseIsoInstant } from './dates.js';
import type { EngineResult } from './engine.js';
import type { Clause, EvaluationContext, FlagDefinition, FlagRule, FlagType, Serve } from './types.js';
import { quote } from './validate-kit.js';

type Served = Extract<EngineResult, { readonly variant: string }>;

type CompiledServe =
  | { readonly kind: 'fixed'; readonly result: Served }
  | {
      readonly kind: 'split';
      readonly lookup: Lookup;
      readonly salt: string;
      /** Exclusive upper bucket bound of each variation, cumulative. */
      readonly bounds: readonly number[];
      readonly results: readonly Served[];
      readonly missing: EngineResult;
    };

interface CompiledRule {
  readonly matchers: readonly Matcher[];
  readonly serve: CompiledServe;
}

interface FlagState {
  readonly enabled: boolean;
  readonly rules: readonly CompiledRule[];
  readonly fallthrough: CompiledServe;
}

/** A compiled flag. */
export interface CompiledFlag {
  readonly key: string;
  readonly type: FlagType;
  /** `states[0]` is the flag as written; `states[i + 1]` applies from `instants[i]` on. */
  readonly states: readonly FlagState[];
  readonly instants: readonly number[];
  readonly off: Served;
  readonly prerequisiteFailed: Served;
  readonly targets: ReadonlyMap<string, Served> | undefined;
  readonly prerequisites: readonly { readonly flag: CompiledFlag; readonly variation: string }[];
}

class FlagCompiler {
  constructor(
    private readonly key: string,
    private readonly def: FlagDefinition,
    private readonly compileClause: (clause: Clause) => Matcher,
  ) {}

  result(variant: string, reason: Served['reason'], ruleId?: string): Served {
    const value = this.def.variations[variant]!;
    return Object.freeze(
      ruleId === undefined ? { value, variant, reason } : { value, variant, reason, ruleId },
    );
  }

  serve(serve: Serve, ruleId: string | undefined): CompiledServe {
    if ('variation' in serve) {
      return {
        kind: 'fixed',
        result: this.result(serve.variation, ruleId === undefined ? 'DEFAULT' : 'TARGETING_MATCH', ruleId),
      };
    }
    const { rollout } = serve;
    const attribute = rollout.bucketBy ?? this.def.stickiness ?? 'targetingKey';
    let total = 0;
    const bounds = rollout.variations.map((v) => (total += v.weight));
    return {
      kind: 'split',
      lookup: compileLookup(attribute),
      salt: this.def.salt ?? this.key,
      bounds,
      results: rollout.variations.map((v) => this.result(v.variation, 'SPLIT', ruleId)),
      missing: Object.freeze({
        errorCode: 'TARGETING_KEY_MISSING',
        errorMessage: `flag ${quote(this.key)}: the rollout buckets by ${quote(attribute)}, which the context lacks or is not a string or number`,
      }),
    };
  }

  rules(rules: readonly FlagRule[]): readonly CompiledRule[] {
    return rules.map((rule) => ({
      matchers: rule.clauses.map(this.compileClause),
      serve: this.serve(rule.serve, rule.id),
    }));
  }

  states(): { states: FlagState[]; instants: number[] } {
    let state: FlagState = {
      enabled: this.def.enabled,
      rules: this.rules(this.def.rules ?? []),
      fallthrough: this.serve(this.def.fallthrough, undefined),
    };
    const states = [state];
    const instants: number[] = [];
    for (const change of this.def.schedule ?? []) {
      state = {
        enabled: change.enabled ?? state.enabled,
        rules: change.rules === undefined ? state.rules : this.rules(change.rules),
        fallthrough:
          change.fallthrough === undefined ? state.fallthrough : this.serve(change.fallthrough, undefined),
      };
      states.push(state);
      instants.push(parseIsoInstant(change.at)!);
    }
    return { states, instants };
  }

  targets(): ReadonlyMap<string, Served> | undefined {
    if (this.def.targets === undefined || this.def.targets.length === 0) return undefined;
    const map = new Map<string, Served>();
    for (const target of this.def.targets) {
      const result = this.result(target.variation, 'TARGETING_MATCH');
      for (const key of target.values) map.set(key, result);
    }
    return map;
  }
}

/** Compiles a validated flag; its prerequisites must be compiled already (`flags` has them). */
export function compileFlag(
  key: string,
  def: FlagDefinition,
  compileClause: (clause: Clause) => Matcher,
  flags: ReadonlyMap<string, CompiledFlag>,
): CompiledFlag {
  const compiler = new FlagCompiler(key, def, compileClause);
  const { states, instants } = compiler.states();
  return {
    key,
    type: def.type,
    states,
    instants,
    off: compiler.result(def.offVariation, 'DISABLED'),
    prerequisiteFailed: compiler.result(def.offVariation, 'PREREQUISITE_FAILED'),
    targets: compiler.targets(),
    prerequisites: (def.prerequisites ?? []).map((p) => ({
      flag: flags.get(p.flag)!,
      variation: p.variation,
    })),
  };
}

function bucketValue(raw: unknown): string | undefined {
  if (typeof raw === 'string') return raw === '' ? undefined : raw;
  return typeof raw === 'number' && Number.isFinite(raw) ? String(raw) : undefined;
}

function serve(compiled: CompiledServe, context: EvaluationContext): EngineResult {
  if (compiled.kind === 'fixed') return compiled.result;
  const value = bucketValue(compiled.lookup(context));
  if (value === undefined) return compiled.missing;
  const bucket = bucketOf(compiled.salt, value);
  const { bounds, results } = compiled;
  for (let i = 0; i < bounds.length; i++) if (bucket < bounds[i]!) return results[i]!;
  return results[results.length - 1]!; // unreachable: the bounds end at 100,000
}

function stateAt(flag: CompiledFlag, nowMs: number): FlagState {
  const { instants } = flag;
  for (let i = instants.length - 1; i >= 0; i--) if (instants[i]! <= nowMs) return flag.states[i + 1]!;
  return flag.states[0]!;
}

/** A prerequisite holds when its flag is on, its own prerequisites hold and it serves the variation. */
function prerequisitesHold(
  flag: CompiledFlag,
  context: EvaluationContext,
  key: string | undefined,
  nowMs: number,
) {
  for (const p of flag.prerequisites) {
    const r = evaluateFlag(p.flag, context, key, nowMs);
    if (
      !('variant' in r) ||
      r.variant !== p.variation ||
      r.reason === 'DISABLED' ||
      r.reason === 'PREREQUISITE_FAILED'
    ) {
      return false;
    }
  }
  return true;
}

/** Evaluates a compiled flag (never throws on its own; lookups of hostile contexts may, and are caught above). */
export function evaluateFlag(
  flag: CompiledFlag,
  context: EvaluationContext,
  key: string | undefined,
  nowMs: number,
): EngineResult {
  const state = flag.instants.length === 0 ? flag.states[0]! : stateAt(flag, nowMs);
  if (!state.enabled) return flag.off;
  if (flag.prerequisites.length > 0 && !prerequisitesHold(flag, context, key, nowMs))
    return flag.prerequisiteFailed;
  if (flag.targets !== undefined && key !== undefined) {
    const target = flag.targets.get(key);
    if (target !== undefined) return target;
  }
  for (let i = 0; i < state.rules.length; i++) {
    const rule = state.rules[i]!;
    if (allHold(rule.matchers, context, key)) return serve(rule.serve, context);
  }
  return serve(state.fallthrough, context);
}
