/**
 * The Redis store's per-tick batcher: decisions issued in the same tick wait for one microtask and leave
 * together in one `ratelimit-decide` call (up to `maxBatchSize`, grouped by Cluster slot), so under load
 * the round trips and per-command overhead are shared. One promise chain per batch; the reply is decoded
 * once and split per decision without copying it.
 */
import type { Clock } from '../core/clock.js';
import { StoreError } from '../core/errors.js';
import { type RedisScriptClient, runScript, timeArg } from '../core/redis/script.js';
import { keySlot } from '../core/redis/slot.js';
import { DECISION_FIELDS } from './constants.js';
import { decideScript } from './lua/decide.js';
import type { DecisionInput } from './redis-input.js';
import type { DecideResponse, PolicyDecision } from './store.js';

interface Pending {
  readonly input: DecisionInput;
  /** Policies in this decision: how many groups of the reply are its own. */
  readonly policies: number;
  readonly resolve: (response: DecideResponse) => void;
  readonly reject: (error: unknown) => void;
}

/** What the batcher needs of the store. */
export interface BatcherOptions {
  readonly client: RedisScriptClient;
  /** Undefined: the script reads Redis `TIME`. */
  readonly clock: Clock | undefined;
  readonly maxBatchSize: number;
  /** A Cluster can only run one script over keys of one slot: batches are formed per slot there. */
  readonly isCluster: boolean;
}

/** Splits the decoded reply of one batch into each decision's response, in order. */
function settle(batch: readonly Pending[], values: readonly number[]): void {
  const expected = 1 + DECISION_FIELDS * batch.reduce((sum, p) => sum + p.policies, 0);
  if (values.length !== expected) {
    const error = new StoreError(
      `unexpected reply from redis script ${decideScript.name}: ${values.length} numbers for ${expected}`,
    );
    for (const p of batch) p.reject(error);
    return;
  }
  const nowMs = values[0] as number;
  let at = 1;
  for (const p of batch) {
    const decisions: PolicyDecision[] = [];
    for (let i = 0; i < p.policies; i++, at += DECISION_FIELDS) {
      decisions.push({
        allowed: values[at] === 1,
        remaining: values[at + 1] as number,
        resetAfterMs: values[at + 2] as number,
        retryAfterMs: values[at + 3] as number,
        delayMs: values[at + 4] as number,
        blocked: values[at + 5] === 1,
      });
    }
    p.resolve({ nowMs, decisions });
  }
}

/** Creates the batcher of one store: `decide(input, policies)` resolves to that decision's response. */
export function createDecideBatcher(options: BatcherOptions) {
  const { client, clock, maxBatchSize, isCluster } = options;

  const send = (batch: readonly Pending[]) => {
    const allKeys: string[] = [];
    const allArgs: (string | number)[] = [timeArg(clock), batch.length];
    for (const p of batch) {
      allKeys.push(...p.input.keys);
      allArgs.push(...p.input.args);
    }
    runScript(client, decideScript, allKeys, allArgs).then(
      (values) => settle(batch, values),
      (error: unknown) => {
        for (const p of batch) p.reject(error);
      },
    );
  };

  let queued: Pending[] = [];
  const flush = () => {
    const all = queued;
    queued = [];
    const groups = new Map<number, Pending[]>();
    for (const p of all) {
      const slot = isCluster ? keySlot(p.input.keys[0] as string) : 0;
      let group = groups.get(slot);
      if (!group) {
        group = [];
        groups.set(slot, group);
      }
      group.push(p);
      if (group.length === maxBatchSize) {
        send(group);
        groups.set(slot, []);
      }
    }
    for (const group of groups.values()) if (group.length) send(group);
  };

  return (input: DecisionInput, policies: number): Promise<DecideResponse> =>
    new Promise((resolve, reject) => {
      if (queued.length === 0) queueMicrotask(flush);
      queued.push({ input, policies, resolve, reject });
    });
}
