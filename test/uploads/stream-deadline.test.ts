/**
 * The body deadlines on a manual clock: idle time counts only while a read is pending (our own waits for
 * the store do not), the total deadline counts from the start, each fires once with ERR_UPLOAD_TIMEOUT,
 * and stop() leaves no sleeper behind.
 */
import { describe, expect, it } from 'vitest';
import { createManualClock } from '../../src/core/manual-clock.js';
import type { UploadRejectedError } from '../../src/uploads/errors.js';
import { startDeadlines } from '../../src/uploads/stream-deadline.js';
import { settle } from './stream-helpers.js';

function setup(idleTimeoutMs = 500, totalTimeoutMs = 10_000) {
  const clock = createManualClock(1_000_000);
  const fired: UploadRejectedError[] = [];
  const deadlines = startDeadlines({ clock, idleTimeoutMs, totalTimeoutMs, onTimeout: (e) => fired.push(e) });
  return { clock, fired, deadlines };
}

async function advance(clock: ReturnType<typeof createManualClock>, ms: number) {
  await settle(2);
  clock.advance(ms);
  await settle(2);
}

describe('startDeadlines', () => {
  it('fires the idle timeout after idleTimeoutMs of one pending read', async () => {
    const { clock, fired, deadlines } = setup();
    await advance(clock, 300);
    deadlines.readStarted();
    await advance(clock, 499);
    expect(fired).toEqual([]);
    await advance(clock, 1);
    expect(fired).toHaveLength(1);
    expect(fired[0]).toMatchObject({ code: 'ERR_UPLOAD_TIMEOUT', httpStatus: 408, message: /idle/ });
    await advance(clock, 20_000);
    expect(fired).toHaveLength(1);
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('time outside reads (waiting for the store) is not idleness; each chunk restarts the idle timer', async () => {
    const { clock, fired, deadlines } = setup(500, 60_000);
    for (let i = 0; i < 5; i++) {
      deadlines.readStarted();
      await advance(clock, 400);
      deadlines.readEnded();
      await advance(clock, 2000); // a slow part upload
    }
    expect(fired).toEqual([]);
    deadlines.stop();
    await settle();
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('fires the total timeout for a body that trickles steadily', async () => {
    const { clock, fired, deadlines } = setup(500, 3000);
    for (let i = 0; i < 10 && fired.length === 0; i++) {
      deadlines.readStarted();
      await advance(clock, 400);
      deadlines.readEnded();
    }
    expect(fired).toHaveLength(1);
    expect(fired[0]?.message).toMatch(/total/);
    expect(clock.pendingSleepers()).toBe(0);
  });

  it('stop() cancels both timers', async () => {
    const { clock, fired, deadlines } = setup(500, 1000);
    deadlines.readStarted();
    await settle();
    expect(clock.pendingSleepers()).toBe(2);
    deadlines.stop();
    deadlines.stop();
    await advance(clock, 5000);
    expect(fired).toEqual([]);
    expect(clock.pendingSleepers()).toBe(0);
  });
});
