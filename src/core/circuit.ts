/**
 * The one circuit breaker of the library: the rate limiter guards its store with it and the notifier its
 * providers. It only counts; what counts as a failure is the caller's decision (a timeout under load is
 * not an outage, a 4xx is not the provider's fault), reported as `'failure'`, `'success'` or `'neutral'`.
 *
 * States: closed (calls go; `failuresToOpen` consecutive failures open it), open (calls are refused for
 * `openMs`), half-open (exactly one caller gets a probe; its success closes the circuit, its failure opens
 * it again for `openMs`, a neutral outcome lets the next caller probe). A probe that never reports (a lost
 * promise) is replaced after `openMs`, so a bug in a caller cannot keep the circuit half-open forever.
 *
 * `acquire()` and `record()` allocate nothing: they sit on the rate limiter's hot path.
 */
import type { Clock } from './clock.js';
import { InvalidOptionError } from './errors.js';

/** Where the circuit is. */
export type CircuitState = 'closed' | 'open' | 'half-open';

/** What `acquire()` grants: a normal call, the single probe of a half-open circuit, or nothing. */
export type CircuitTicket = 'call' | 'probe' | 'refused';

/** How a granted call ended, as the caller judges it. */
export type CircuitOutcome = 'success' | 'failure' | 'neutral';

/** Options of {@link createCircuitBreaker}. */
export interface CircuitBreakerOptions {
  /** Consecutive failures that open the circuit. At least 1. */
  readonly failuresToOpen: number;
  /** How long an open circuit refuses calls before one probe may go, in ms. At least 1. */
  readonly openMs: number;
  /** Time source for the open period. */
  readonly clock: Clock;
  /** Called on every state change (metrics, logs). Must not throw. */
  readonly onStateChange?: (to: CircuitState, from: CircuitState) => void;
}

/** A circuit breaker. */
export interface CircuitBreaker {
  /** The current state (an open circuit whose period is over reads `'half-open'`). */
  readonly state: CircuitState;
  /** Asks to make a call. Every ticket other than `'refused'` must be passed back to `record`. */
  acquire(): CircuitTicket;
  /** Reports how a granted call ended. */
  record(ticket: CircuitTicket, outcome: CircuitOutcome): void;
}

/**
 * Creates a circuit breaker.
 *
 * @example
 * ```ts
 * import { createCircuitBreaker, systemClock } from 'backend-patterns';
 * const circuit = createCircuitBreaker({ failuresToOpen: 3, openMs: 1000, clock: systemClock });
 * const ticket = circuit.acquire();
 * if (ticket !== 'refused') {
 *   try {
 *     await Promise.resolve('call the provider');
 *     circuit.record(ticket, 'success');
 *   } catch {
 *     circuit.record(ticket, 'failure');
 *   }
 * }
 * ```
 */
export function createCircuitBreaker(options: CircuitBreakerOptions): CircuitBreaker {
  const { failuresToOpen, openMs, clock, onStateChange } = options;
  if (!Number.isSafeInteger(failuresToOpen) || failuresToOpen < 1) {
    throw new InvalidOptionError('createCircuitBreaker: `failuresToOpen` must be an integer >= 1');
  }
  if (!Number.isFinite(openMs) || openMs < 1) {
    throw new InvalidOptionError('createCircuitBreaker: `openMs` must be a number >= 1');
  }
  let stored: CircuitState = 'closed';
  let consecutiveFailures = 0;
  /** While open: when a probe may go. While half-open with a probe out: when that probe is given up. */
  let untilMs = 0;
  let probeOut = false;

  const move = (to: CircuitState) => {
    if (to === stored) return;
    const from = stored;
    stored = to;
    onStateChange?.(to, from);
  };
  const open = () => {
    untilMs = clock.now() + openMs;
    probeOut = false;
    move('open');
  };

  return {
    get state(): CircuitState {
      return stored === 'open' && clock.now() >= untilMs ? 'half-open' : stored;
    },
    acquire(): CircuitTicket {
      if (stored === 'closed') return 'call';
      const now = clock.now();
      if (stored === 'open') {
        if (now < untilMs) return 'refused';
        move('half-open');
      } else if (probeOut && now < untilMs) {
        return 'refused';
      }
      probeOut = true;
      untilMs = now + openMs;
      return 'probe';
    },
    record(ticket: CircuitTicket, outcome: CircuitOutcome): void {
      if (ticket === 'refused') return;
      if (ticket === 'probe') {
        if (stored !== 'half-open') return; // a probe given up on, reporting late
        if (outcome === 'success') {
          consecutiveFailures = 0;
          probeOut = false;
          move('closed');
        } else if (outcome === 'failure') open();
        else probeOut = false;
        return;
      }
      if (stored !== 'closed') return; // a call granted before the circuit opened
      if (outcome === 'success') consecutiveFailures = 0;
      else if (outcome === 'failure' && ++consecutiveFailures >= failuresToOpen) open();
    },
  };
}
