/**
 * The OpenFeature provider, tested through @openfeature/server-sdk itself: evaluation details of every
 * type, error codes as the SDK reports them, hooks (before adding context, after, error, finally),
 * evaluation context merging (API + client + invocation, Dates), and provider events on a config change,
 * on a source error, on a start without data and on a start from a fallback layer.
 */
import {
  type EvaluationDetails,
  type FlagValue,
  type Hook,
  OpenFeature,
  ProviderEvents,
  ProviderStatus,
} from '@openfeature/server-sdk';
import { afterEach, describe, expect, it } from 'vitest';
import {
  createFlagEvaluator,
  createMemoryFlagSource,
  type FlagConfig,
  type FlagEvaluator,
} from '../../src/flags/index.js';
import { createOpenFeatureProvider } from '../../src/flags/openfeature.js';
import { createManualClock } from '../../src/testing/index.js';
import {
  booleanFlag,
  config,
  memorySnapshot,
  scriptedSource,
  settle,
  stringFlag,
} from './evaluator-helpers.js';

const evaluators: FlagEvaluator[] = [];
let domainCounter = 0;

afterEach(async () => {
  await OpenFeature.clearProviders();
  OpenFeature.clearHooks();
  OpenFeature.clearHandlers();
  OpenFeature.setContext({});
  await Promise.all(evaluators.splice(0).map((e) => e.close()));
});

const CONFIG: FlagConfig = {
  version: 'v7',
  flags: {
    checkout: booleanFlag(true),
    banner: stringFlag('hello'),
    limit: {
      type: 'number',
      variations: { low: 10, high: 100 },
      enabled: true,
      offVariation: 'low',
      fallthrough: { variation: 'high' },
    },
    layout: {
      type: 'json',
      variations: { a: { columns: 2, items: ['x'] }, b: { columns: 3, items: [] } },
      enabled: true,
      offVariation: 'a',
      fallthrough: { variation: 'b' },
    },
    regional: {
      type: 'boolean',
      variations: { on: true, off: false },
      enabled: true,
      offVariation: 'off',
      fallthrough: { variation: 'off' },
      rules: [
        {
          id: 'eu-beta-recent',
          clauses: [
            { attribute: 'region', op: 'eq', values: ['eu'] },
            { attribute: 'plan', op: 'eq', values: ['beta'] },
            { attribute: 'signedUpAt', op: 'after', values: ['2026-01-01T00:00:00Z'] },
          ],
          serve: { variation: 'on' },
        },
      ],
    },
  },
};

async function setup(options: Parameters<typeof createFlagEvaluator>[0] = {}, expectFailure = false) {
  const source = scriptedSource(CONFIG);
  const evaluator = createFlagEvaluator({ source, clock: createManualClock(), ...options });
  evaluators.push(evaluator);
  const provider = createOpenFeatureProvider(evaluator);
  const domain = `flags-test-${++domainCounter}`;
  const client = OpenFeature.getClient(domain);
  const events: { type: string; details: unknown }[] = [];
  for (const type of Object.values(ProviderEvents)) {
    client.addHandler(type, (details) => events.push({ type, details }));
  }
  const ready = OpenFeature.setProviderAndWait(domain, provider);
  if (expectFailure) await expect(ready).rejects.toMatchObject({ code: 'ERR_FLAGS_SOURCE' });
  else await ready;
  return { source, evaluator, provider, client, events };
}

