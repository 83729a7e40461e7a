/**
 * The memory backend: the default. Same semantics as the Redis backend (leases, fencing tokens,
 * depth limits, idempotency windows, dead letters) under the injected clock, within one process.
 * Each method runs synchronously between awaits (see memory-queue.ts), which makes it atomic like a
 * Lua script.
 */
import type { Clock } from '../core/clock.js';
import { defineOptions, opt } from '../core/options.js';
import { MemoryQueue } from './memory-queue.js';
import type { JobBackend } from './types.js';

/** Options of {@link createMemoryJobBackend}. */
export interface MemoryJobBackendOptions {
  /** Time source for delays, leases and lag. Default the system clock. */
  readonly clock?: Clock;
  /** Random source in [0, 1) for backoff jitter of expired leases. Default `Math.random`. */
  readonly random?: () => number;
}

/** The memory backend: a {@link JobBackend} whose `close()` wakes its idle waiters. */
export interface MemoryJobBackend extends JobBackend {
  readonly kind: 'memory';
  /** Wakes idle waiters (the jobs stay in memory). */
  close(): Promise<void>;
}

const parseOptions = defineOptions('createMemoryJobBackend', {
  clock: opt.clock(),
  random: opt.fn<() => number>({ default: Math.random }),
});

/**
 * Creates an in-process job backend. Jobs live in this process only: use it for tests, development
 * and single-process apps that accept losing queued jobs on restart.
 *
 * @example
 * ```ts
 * const clock = createManualClock();
 * const queue = createJobQueue({ name: 'email', backend: createMemoryJobBackend({ clock }), clock });
 * ```
 */
export function createMemoryJobBackend(options: MemoryJobBackendOptions = {}): MemoryJobBackend {
  const { clock, random } = parseOptions(options);
  const queues = new Map<string, MemoryQueue>();
  const state = (name: string): MemoryQueue => {
    let q = queues.get(name);
    if (!q) {
      q = new MemoryQueue(random);
      queues.set(name, q);
    }
    return q;
  };
  const backend: MemoryJobBackend = {
    kind: 'memory',
    add: async (queue, request) => state(queue).add(request, clock.now()),
    claim: async (queue, request) => state(queue).claim(request, clock.now()),
    renew: async (queue, { leases, leaseMs }) => state(queue).renew(leases, leaseMs, clock.now()),
    progress: async (queue, request) => state(queue).progress(request, request.progressJson, clock.now()),
    complete: async (queue, input) => state(queue).complete(input, clock.now()),
    async settle(queue, { completions, claim }) {
      const q = state(queue);
      // Each completion reads the clock, as a separate `complete` call would.
      const completed = completions.map((input) => q.complete(input, clock.now()));
      return claim ? { completed, claimed: q.claim(claim, clock.now()) } : { completed };
    },
    fail: async (queue, input) => state(queue).fail(input, clock.now()),
    release: async (queue, lease) => state(queue).release(lease, clock.now()),
    setPaused: async (queue, paused) => state(queue).setPaused(paused),
    getJob: async (queue, id) => state(queue).getJob(id, clock.now()),
    counts: async (queue) => state(queue).counts(),
    lagMs: async (queue) => state(queue).lagMs(clock.now()),
    listDead: async (queue, { offset, limit }) => state(queue).listDead(offset, limit),
    redrive: async (queue, ids) => state(queue).redrive(ids, clock.now()),
    purgeDead: async (queue, limit) => state(queue).purgeDead(limit),
    waitForWork: (queue, request) => state(queue).waitForWork(request, clock),
    async close() {
      for (const q of queues.values()) q.wake();
    },
  };
  return backend;
}
