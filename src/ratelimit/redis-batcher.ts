/**
 * The Redis store's batcher, Nagle-style: a decision goes at once when its slot has a free call (after one
 * microtask, so decisions issued in the same tick leave together); while `maxInFlight` calls of that slot
 * are on the wire, later decisions wait and leave together in the next call, as soon as one returns. So
 * an idle server adds no latency and a loaded one sends far fewer calls than decisions, even behind an
 * HTTP server where every request runs in its own tick. A decision never waits more than `maxDelayMs`
 * behind a slow call: then its batch goes anyway, beyond `maxInFlight`.
 *
 * On a Cluster each slot has its own queue and calls (a script runs over one slot's keys), so slots
 * pipeline independently, each on the connection of its node.
 */
import type { Clock } from '../core/clock.js';
import { StoreError } from '../core/errors.js';
import { type RedisScriptClient, runScript, timeArg } from '../core/redis/script.js';
import { keySlot } from '../core/redis/slot.js';
import { DECISION_FIELDS } from './constants.js';
import { decideScript } from './lua/decide.js';
import { BatchArgs } from './redis-input.js';
import type { AnswerSink, DecideRequest, DecideResponse, PolicyDecision } from './store.js';

interface Pending {
  readonly request: DecideRequest;
  readonly keys: readonly string[];
  /** Answered synchronously from the reply (no promise per decision on the limiter's path). */
  readonly sink: AnswerSink<DecideResponse>;
}

/** Answers one decision; a sink that throws must not keep the rest of its batch unanswered. */
function answer(p: Pending, response: DecideResponse | undefined, error: unknown): void {
  try {
    if (response) p.sink.resolve(response);
    else p.sink.reject(error);
  } catch (thrown) {
    queueMicrotask(() => {
      throw thrown;
    });
  }
}

/** What the batcher needs of the store. */
export interface BatcherOptions {
  readonly client: RedisScriptClient;
  /** Undefined: the script reads Redis `TIME`. */
  readonly clock: Clock | undefined;
  readonly maxBatchSize: number;
  /** Calls of one slot on the wire at once before decisions wait for the next call. */
  readonly maxInFlight: number;
  /** Longest a decision waits behind calls in flight before its batch goes anyway, in ms. */
  readonly maxDelayMs: number;
  /** A Cluster can only run one script over keys of one slot: batches are formed per slot there. */
  readonly isCluster: boolean;
}

/** Decodes one policy's three numbers (see DECISION_FIELDS). */
function policyDecision(packed: number, reset: number, retryOrDelay: number): PolicyDecision {
  const flags = ((packed % 4) + 4) % 4;
  const allowed = (flags & 1) === 1;
  return {
    allowed,
    remaining: (packed - flags) / 4,
    resetAfterMs: reset,
    retryAfterMs: allowed ? 0 : retryOrDelay,
    delayMs: allowed ? retryOrDelay : 0,
    blocked: (flags & 2) === 2,
  };
}

/** Splits the decoded reply of one batch into each decision's response, in order. */
function settle(batch: readonly Pending[], values: readonly number[]): void {
  let policies = 0;
  for (const p of batch) policies += p.request.checks.length;
  if (values.length !== 1 + DECISION_FIELDS * policies) {
    const error = new StoreError(
      `unexpected reply from redis script ${decideScript.name}: ${values.length} numbers for ` +
        `${1 + DECISION_FIELDS * policies}`,
    );
    for (const p of batch) answer(p, undefined, error);
    return;
  }
  const nowMs = values[0] as number;
  let at = 1;
  for (const p of batch) {
    const n = p.request.checks.length;
    // Sized up front: an empty literal grows to 17 slots on its first push, for usually one policy.
    const decisions = new Array<PolicyDecision>(n);
    for (let i = 0; i < n; i++, at += DECISION_FIELDS) {
      decisions[i] = policyDecision(values[at] as number, values[at + 1] as number, values[at + 2] as number);
    }
    answer(p, { nowMs, decisions }, undefined);
  }
}

/** The queue and calls of one slot (the only one, off Cluster). */
interface Lane {
  queued: Pending[];
  inFlight: number;
  /** A microtask or timer will send this lane's queue. */
  scheduled: boolean;
  timer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Creates the batcher of one store: `decide(request, keys)` resolves to that decision's response;
 * `into(request, keys, sink)` answers it into `sink` instead.
 */
export function createDecideBatcher(options: BatcherOptions) {
  const { client, clock, maxBatchSize, maxInFlight, maxDelayMs, isCluster } = options;
  const lanes = new Map<number, Lane>();

  const call = (lane: Lane, batch: Pending[]) => {
    const allKeys: string[] = [];
    const args = new BatchArgs();
    for (const p of batch) {
      for (const key of p.keys) allKeys.push(key);
      args.add(p.request);
    }
    lane.inFlight++;
    const done = () => {
      lane.inFlight--;
      if (lane.queued.length > 0 && !lane.scheduled) send(lane);
    };
    runScript(client, decideScript, allKeys, [timeArg(clock), ...args.args()]).then(
      (values) => {
        done();
        settle(batch, values);
      },
      (error: unknown) => {
        done();
        for (const p of batch) answer(p, undefined, error);
      },
    );
  };

  /** Sends what the lane's free calls allow; `force` (the delay cap) sends everything. */
  const send = (lane: Lane, force = false) => {
    while (lane.queued.length > 0 && (force || lane.inFlight < maxInFlight)) {
      const batch = lane.queued.length <= maxBatchSize ? lane.queued : lane.queued.splice(0, maxBatchSize);
      if (batch === lane.queued) lane.queued = [];
      call(lane, batch);
    }
    if (lane.queued.length === 0 && lane.timer !== undefined) {
      clearTimeout(lane.timer);
      lane.timer = undefined;
    } else if (lane.queued.length > 0 && lane.timer === undefined) {
      startDelayCap(lane);
    }
  };

  // Decisions wait behind calls in flight at most maxDelayMs (real time: it bounds real latency).
  const startDelayCap = (lane: Lane) => {
    lane.timer = setTimeout(() => {
      lane.timer = undefined;
      send(lane, true);
    }, maxDelayMs);
    lane.timer.unref?.();
  };

  const laneOf = (slot: number): Lane => {
    let lane = lanes.get(slot);
    if (!lane) {
      lane = { queued: [], inFlight: 0, scheduled: false, timer: undefined };
      lanes.set(slot, lane);
    }
    return lane;
  };

  /** Queues one decision, answered into `sink`. */
  const into = (request: DecideRequest, keys: readonly string[], sink: AnswerSink<DecideResponse>): void => {
    const lane = laneOf(isCluster ? keySlot(keys[0] as string) : 0);
    lane.queued.push({ request, keys, sink });
    if (lane.scheduled || lane.inFlight >= maxInFlight) {
      if (!lane.scheduled && lane.timer === undefined) startDelayCap(lane);
      return;
    }
    lane.scheduled = true;
    queueMicrotask(() => {
      lane.scheduled = false;
      send(lane);
    });
  };
  /** Queues one decision; the promise settles with its response. */
  const decide = (request: DecideRequest, keys: readonly string[]): Promise<DecideResponse> =>
    new Promise((resolve, reject) => into(request, keys, { resolve, reject }));
  return { decide, into };
}
