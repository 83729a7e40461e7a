/**
 * The auth module on the module kit: script replies are decoded (an unexpected shape is a StoreError
 * naming the script, never a cast), the scripts share their literals with the memory stores, every
 * store parses its options, reports its kind, and its error codes are typed and listed.
 */
import { describe, expect, it } from 'vitest';
import {
  AUTH_ERROR_CODES,
  createMemoryRefreshStore,
  createMemoryRevocationStore,
  createMemorySessionStore,
  ForbiddenError,
  RbacConditionError,
  TokenExpiredError,
  TokenInvalidError,
  TokenReusedError,
  TokenRevokedError,
} from '../../src/auth/index.js';
import { rotateScript } from '../../src/auth/lua/refresh.js';
import { checkScript, revokeJtiScript } from '../../src/auth/lua/revocation.js';
import { deleteSessionScript, takeSessionScript, touchSessionScript } from '../../src/auth/lua/sessions.js';
import {
  createRedisAuthStores,
  createRedisRefreshStore,
  createRedisRevocationStore,
  createRedisSessionStore,
} from '../../src/auth/redis.js';
import { ROTATION, SESSION_STATUS } from '../../src/auth/store-constants.js';
import { decodeReply } from '../../src/core/redis/script.js';

const client = { evalsha: async () => 0, eval: async () => 0 };

describe('script replies are decoded', () => {
  it('rotate: every status with its fields, and nothing else', () => {
    expect(decodeReply(rotateScript, ['rotated', 'u1', '1767225600000'])).toEqual({
      status: 'rotated',
      userId: 'u1',
      expiresAtMs: 1767225600000,
    });
    expect(decodeReply(rotateScript, ['reused', 'u1'])).toEqual({ status: 'reused', userId: 'u1' });
    expect(decodeReply(rotateScript, ['unknown'])).toEqual({ status: 'unknown' });
    for (const bad of [
      'rotated',
      ['rotated', 'u1'],
      ['stolen'],
      ['revoked', 'u1'],
      [],
      ['grace', 'u', 'x'],
    ]) {
      expect(() => decodeReply(rotateScript, bad)).toThrow(
        expect.objectContaining({
          code: 'ERR_STORE',
          message: expect.stringContaining('auth-refresh-rotate'),
        }),
      );
    }
  });

  it('sessions: a touched record, an absent one, and malformed data', () => {
    const fields = ['u1', '{"a":1}', '1', '2', '3', '4'];
    expect(decodeReply(touchSessionScript, ['active', ...fields])).toEqual({
      status: 'active',
      fields: {
        userId: 'u1',
        data: { a: 1 },
        createdAtMs: 1,
        lastActiveAtMs: 2,
        idleTimeoutMs: 3,
        absoluteExpiresAtMs: 4,
      },
    });
    expect(decodeReply(touchSessionScript, ['idle-timeout'])).toEqual({ status: 'idle-timeout' });
    expect(decodeReply(takeSessionScript, [])).toBeUndefined();
    expect(decodeReply(deleteSessionScript, '')).toBeUndefined();
    for (const bad of [
      ['active', 'u1'],
      ['active', 'u1', '[1]', '1', '2', '3', '4'],
      ['active', 'u1', 'not json', '1', '2', '3', '4'],
      ['active', 'u1', 'null', '1', '2', '3', '4'],
      ['active', 'u1', '{}', '', '2', '3', '4'],
      ['active', 'u1', '{}', '1', 'NaN', '3', '4'],
      ['active', 7, '{}', '1', '2', '3', '4'],
      ['active', 'u1', '{}', '1', '2', '3', '4', 'extra'],
      ['idle-timeout', 'x'],
      7,
    ]) {
      expect(() => decodeReply(touchSessionScript, bad)).toThrow(
        expect.objectContaining({ code: 'ERR_STORE' }),
      );
    }
    expect(() => decodeReply(takeSessionScript, ['u1', 'not json', '1', '2', '3', '4'])).toThrow(
      expect.objectContaining({ code: 'ERR_STORE' }),
    );
  });

  it('revocation: check is a flag and an integer', () => {
    expect(decodeReply(checkScript, [1, 3])).toEqual([true, 3]);
    expect(() => decodeReply(checkScript, [2, 3])).toThrow(expect.objectContaining({ code: 'ERR_STORE' }));
    expect(() => decodeReply(checkScript, ['1', '3'])).toThrow(
      expect.objectContaining({ code: 'ERR_STORE' }),
    );
  });

  it('the scripts take their status strings from the constants the memory stores use', () => {
    expect(rotateScript.source).toContain(`-- constant ROTATED = '${ROTATION.ROTATED}'`);
    expect(touchSessionScript.source).toContain(
      `-- constant IDLE_TIMEOUT = '${SESSION_STATUS.IDLE_TIMEOUT}'`,
    );
    // One time marker: every script that needs the time reads it through the SERVER_TIME chunk.
    for (const script of [rotateScript, revokeJtiScript, touchSessionScript]) {
      expect(script.source).toContain('-- chunk server-time');
    }
  });
});

describe('store options and shape', () => {
  it('every store reports its kind', () => {
    expect(createMemoryRefreshStore().kind).toBe('memory');
    expect(createMemoryRevocationStore().kind).toBe('memory');
    expect(createMemorySessionStore().kind).toBe('memory');
    const stores = createRedisAuthStores({ client });
    expect([stores.refresh.kind, stores.revocation.kind, stores.sessions.kind]).toEqual([
      'redis',
      'redis',
      'redis',
    ]);
  });

  it('unknown keys, bad clocks and out-of-range tolerances fail at construction, naming the factory', () => {
    const bad: [string, () => unknown][] = [
      ['createMemoryRefreshStore', () => createMemoryRefreshStore({ clok: {} } as never)],
      ['createMemoryRevocationStore', () => createMemoryRevocationStore({ clockSkewMs: -1 })],
      ['createMemorySessionStore', () => createMemorySessionStore({ clock: {} as never })],
      ['createRedisRefreshStore', () => createRedisRefreshStore({ client, nowMs: 1 } as never)],
      ['createRedisRevocationStore', () => createRedisRevocationStore({ client, clockSkewMs: 3_600_001 })],
      ['createRedisSessionStore', () => createRedisSessionStore({ client, prefix: '{x}' })],
      ['createRedisAuthStores', () => createRedisAuthStores({ client: { eval() {} } as never })],
    ];
    for (const [owner, build] of bad) {
      expect(build).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION', message: expect.stringContaining(owner) }),
      );
    }
  });
});

describe('error codes', () => {
  it('are listed and carried by the typed classes', () => {
    const codes = [
      new TokenInvalidError('x', { reason: 'malformed' }).code,
      new TokenExpiredError('x').code,
      new TokenRevokedError('x').code,
      new TokenReusedError('x').code,
      new ForbiddenError('post:read').code,
      new RbacConditionError({ permission: 'post:read', role: 'r', effect: 'deny', got: 'number' }).code,
    ];
    expect([...AUTH_ERROR_CODES].sort()).toEqual([...codes].sort());
  });
});
