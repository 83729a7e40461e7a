import { describe, expect, it } from 'vitest';
import { type CircuitState, createCircuitBreaker, isBackendPatternsError } from '../../src/index.js';
import { createManualClock } from '../../src/testing/index.js';

const setup = () => {
  const clock = createManualClock(1_000_000);
  const changes: string[] = [];
  const circuit = createCircuitBreaker({
    failuresToOpen: 3,
    openMs: 500,
    clock,
    onStateChange: (to: CircuitState, from: CircuitState) => changes.push(`${from}>${to}`),
  });
  const fail = (n: number) => {
    for (let i = 0; i < n; i++) circuit.record(circuit.acquire(), 'failure');
  };
  return { clock, circuit, changes, fail };
};

describe('circuit breaker', () => {
  it('opens after consecutive failures only; a success in between resets the count', () => {
    const { circuit, fail } = setup();
    fail(2);
    circuit.record(circuit.acquire(), 'success');
    fail(2);
    expect(circuit.state).toBe('closed');
    fail(1);
    expect(circuit.state).toBe('open');
    expect(circuit.acquire()).toBe('refused');
  });

  it('neutral outcomes (a slow answer under load) neither open nor reset the count', () => {
    const { circuit, fail } = setup();
    fail(2);
    for (let i = 0; i < 100; i++) circuit.record(circuit.acquire(), 'neutral');
    expect(circuit.state).toBe('closed');
    fail(1);
    expect(circuit.state).toBe('open');
  });

  it('after the open period exactly one probe goes; the others are refused until it reports', () => {
    const { clock, circuit, fail, changes } = setup();
    fail(3);
    clock.advance(499);
    expect(circuit.acquire()).toBe('refused');
    clock.advance(1);
    expect(circuit.state).toBe('half-open');
    const tickets = Array.from({ length: 50 }, () => circuit.acquire());
    expect(tickets.filter((t) => t === 'probe')).toHaveLength(1);
    expect(tickets[0]).toBe('probe');
    circuit.record('probe', 'success');
    expect(circuit.state).toBe('closed');
    expect(circuit.acquire()).toBe('call');
    expect(changes).toEqual(['closed>open', 'open>half-open', 'half-open>closed']);
  });

  it('a failed probe opens the circuit for another full period', () => {
    const { clock, circuit, fail } = setup();
    fail(3);
    clock.advance(500);
    circuit.record(circuit.acquire(), 'failure');
    expect(circuit.state).toBe('open');
    clock.advance(499);
    expect(circuit.acquire()).toBe('refused');
    clock.advance(1);
    expect(circuit.acquire()).toBe('probe');
  });

  it('a neutral probe lets the next caller probe at once', () => {
    const { clock, circuit, fail } = setup();
    fail(3);
    clock.advance(500);
    circuit.record(circuit.acquire(), 'neutral');
    expect(circuit.acquire()).toBe('probe');
  });

  it('a probe that never reports is replaced after the open period', () => {
    const { clock, circuit, fail } = setup();
    fail(3);
    clock.advance(500);
    expect(circuit.acquire()).toBe('probe'); // lost: never recorded
    clock.advance(499);
    expect(circuit.acquire()).toBe('refused');
    clock.advance(1);
    expect(circuit.acquire()).toBe('probe');
  });

  it('late reports of calls granted before the circuit opened change nothing', () => {
    const { clock, circuit, fail } = setup();
    const early = circuit.acquire();
    fail(3);
    circuit.record(early, 'success');
    expect(circuit.state).toBe('open');
    clock.advance(500);
    circuit.record('refused', 'success');
    expect(circuit.acquire()).toBe('probe');
  });

  it.each([
    [{ failuresToOpen: 0, openMs: 1 }],
    [{ failuresToOpen: 1.5, openMs: 1 }],
    [{ failuresToOpen: Number.NaN, openMs: 1 }],
    [{ failuresToOpen: 1, openMs: 0 }],
    [{ failuresToOpen: 1, openMs: Number.POSITIVE_INFINITY }],
    [{ failuresToOpen: 1, openMs: Number.NaN }],
  ])('refuses %o with ERR_INVALID_OPTION', (bad) => {
    const clock = createManualClock();
    let thrown: unknown;
    try {
      createCircuitBreaker({ ...bad, clock });
    } catch (error) {
      thrown = error;
    }
    expect(isBackendPatternsError(thrown, 'ERR_INVALID_OPTION')).toBe(true);
  });
});
