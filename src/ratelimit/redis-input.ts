/**
 * The KEYS and ARGV of `ratelimit-decide` (see lua/decide.ts), built from requests. Kept apart from the
 * batcher: this changes when the script's input layout does, the batcher when the way calls are grouped
 * does.
 *
 * Layout: ARGV = [now, p, p × (engine, p1, p2, p3, p4, blockMs), m, per decision: head, further policy
 * indexes]. Each distinct policy of the batch is listed once, and a decision is one packed number (see
 * HEAD_POLICY_SLOTS): arguments, not commands, dominate the script's Redis CPU.
 */
import type { Keyspace } from '../core/redis/keys.js';
import type { Algorithm } from './algorithms.js';
import { ENGINE_CODES, HEAD_MAX_POLICIES, HEAD_POLICY_SLOTS } from './constants.js';
import type { DecideRequest, PolicyCheck, ResetRequest } from './store.js';

/** The script arguments of an algorithm, computed once per (frozen) algorithm value. */
const algorithmArgs = new WeakMap<Algorithm, readonly (string | number)[]>();

function argsOf(a: Algorithm): readonly (string | number)[] {
  let head = algorithmArgs.get(a);
  if (!head) {
    head =
      a.engine === 'virtual-scheduling'
        ? [ENGINE_CODES[a.engine], a.capacity, a.periodUs, a.units, a.shaping ? 1 : 0]
        : [ENGINE_CODES[a.engine], a.limit, a.windowMs, 0, 0];
    algorithmArgs.set(a, head);
  }
  return head;
}

/** `:<engine>` of each engine code: the ending of a state key, built once. */
const ENGINE_ENDINGS = new Map<string, string>(Object.values(ENGINE_CODES).map((code) => [code, `:${code}`]));
/** `}:<engine>`: what follows the hash tag in the common key. */
const CLOSED_ENGINE_ENDINGS = new Map<string, string>(
  Object.values(ENGINE_CODES).map((code) => [code, `}:${code}`]),
);
const LOG_ENGINE = ENGINE_CODES['sliding-window-log'];

/**
 * The state, total and block keys of a request, in the order the script reads them, for one keyspace.
 * Short by default: the key is not repeated when the hash tag already holds it, nor the policy name when
 * it is the limiter's own (a limiter made with `algorithm`): `bp:rl:{api:u1}:fw`. Policy names hold no
 * `:`, so the shortened forms cannot collide with each other. The fixed parts are built once, so the
 * common key costs one concatenation per part that varies.
 */
export function createDecisionKeys(keys: Keyspace): (request: DecideRequest | ResetRequest) => string[] {
  const open = `${keys.base}:{`;
  return (request) => {
    const { hashTag, limiter, checks } = request;
    const only = checks.length === 1 ? checks[0] : undefined;
    // The common request, one check whose key the hash tag holds, of the limiter's own policy, one key:
    // `<base>:{<tag>}:<engine>` in two concatenations and a one-slot array.
    if (
      only !== undefined &&
      only.policy === limiter &&
      only.blockDurationMs === 0 &&
      ENGINE_CODES[only.algorithm.engine] !== LOG_ENGINE &&
      tagHolds(hashTag, limiter, only.key)
    ) {
      return [open + hashTag + (CLOSED_ENGINE_ENDINGS.get(ENGINE_CODES[only.algorithm.engine]) as string)];
    }
    const out: string[] = [];
    const tagged = `${open}${hashTag}}`;
    for (const check of checks) {
      const tagHoldsKey = tagHolds(hashTag, limiter, check.key);
      let base = tagged;
      if (check.policy !== limiter || !tagHoldsKey) base += `:${check.policy}`;
      if (!tagHoldsKey) base += `:${check.key}`;
      const engine = ENGINE_CODES[check.algorithm.engine];
      out.push(base + (ENGINE_ENDINGS.get(engine) as string));
      if (engine === LOG_ENGINE) out.push(`${base}:n`);
      if (check.blockDurationMs > 0) out.push(`${base}:b`);
    }
    return out;
  };
}

/** hashTag === `${limiter}:${key}`, without building that string on the hot path. */
function tagHolds(hashTag: string, limiter: string, key: string): boolean {
  return (
    hashTag.length === limiter.length + 1 + key.length &&
    hashTag.startsWith(limiter) &&
    hashTag.charCodeAt(limiter.length) === 58 &&
    hashTag.endsWith(key)
  );
}

/** Collects the distinct policies of one batch and the packed arguments of its decisions. */
export class BatchArgs {
  private readonly policies: PolicyCheck[] = [];
  private readonly decisions: number[] = [];
  private count = 0;

  /** Adds one decision. */
  add(request: DecideRequest): void {
    const { checks } = request;
    const peek = request.mode === 'peek' ? 1 : 0;
    const first = this.indexOf(checks[0] as PolicyCheck);
    this.decisions.push(
      ((request.cost * 2 + peek) * HEAD_MAX_POLICIES + checks.length) * HEAD_POLICY_SLOTS + first,
    );
    for (let i = 1; i < checks.length; i++) this.decisions.push(this.indexOf(checks[i] as PolicyCheck));
    this.count++;
  }

  /** ARGV after the time argument. */
  args(): (string | number)[] {
    const out: (string | number)[] = [this.policies.length];
    for (const p of this.policies) out.push(...argsOf(p.algorithm), p.blockDurationMs);
    out.push(this.count);
    for (const d of this.decisions) out.push(d);
    return out;
  }

  /** Policies are the same when their algorithm value and block are: a batch usually has one or two. */
  private indexOf(check: PolicyCheck): number {
    const { policies } = this;
    for (let i = 0; i < policies.length; i++) {
      const p = policies[i] as PolicyCheck;
      if (p.algorithm === check.algorithm && p.blockDurationMs === check.blockDurationMs) return i;
    }
    policies.push(check);
    return policies.length - 1;
  }
}
