/**
 * The instruments both limiters share beyond `ratelimit.requests`: decisions the insurance limiter made,
 * and the store circuit's state changes. Label sets are built once (these sit on failure paths, which an
 * outage turns into the hot path).
 */
import type { CircuitState } from '../core/circuit.js';
import type { Metrics } from '../core/metrics.js';

/** `ratelimit.insurance.decisions{limiter, outcome}`: one count per insurance answer. */
export function insuranceCounter(metrics: Metrics, limiter: string): (allowed: boolean) => void {
  const counter = metrics.counter('ratelimit.insurance.decisions', {
    description: 'decisions of the in-memory insurance limiter while the store did not answer',
    unit: '{request}',
    labelNames: ['limiter', 'outcome'],
  });
  const allowed = { limiter, outcome: 'allowed' };
  const rejected = { limiter, outcome: 'rejected' };
  return (wasAllowed) => counter.add(1, wasAllowed ? allowed : rejected);
}

/** `ratelimit.store.circuit{limiter, state}`: one count per change of the store circuit into `state`. */
export function circuitCounter(metrics: Metrics, limiter: string): (to: CircuitState) => void {
  const counter = metrics.counter('ratelimit.store.circuit', {
    description: 'state changes of the circuit guarding the rate-limit store',
    unit: '{change}',
    labelNames: ['limiter', 'state'],
  });
  const labels = {
    closed: { limiter, state: 'closed' },
    open: { limiter, state: 'open' },
    'half-open': { limiter, state: 'half-open' },
  } as const;
  return (to) => counter.add(1, labels[to]);
}
