/**
 * The JobBackend contract: the semantics every job backend must have (leases, fencing, budgets, DLQ,
 * idempotency, depth limits, lag), checked through the public queue and worker and through the port.
 * The cases live in jobs-*.ts; which of them run follows the backend's declared capabilities.
 */
import { basicCases, declarationCase } from './jobs-basic.js';
import { createSuite, type JobBackendContractOptions } from './jobs-env.js';
import { deadLetterCases, failureCases } from './jobs-failures.js';
import { attemptCases, timedLeaseCases } from './jobs-leases.js';
import { limitCases } from './jobs-limits.js';
import { unsupportedCases } from './jobs-unsupported.js';
import type { ContractTestApi } from './test-api.js';

export type { JobBackendContractOptions } from './jobs-env.js';

/**
 * The JobBackend contract: run it against every job backend (ours or yours). Cases that need a
 * capability run only when `capabilities` declares it (default: all of them, as memory and Redis
 * have), and each capability left out gets a case asserting `ERR_UNSUPPORTED` from the public API.
 * With `time: 'injected'` it drives time with the subject's manual clock, so it never sleeps for
 * leases, delays or backoffs; with `time: 'wall'` those cases wait in real time, tens to hundreds of
 * ms (give the backend delay steps that short). Lease-expiry cases run with `leases: 'timed'`; a
 * connection-lease backend is claimed from until the jobs a case expects have arrived.
 *
 * @example
 * ```ts
 * import { describe, it } from 'vitest';
 * jobBackendContract({ describe, it }, {
 *   name: 'memory',
 *   setup: (clock) => ({ subject: createMemoryJobBackend({ clock }) }),
 * });
 * ```
 */
export function jobBackendContract(t: ContractTestApi, options: JobBackendContractOptions): void {
  const suite = createSuite(t, options);
  t.describe(`JobBackend contract: ${options.name}`, () => {
    declarationCase(suite);
    basicCases(suite);
    failureCases(suite);
    deadLetterCases(suite);
    limitCases(suite);
    timedLeaseCases(suite);
    attemptCases(suite);
    unsupportedCases(suite);
  });
}
