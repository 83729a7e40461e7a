import { InvalidOptionError, isBackendPatternsError, StoreError } from 'backend-patterns';
import { createManualClock } from 'backend-patterns/testing';
import type { DemoSection } from '../types.js';

export const coreSection: DemoSection = {
  title: 'Core: errors, clock, metrics',
  problem: 'every module shares typed errors with stable codes, an injectable clock and a metrics port',
  async run({ step, metrics }) {
    const error = new StoreError('redis script ratelimit-decide failed', { cause: new Error('ECONNRESET') });
    step(
      'throw a store failure',
      `${error.name} code=${error.code} guard=${isBackendPatternsError(error, 'ERR_STORE')} cause="${(error.cause as Error).message}"`,
    );
    try {
      throw new InvalidOptionError('`limit` must be an integer in 1..1000000, got -5');
    } catch (e) {
      step('validate an option', isBackendPatternsError(e) ? `${e.code}: ${e.message}` : 'unexpected');
    }
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const woke = clock.sleep(60_000).then(() => 'woke');
    clock.advance(60_000);
    step(
      'sleep 60 s on a manual clock, then advance 60 s',
      `${await woke} at ${new Date(clock.now()).toISOString()}`,
    );
    const requests = metrics.counter('demo.requests', { unit: '{request}', labelNames: ['outcome'] });
    requests.add(3, { outcome: 'allowed' });
    requests.add(1, { outcome: 'rejected' });
    step(
      'count 4 requests',
      `demo.requests{outcome=rejected} = ${metrics.counterValue('demo.requests', { outcome: 'rejected' })} request(s)`,
    );
  },
};
