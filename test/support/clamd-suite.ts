/**
 * clamd for test files: the instance the global setup found (`inject('services').clamd`). Tests that need
 * their own limits, a Unix socket or a kill start a private one with `startClamd` instead.
 */
import { inject } from 'vitest';
import { parseClamdUrl } from './clamd-service.js';

/** Host and port of the run's clamd, or undefined when clamd suites must skip. */
export function clamdTarget(): { host: string; port: number } | undefined {
  const status = inject('services').clamd;
  return status?.available && status.url ? parseClamdUrl(status.url) : undefined;
}

/** True when clamd-backed suites must be skipped. Use with `describe.skipIf(noClamd)`. */
export const noClamd = clamdTarget() === undefined;
