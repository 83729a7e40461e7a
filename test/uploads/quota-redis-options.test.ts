/** Options of the Redis quota store are checked at construction, before any command is sent. */
import { describe, expect, it } from 'vitest';
import { createRedisQuotaStore } from '../../src/uploads/redis.js';
import { reserveScript } from '../../src/uploads/redis-quota-lua.js';

const client = {
  evalsha: () => Promise.reject(new Error('never called')),
  eval: () => Promise.reject(new Error('never called')),
};
const invalidOption = { code: 'ERR_INVALID_OPTION' };

describe('createRedisQuotaStore options', () => {
  it('refuses a missing or wrong client, a prefix that could break hash tags, and unknown options', () => {
    for (const options of [
      undefined,
      {},
      { client: {} },
      { client: { evalsha() {} } },
      { client, prefix: 'a{b' },
      { client, prefix: 'a}b' },
      { client, prefix: '' },
      { client, prefix: 'x'.repeat(65) },
      { client, prefix: 'with space' },
      { client, prefx: 'typo' },
      { client, clock: { now: () => 0 } },
    ]) {
      expect(() => createRedisQuotaStore(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining(invalidOption),
      );
    }
    expect(() => createRedisQuotaStore({ client, prefix: 'my.app:v2' })).not.toThrow();
  });

  it('each script names its KEYS and ARGV in its header', () => {
    const header = reserveScript.source.split('\n').filter((line) => line.startsWith('-- '));
    expect(header).toEqual(
      expect.arrayContaining([
        expect.stringMatching(/^-- KEYS\[1\] ledger/),
        expect.stringMatching(/^-- KEYS\[3\] res/),
        expect.stringMatching(/^-- ARGV\[6\] state/),
      ]),
    );
  });
});
