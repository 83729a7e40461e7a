/**
 * The bench's one rule set (bench/flags/rules.ts) expressed three ways with the same semantics, and each
 * side's context for a user:
 *
 * - ours: a `FlagConfig` (two rules, then a fallthrough serving `off` or a 25 % rollout by `userId`);
 * - Unleash: toggles with a `default` strategy per rule (constraints `IN`, `STR_ENDS_WITH`) and, for the
 *   rollout flags, a `flexibleRollout` strategy (stickiness `userId`, groupId the flag key); a toggle is
 *   on when any strategy is;
 * - OpenFeature's in-memory provider: flags whose `contextEvaluator` implements the same rules and the
 *   rollout (murmur3 of `key:userId`, bucket < 25,000 of 100,000: bench/flags/murmur.ts), the way that
 *   provider does targeting.
 */
import type {
  InMemoryFlagConfiguration,
  EvaluationContext as OpenFeatureContext,
} from '@openfeature/server-sdk';
import type { Context as UnleashContext } from 'unleash-client';
import type { FeatureInterface } from 'unleash-client/lib/feature.js';
import { Operator, type StrategyTransportInterface } from 'unleash-client/lib/strategy/strategy.js';
import type { EvaluationContext, FlagConfig, FlagDefinition } from '../../src/flags/index.js';
import { bucket } from './murmur.js';
import { type BenchUser, type FlagSpec, PAID_PLANS } from './rules.js';

/** Rollout weights are in 1/100,000. */
const WEIGHT_PER_PERCENT = 1000;

function ourFlag(spec: FlagSpec): FlagDefinition {
  const on = spec.rolloutPercent === null ? 0 : spec.rolloutPercent * WEIGHT_PER_PERCENT;
  return {
    type: 'boolean',
    variations: { on: true, off: false },
    enabled: true,
    offVariation: 'off',
    stickiness: 'userId',
    rules: [
      {
        id: 'paid-in-region',
        clauses: [
          { attribute: 'plan', op: 'in', values: PAID_PLANS },
          { attribute: 'country', op: 'in', values: spec.countries },
        ],
        serve: { variation: 'on' },
      },
      {
        id: 'staff-domain',
        clauses: [{ attribute: 'email', op: 'endsWith', values: [spec.emailSuffix] }],
        serve: { variation: 'on' },
      },
    ],
    fallthrough:
      spec.rolloutPercent === null
        ? { variation: 'off' }
        : {
            rollout: {
              variations: [
                { variation: 'on', weight: on },
                { variation: 'off', weight: 100_000 - on },
              ],
            },
          },
  };
}

/** Ours: one config holding every flag. */
export function ourConfig(specs: readonly FlagSpec[]): FlagConfig {
  return { version: 'bench-1', flags: Object.fromEntries(specs.map((s) => [s.key, ourFlag(s)])) };
}

function unleashFeature(spec: FlagSpec): FeatureInterface {
  const strategies: StrategyTransportInterface[] = [
    {
      name: 'default',
      parameters: {},
      constraints: [
        { contextName: 'plan', operator: Operator.IN, values: [...PAID_PLANS], inverted: false },
        { contextName: 'country', operator: Operator.IN, values: [...spec.countries], inverted: false },
      ],
    },
    {
      name: 'default',
      parameters: {},
      constraints: [
        {
          contextName: 'email',
          operator: Operator.STR_ENDS_WITH,
          values: [spec.emailSuffix],
          inverted: false,
        },
      ],
    },
  ];
  if (spec.rolloutPercent !== null) {
    strategies.push({
      name: 'flexibleRollout',
      parameters: { rollout: String(spec.rolloutPercent), stickiness: 'userId', groupId: spec.key },
      constraints: [],
    });
  }
  return { name: spec.key, enabled: true, strategies };
}

/** Unleash: the bootstrap toggles. */
export function unleashFeatures(specs: readonly FlagSpec[]): FeatureInterface[] {
  return specs.map(unleashFeature);
}

type OnOff = { on: boolean; off: boolean };

function contextEvaluator(spec: FlagSpec): (ctx: OpenFeatureContext) => 'on' | 'off' {
  const { key, countries, emailSuffix } = spec;
  const threshold = spec.rolloutPercent === null ? 0 : spec.rolloutPercent * WEIGHT_PER_PERCENT;
  return (ctx) => {
    const { plan, country, email, userId } = ctx;
    if (typeof plan === 'string' && PAID_PLANS.includes(plan)) {
      if (typeof country === 'string' && countries.includes(country)) return 'on';
    }
    if (typeof email === 'string' && email.endsWith(emailSuffix)) return 'on';
    if (threshold === 0 || typeof userId !== 'string') return 'off';
    return bucket(key, userId) < threshold ? 'on' : 'off';
  };
}

/** OpenFeature's in-memory provider: the flag configuration. */
export function inMemoryFlags(specs: readonly FlagSpec[]): InMemoryFlagConfiguration<Record<string, OnOff>> {
  return Object.fromEntries(
    specs.map((spec) => [
      spec.key,
      {
        variants: { on: true, off: false },
        defaultVariant: 'off',
        disabled: false,
        contextEvaluator: contextEvaluator(spec),
      },
    ]),
  );
}

/** A context both we and OpenFeature accept (the SDK passes it to the provider as is). */
export type SharedContext = EvaluationContext & OpenFeatureContext;

/** Our context, also what both OpenFeature sides get. */
export function ourContext(user: BenchUser): SharedContext {
  const { userId, plan, country, email } = user;
  return email === undefined
    ? { targetingKey: userId, userId, plan, country }
    : { targetingKey: userId, userId, plan, country, email };
}

/** Unleash's context: `userId` is a standard field, the rest go in `properties`. */
export function unleashContext(user: BenchUser): UnleashContext {
  const { userId, plan, country, email } = user;
  return { userId, properties: email === undefined ? { plan, country } : { plan, country, email } };
}
