/**
 * The peer sides: `unleash-client`'s local evaluation (bootstrapped, offline) and OpenFeature's in-memory
 * provider, through the SDK client and called bare.
 *
 * Unleash runs with no server: `refreshInterval: 0` (its poller returns before any request),
 * `disableMetrics: true`, an in-memory storage provider (no backup file) and the toggles as bootstrap
 * data; the side is made once Unleash says `synchronized`. The URL is required but never contacted (the
 * bench counts sockets opened and fails on any).
 */
import { once } from 'node:events';
import { type Logger, NOOP_PROVIDER, OpenFeature, TypedInMemoryProvider } from '@openfeature/server-sdk';
import { InMemStorageProvider, Unleash } from 'unleash-client';
import { inMemoryFlags, unleashFeatures } from './configs.js';
import type { AsyncSide, Fixture, SyncSide } from './side.js';

/** A logger that drops everything, handed to the bare provider calls (the SDK passes its own). */
export const SILENT_LOGGER: Logger = { error() {}, warn() {}, info() {}, debug() {} };

/** `unleash.isEnabled(name, context)`; also returns the warnings and errors Unleash emitted. */
export async function unleashSide(fx: Fixture): Promise<SyncSide & { readonly complaints: string[] }> {
  const unleash = new Unleash({
    url: 'http://127.0.0.1:1/',
    appName: 'flags-bench',
    disableMetrics: true,
    refreshInterval: 0,
    bootstrap: { data: unleashFeatures(fx.specs) },
    storageProvider: new InMemStorageProvider(),
    skipInstanceCountWarning: true,
  });
  const complaints: string[] = [];
  unleash.on('warn', (message: unknown) => complaints.push(`warn: ${String(message)}`));
  unleash.on('error', (error: unknown) => complaints.push(`error: ${String(error)}`));
  await once(unleash, 'synchronized');
  if (!unleash.isSynchronized()) throw new Error('unleash: not synchronized from the bootstrap');
  const { keys, unleashContexts: contexts } = fx;
  let f = 0;
  let u = 0;
  return {
    name: 'unleash',
    label: 'unleash.isEnabled(name, context)',
    kind: 'sync',
    complaints,
    one: (flag, user) => unleash.isEnabled(keys[flag]!, contexts[user]),
    batch(size) {
      let trues = 0;
      for (let i = 0; i < size; i++) {
        if (unleash.isEnabled(keys[f]!, contexts[u])) trues++;
        if (++f === keys.length) {
          f = 0;
          if (++u === contexts.length) u = 0;
        }
      }
      return trues;
    },
    close: async () => unleash.destroy(),
  };
}

/** The in-memory provider registered under its own domain: `[SDK client, bare provider]`. */
export async function inMemorySides(
  fx: Fixture,
  domain = 'flags-bench-memory',
): Promise<[AsyncSide, AsyncSide]> {
  const provider = new TypedInMemoryProvider(inMemoryFlags(fx.specs));
  await OpenFeature.setProviderAndWait(domain, provider);
  const client = OpenFeature.getClient(domain);
  const { keys, contexts } = fx;
  let f = 0;
  let u = 0;
  const sdk: AsyncSide = {
    name: 'openfeature-memory',
    label: 'OpenFeature client.getBooleanValue (in-memory provider), awaited',
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
    name: 'memory-provider',
    label: 'InMemoryProvider.resolveBooleanEvaluation, awaited (no SDK)',
    kind: 'async',
    one: async (flag, user) =>
      (await provider.resolveBooleanEvaluation(keys[flag]!, false, contexts[user], SILENT_LOGGER)).value,
    async batch(size) {
      let trues = 0;
      for (let i = 0; i < size; i++) {
        if ((await provider.resolveBooleanEvaluation(keys[bf]!, false, contexts[bu], SILENT_LOGGER)).value)
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
  return [sdk, bare];
}
