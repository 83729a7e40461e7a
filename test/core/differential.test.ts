import { describe, expect, it } from 'vitest';
import { runDifferential, seededRandom } from '../../src/testing/contracts/differential.js';

interface Counter {
  add(n: number): number;
}
const counter = (bugAt?: number): Counter => {
  let total = 0;
  return {
    add(n) {
      total += n;
      if (n < 0) throw Object.assign(new Error('negative'), { code: 'ERR_INVALID_ARGUMENT' });
      return bugAt !== undefined && total >= bugAt ? total + 1 : total;
    },
  };
};

describe('runDifferential', () => {
  const generate = (random: ReturnType<typeof seededRandom>) => random.int(-1, 5);

  it('passes when both adapters observe the same, errors included', async () => {
    let closed = 0;
    const setup = () => ({ subject: counter(), close: () => void closed++ });
    await runDifferential({
      reference: setup,
      candidate: setup,
      generate,
      apply: (c, n) => c.add(n),
      runs: 3,
      steps: 20,
    });
    expect(closed).toBe(6);
  });

  it('fails at the first difference, naming the seed, the step and the ops', async () => {
    const run = runDifferential({
      reference: () => ({ subject: counter() }),
      candidate: () => ({ subject: counter(30) }),
      generate,
      apply: (c, n) => c.add(n),
      runs: 5,
      steps: 50,
      seed: 7,
    });
    await expect(run).rejects.toThrow(/differential mismatch at seed \d+, step \d+\nops: \[/);
  });

  it('the seeded generator replays', () => {
    const a = seededRandom(42);
    const b = seededRandom(42);
    expect(Array.from({ length: 5 }, () => a.next())).toEqual(Array.from({ length: 5 }, () => b.next()));
    expect(a.pick(['x'])).toBe('x');
  });
});
