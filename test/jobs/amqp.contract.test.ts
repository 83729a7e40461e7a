/**
 * The JobBackend contract on RabbitMQ (the shared broker), with what the backend declares: wall time,
 * connection leases, no lookup, idempotency, priorities or progress. Every queue a case touched is
 * deleted afterwards.
 */
import { randomBytes } from 'node:crypto';
import { describe, it } from 'vitest';
import { createAmqpJobBackend } from '../../src/jobs/amqp.js';
import type { JobBackend } from '../../src/jobs/index.js';
import { jobBackendContract } from '../../src/testing/index.js';
import { noRabbitmq } from '../support/rabbitmq.js';
import { AMQP_URL, DEFAULT_TEST_STEPS_MS, deleteQueues } from './amqp-support.js';

/** The backend, recording the queue names it is called with, so they can be deleted. */
function recording(backend: JobBackend, names: Set<string>): JobBackend {
  return new Proxy(backend, {
    get(target, key, receiver) {
      const value: unknown = Reflect.get(target, key, receiver);
      if (typeof value !== 'function' || key === 'close') return value;
      return (queue: unknown, ...rest: unknown[]) => {
        if (typeof queue === 'string') names.add(queue);
        return (value as (...args: unknown[]) => unknown).call(target, queue, ...rest);
      };
    },
  });
}

const backendFor = (prefix: string) =>
  createAmqpJobBackend({
    url: AMQP_URL,
    prefix,
    delayStepsMs: DEFAULT_TEST_STEPS_MS,
    reconnect: { initialDelayMs: 20, maxDelayMs: 200 },
  });

describe.skipIf(noRabbitmq)('jobs on RabbitMQ', () => {
  jobBackendContract(
    { describe, it },
    {
      name: 'amqp',
      capabilities: backendFor('unused').capabilities,
      setup: () => {
        const prefix = `bpc${randomBytes(4).toString('hex')}`;
        const names = new Set<string>();
        const backend = backendFor(prefix);
        return {
          subject: recording(backend, names),
          close: async () => {
            await backend.close();
            await deleteQueues(prefix, [...names]);
          },
        };
      },
    },
  );
});
