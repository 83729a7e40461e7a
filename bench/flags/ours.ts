/**
 * Our sides, from the built package (dist/), as users run them; types come from the sources:
 * `createFlagEvaluator({ source: createMemoryFlagSource(config) })` then `flags.boolean(flag, ctx, false)`
 * (synchronous), the same evaluator through our OpenFeature provider and the SDK client (the path an
 * OpenFeature app takes, comparable with the in-memory provider's), and that provider called bare.
 */
import { NOOP_PROVIDER, OpenFeature } from '@openfeature/server-sdk';
import type * as FlagsModule from '../../src/flags/index.js';
import type * as OpenFeatureModule from '../../src/flags/openfeature.js';
import { importBuilt } from '../support/built.js';
import { ourConfig } from './configs.js';
import { SILENT_LOGGER } from './peers.js';
import type { AsyncSide, Fixture, SyncSide } from './side.js';

/** The built entries the bench uses. */
export interface Built {
  readonly flags: typeof FlagsModule;
  readonly openfeature: typeof OpenFeatureModule;
}

/** Imports the built entries (npm run bench builds dist first; the bench test runs ensure-build). */
export async function loadBuilt(): Promise<Built> {
  return {
    flags: await importBuilt<typeof FlagsModule>('flags/index.js'),
    openfeature: await importBuilt<typeof OpenFeatureModule>('flags/openfeature.js'),
  };
}

/** `flags.boolean(flag, ctx, false)` on an evaluator over a memory source. */
async function directSide(
  built: Built,
  fx: Fixture,
): Promise<SyncSide & { readonly flags: FlagsModule.FlagEvaluator }> {
  const flags = built.flags.createFlagEvaluator({
    source: built.flags.createMemoryFlagSource(ourConfig(fx.specs)),
  });
  const status = await flags.ready();
  if (status.layer !== 'live') throw new Error(`ours: ready on layer ${status.layer}, not live`);
  const { keys, contexts } = fx;
  let f = 0;
  let u = 0;
  return {
    name: 'ours',
    label: 'flags.boolean(flag, ctx, false)',
    kind: 'sync',
    flags,
    one: (flag, user) => flags.boolean(keys[flag]!, contexts[user]!, false),
    batch(size) {
      let trues = 0;
      for (let i = 0; i < size; i++) {
        if (flags.boolean(keys[f]!, contexts[u]!, false)) trues++;
        if (++f === keys.length) {
          f = 0;
          if (++u === contexts.length) u = 0;
        }
      }
      return trues;
    },
    close: () => flags.close(),
  };
}

/** Our three sides: direct, through the SDK client (under `domain`), and our provider bare. */
export async function ourSides(
  built: Built,
  fx: Fixture,
  domain = 'flags-bench-ours',
): Promise<[SyncSide, AsyncSide, AsyncSide]> {
  const direct = await directSide(built, fx);
  const provider = built.openfeature.createOpenFeatureProvider(direct.flags);
  await OpenFeature.setProviderAndWait(domain, provider);
  const client = OpenFeature.getClient(domain);
  const { keys, contexts } = fx;
  let f = 0;
  let u = 0;
  const sdk: AsyncSide = {
    name: 'ours-openfeature',
    label: 'OpenFeature client.getBooleanValue (our provider), awaited',
    kind: 'async',
    one: (flag, user) => client.getBooleanValue(keys[flag]!, false, contexts[user]),
    async batch(size) {
      let trues = 0;
      for (let i = 0; i < size; i++) {
        if (await client.getBooleanValue(keys[f]!, false, contexts[u])) trues++;
        if (++f === keys.length) {
          f = 0;
          if (++u === contexts.length) u = 0;
        }
      }
      return trues;
    },
    close: () => OpenFeature.setProviderAndWait(domain, NOOP_PROVIDER),
  };
  let bf = 0;
  let bu = 0;
  const bare: AsyncSide = {
    name: 'ours-provider',
    label: 'our provider.resolveBooleanEvaluation, awaited (no SDK)',
    kind: 'async',
    one: async (flag, user) =>
      (await provider.resolveBooleanEvaluation(keys[flag]!, false, contexts[user]!, SILENT_LOGGER)).value,
    async batch(size) {
      let trues = 0;
      for (let i = 0; i < size; i++) {
        if ((await provider.resolveBooleanEvaluation(keys[bf]!, false, contexts[bu]!, SILENT_LOGGER)).value)
          trues++;
        if (++bf === keys.length) {
          bf = 0;
          if (++bu === contexts.length) bu = 0;
        }
      }
      return trues;
    },
    close: async () => {},
  };
  return [direct, sdk, bare];
}
