/** The rate-limit scripts on the Lua kit: shared constants injected, replies decoded, never cast. */
import { describe, expect, it } from 'vitest';
import { decodeReply, REDIS_TIME } from '../../src/core/redis/script.js';
import { ENGINE_CODES, HEAD_POLICY_SLOTS, TTL_SLACK_MS } from '../../src/ratelimit/constants.js';
import { decideScript, resetScript } from '../../src/ratelimit/lua/decide.js';
import { acquireLeaseScript, extendLeaseScript, releaseLeaseScript } from '../../src/ratelimit/lua/lease.js';

const storeError = (message: RegExp) =>
  expect.objectContaining({ code: 'ERR_STORE', message: expect.stringMatching(message) });

describe('rate-limit scripts', () => {
  it('take the constants they share with TypeScript from it, and one time marker', () => {
    expect(decideScript.source).toContain(`-- constant TTL_SLACK_MS = ${TTL_SLACK_MS}`);
    expect(decideScript.source).toContain(`-- constant ENGINE_FW = '${ENGINE_CODES['fixed-window']}'`);
    expect(decideScript.source).toContain(`-- constant HEAD_POLICY_SLOTS = ${HEAD_POLICY_SLOTS}`);
    expect(decideScript.source).toContain(`-- constant REDIS_TIME = '${REDIS_TIME}'`);
    for (const script of [acquireLeaseScript, extendLeaseScript]) {
      expect(script.source).toContain(`-- constant TTL_SLACK_MS = ${TTL_SLACK_MS}`);
    }
    for (const script of [
      decideScript,
      resetScript,
      acquireLeaseScript,
      releaseLeaseScript,
      extendLeaseScript,
    ]) {
      expect(script.name).toMatch(/^ratelimit-/);
    }
  });

  it('decode the decision reply in one pass and refuse an unexpected shape with a StoreError', () => {
    expect(decodeReply(decideScript, [5, 1, 2, 3, 4, 0, 0])).toEqual([5, 1, 2, 3, 4, 0, 0]);
    expect(() => decodeReply(decideScript, 'OK')).toThrow(storeError(/ratelimit-decide/));
    expect(() => decodeReply(decideScript, [5, 1, 2])).toThrow(storeError(/array\(1 \+ 3/));
    expect(() => decodeReply(decideScript, [5, 1, 2, '3'])).toThrow(storeError(/\[3\]: expected integer/));
    expect(() => decodeReply(decideScript, [5, 1, 2, 3.5])).toThrow(storeError(/\[3\]/));
  });

  it('decode the lease replies', () => {
    expect(decodeReply(acquireLeaseScript, [1, 10, 2, 99])).toEqual([true, 10, 2, 99]);
    expect(() => decodeReply(acquireLeaseScript, [1, 10, 2])).toThrow(storeError(/lease-acquire/));
    expect(decodeReply(releaseLeaseScript, 0)).toBe(false);
    expect(() => decodeReply(releaseLeaseScript, 2)).toThrow(storeError(/0 or 1/));
    expect(decodeReply(extendLeaseScript, -1)).toBeUndefined();
    expect(decodeReply(extendLeaseScript, 1234)).toBe(1234);
  });
});