describe('evaluation details through the SDK', () => {
  it('resolves every type with variant, reason and flag metadata', async () => {
    const { client } = await setup();
    expect(await client.getBooleanDetails('checkout', false)).toEqual({
      flagKey: 'checkout',
      value: true,
      variant: 'on',
      reason: 'DEFAULT',
      flagMetadata: { layer: 'live', version: 'v7' },
    });
    expect(await client.getStringValue('banner', 'd', { plan: 'beta' })).toBe('beta-value');
    expect(await client.getStringDetails('banner', 'd', { plan: 'beta' })).toMatchObject({
      reason: 'TARGETING_MATCH',
      flagMetadata: { ruleId: 'beta-rule' },
    });
    expect(await client.getNumberValue('limit', 0)).toBe(100);
    expect(await client.getObjectValue('layout', {})).toEqual({ columns: 3, items: [] });
  });

  it('errors come back as the SDK reports them: default value, reason ERROR, the OpenFeature code', async () => {
    const { client } = await setup();
    expect(await client.getBooleanDetails('missing', false)).toMatchObject({
      value: false,
      reason: 'ERROR',
      errorCode: 'FLAG_NOT_FOUND',
    });
    expect(await client.getNumberDetails('checkout', 5)).toMatchObject({
      value: 5,
      reason: 'ERROR',
      errorCode: 'TYPE_MISMATCH',
      errorMessage: expect.stringMatching(/boolean/),
    });
  });

  it('hooks see the evaluation: before adds context, after gets the details, error gets the code', async () => {
    const { client } = await setup();
    const seen: string[] = [];
    const hook: Hook = {
      before: () => {
        seen.push('before');
        return { plan: 'beta' };
      },
      after: (_, details: EvaluationDetails<FlagValue>) => {
        seen.push(`after:${details.variant}`);
      },
      error: (_, error: unknown) => {
        seen.push(`error:${(error as { code?: string }).code}`);
      },
      finally: (_, details: EvaluationDetails<FlagValue>) => {
        seen.push(`finally:${details.reason}`);
      },
    };
    client.addHooks(hook);
    expect(await client.getStringValue('banner', 'd')).toBe('beta-value');
    await client.getStringValue('checkout', 'd');
    expect(seen).toEqual([
      'before',
      'after:beta',
      'finally:TARGETING_MATCH',
      'before',
      'error:TYPE_MISMATCH',
      'finally:ERROR',
    ]);
  });

  it('API, client and invocation contexts are merged and reach the rules (a Date as an instant)', async () => {
    const { client } = await setup();
    OpenFeature.setContext({ region: 'eu' });
    client.setContext({ plan: 'beta' });
    const details = await client.getBooleanDetails('regional', false, {
      targetingKey: 'u1',
      signedUpAt: new Date('2026-03-01T00:00:00Z'),
    });
    expect(details).toMatchObject({
      value: true,
      reason: 'TARGETING_MATCH',
      flagMetadata: { ruleId: 'eu-beta-recent' },
    });
    expect(
      await client.getBooleanValue('regional', false, {
        targetingKey: 'u1',
        signedUpAt: new Date('2025-03-01T00:00:00Z'),
      }),
    ).toBe(false);
    expect(
      await client.getBooleanValue('regional', false, { plan: 'free', signedUpAt: new Date('2026-03-01') }),
    ).toBe(false);
  });

  it('a hostile context through the SDK (own __proto__, deep nesting) is answered, not thrown', async () => {
    const { client } = await setup();
    let deep: Record<string, unknown> = {};
    for (let i = 0; i < 10_000; i++) deep = { d: deep };
    const context = JSON.parse('{"targetingKey":"u1","__proto__":{"plan":"beta"}}');
    expect(await client.getStringValue('banner', 'd', { ...context, nested: deep as never })).toBe('hello');
    expect(({} as { plan?: string }).plan).toBeUndefined();
  });
});

