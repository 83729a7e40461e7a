/**
 * The KEYS and ARGV of one decision of `ratelimit-decide` (see lua/decide.ts), built from a request. Kept
 * apart from the batcher: this changes when the script's input layout does, the batcher when the way
 * calls are grouped does.
 */
import type { Keyspace } from '../core/redis/keys.js';
import type { Algorithm } from './algorithms.js';
import { DECIDE_MODES, ENGINE_CODES } from './constants.js';
import type { DecideRequest, PolicyCheck, ResetRequest } from './store.js';

/** KEYS and ARGV of one decision; a batch concatenates them. */
export interface DecisionInput {
  readonly keys: readonly string[];
  readonly args: readonly (string | number)[];
}

/** The script arguments of an algorithm, computed once per (frozen) algorithm value. */
const algorithmArgs = new WeakMap<Algorithm, readonly (string | number)[]>();

function pushPolicyArgs(check: PolicyCheck, into: (string | number)[]): void {
  const a = check.algorithm;
  let head = algorithmArgs.get(a);
  if (!head) {
    head =
      a.engine === 'virtual-scheduling'
        ? [ENGINE_CODES[a.engine], a.capacity, a.periodUs, a.units, a.shaping ? 1 : 0]
        : [ENGINE_CODES[a.engine], a.limit, a.windowMs, 0, 0];
    algorithmArgs.set(a, head);
  }
  into.push(...head, check.blockDurationMs);
}

/**
 * Builds the input of one decision (or the key list of a reset). The state key names its engine, so
 * changing a policy's algorithm starts from fresh state instead of misreading the old one.
 */
export function decisionInput(
  keys: Keyspace,
  request: DecideRequest | ResetRequest,
  mode: DecideRequest['mode'],
  cost: number,
): DecisionInput {
  const keyList: string[] = [];
  const args: (string | number)[] = [DECIDE_MODES[mode], cost, request.checks.length];
  for (const check of request.checks) {
    const base = keys.key(request.hashTag, check.policy, check.key);
    const engine = ENGINE_CODES[check.algorithm.engine];
    keyList.push(`${base}:${engine}`);
    if (engine === ENGINE_CODES['sliding-window-log']) keyList.push(`${base}:n`);
    if (check.blockDurationMs > 0) keyList.push(`${base}:b`);
    pushPolicyArgs(check, args);
  }
  return { keys: keyList, args };
}