describe('provider events', () => {
  it('MemoryFlagSource.set is PROVIDER_CONFIGURATION_CHANGED; fail() is PROVIDER_STALE', async () => {
    const source = createMemoryFlagSource(CONFIG);
    const { client, events } = await setup({ source });
    events.length = 0;
    source.set({ ...CONFIG, version: 'v8', flags: { ...CONFIG.flags, banner: stringFlag('changed') } });
    await settle();
    expect(events).toEqual([
      {
        type: ProviderEvents.ConfigurationChanged,
        details: expect.objectContaining({ flagsChanged: ['banner'] }),
      },
    ]);
    expect(await client.getStringValue('banner', 'd')).toBe('changed');
    source.fail('maintenance');
    await settle();
    expect(events.at(-1)).toEqual({
      type: ProviderEvents.Stale,
      details: expect.objectContaining({ message: 'memory: maintenance' }),
    });
  });

  it('a config change is PROVIDER_CONFIGURATION_CHANGED with the flags that changed', async () => {
    const { source, client, events } = await setup();
    events.length = 0;
    source.push({
      config: { ...CONFIG, version: 'v8', flags: { ...CONFIG.flags, checkout: booleanFlag(false) } },
    });
    await settle();
    expect(events).toEqual([
      {
        type: ProviderEvents.ConfigurationChanged,
        details: expect.objectContaining({
          flagsChanged: ['checkout'],
          metadata: { layer: 'live', version: 'v8' },
        }),
      },
    ]);
    expect(await client.getBooleanValue('checkout', true)).toBe(false);
  });

  it('a source error is PROVIDER_STALE (the last good config answers); recovery is PROVIDER_READY', async () => {
    const { source, client, events } = await setup();
    events.length = 0;
    source.push({ error: new Error('redis down') });
    await settle();
    expect(events).toEqual([
      {
        type: ProviderEvents.Stale,
        details: expect.objectContaining({
          message: 'redis down',
          metadata: { layer: 'last-known-good', version: 'v7' },
        }),
      },
    ]);
    expect(client.providerStatus).toBe(ProviderStatus.STALE);
    expect(await client.getBooleanDetails('checkout', false)).toMatchObject({
      value: true,
      flagMetadata: { layer: 'last-known-good' },
    });
    events.length = 0;
    source.push({ config: config('v9', { checkout: booleanFlag(true) }) });
    await settle();
    expect(events.map((e) => e.type)).toEqual([ProviderEvents.Ready, ProviderEvents.ConfigurationChanged]);
    expect(client.providerStatus).toBe(ProviderStatus.READY);
  });

  it('a config refused by validation is PROVIDER_STALE naming the path', async () => {
    const { source, events } = await setup();
    events.length = 0;
    source.push({ config: { flags: { checkout: { ...booleanFlag(true), offVariation: 'nope' } } } });
    await settle();
    expect(events).toEqual([
      {
        type: ProviderEvents.Stale,
        details: expect.objectContaining({ message: expect.stringMatching(/flags\.checkout\.offVariation/) }),
      },
    ]);
  });

  it('no data at start: setProviderAndWait rejects, status ERROR, watch errors are PROVIDER_ERROR, data is READY', async () => {
    const source = scriptedSource(CONFIG);
    source.mode = 'fail';
    const { client, events } = await setup({ source }, true);
    expect(client.providerStatus).toBe(ProviderStatus.ERROR);
    expect(await client.getBooleanDetails('checkout', false)).toMatchObject({
      errorCode: 'PROVIDER_NOT_READY',
    });
    events.length = 0;
    source.push({ error: new Error('still down') });
    await settle();
    expect(events).toEqual([
      { type: ProviderEvents.Error, details: expect.objectContaining({ message: 'still down' }) },
    ]);
    source.push({ config: CONFIG });
    await settle();
    expect(events.map((e) => e.type).slice(1)).toEqual([
      ProviderEvents.Ready,
      ProviderEvents.ConfigurationChanged,
    ]);
    expect(client.providerStatus).toBe(ProviderStatus.READY);
    expect(await client.getBooleanValue('checkout', false)).toBe(true);
  });

  it('a start from the snapshot is READY then PROVIDER_STALE', async () => {
    const source = scriptedSource(CONFIG);
    source.mode = 'fail';
    const { client, events } = await setup({ source, snapshot: memorySnapshot(CONFIG) });
    await settle();
    expect(events.map((e) => e.type)).toEqual([ProviderEvents.Ready, ProviderEvents.Stale]);
    expect(client.providerStatus).toBe(ProviderStatus.STALE);
    expect(await client.getBooleanDetails('checkout', false)).toMatchObject({
      value: true,
      flagMetadata: { layer: 'snapshot' },
    });
  });

  it('after the SDK closes the provider, evaluator changes are not forwarded', async () => {
    const { source, provider, events } = await setup();
    let emitted = 0;
    provider.events.addHandler(ProviderEvents.ConfigurationChanged, () => {
      emitted += 1;
    });
    await OpenFeature.clearProviders();
    events.length = 0;
    source.push({ config: config('v10', { checkout: booleanFlag(false) }) });
    await settle();
    expect(emitted).toBe(0);
  });
});

describe('construction', () => {
  it.each([
    ['undefined', undefined],
    ['an object without the methods', { evaluate: () => 1 }],
  ])('an evaluator that is %s is ERR_INVALID_ARGUMENT', (_, evaluator) => {
    expect(() => createOpenFeatureProvider(evaluator as never)).toThrow(
      expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
    );
  });

  it('closeEvaluator: true closes the evaluator with the provider', async () => {
    const source = scriptedSource(CONFIG);
    const evaluator = createFlagEvaluator({ source, clock: createManualClock() });
    const provider = createOpenFeatureProvider(evaluator, { closeEvaluator: true, name: 'mine' });
    expect(provider.metadata.name).toBe('mine');
    await OpenFeature.setProviderAndWait('close-test', provider);
    expect(source.watchers()).toBe(1);
    await OpenFeature.clearProviders();
    expect(source.watchers()).toBe(0);
  });
});
