/** The memory user directory: the contract, seeding, and its construction and argument errors. */
import { describe, expect, it } from 'vitest';
import { createMemoryUserDirectory } from '../../src/accounts/index.js';
import { createManualClock, userDirectoryContract } from '../../src/testing/index.js';

userDirectoryContract(
  { describe, it },
  { name: 'memory', setup: (clock) => ({ subject: createMemoryUserDirectory({ clock }) }) },
);

const code = async (call: () => Promise<unknown>) => {
  try {
    await call();
    return 'resolved';
  } catch (error) {
    return (error as { code?: string }).code;
  }
};

describe('memory user directory', () => {
  it('starts with the seeded users, defaults filled in from the clock', async () => {
    const clock = createManualClock(Date.UTC(2026, 0, 1));
    const directory = createMemoryUserDirectory({
      clock,
      users: [
        {
          email: 'ada@example.com',
          id: 'ada',
          verified: true,
          passwordHash: '$argon2id$x',
          credentialsVersion: 3,
        },
        { email: 'bob@example.com', createdAtMs: 5 },
      ],
    });
    expect(await directory.findById('ada')).toEqual({
      id: 'ada',
      email: 'ada@example.com',
      passwordHash: '$argon2id$x',
      verified: true,
      createdAtMs: clock.now(),
      credentialsVersion: 3,
    });
    const bob = await directory.findByEmail('bob@example.com');
    expect(bob).toMatchObject({ passwordHash: null, verified: false, createdAtMs: 5, credentialsVersion: 0 });
    expect(directory.listUsers().map((u) => u.email)).toEqual(['bob@example.com', 'ada@example.com']);
    expect(directory.kind).toBe('memory');
  });

  it('hands out frozen users; listUsers is a frozen snapshot', async () => {
    const directory = createMemoryUserDirectory();
    const user = await directory.create({ email: 'a@example.com', passwordHash: 'h', createdAtMs: 1 });
    expect(Object.isFrozen(user)).toBe(true);
    const list = directory.listUsers();
    expect(Object.isFrozen(list)).toBe(true);
    await directory.create({ email: 'b@example.com', passwordHash: 'h', createdAtMs: 2 });
    expect(list).toHaveLength(1);
  });

  it('refuses bad seeds and options at construction', () => {
    const bad: unknown[] = [
      { users: 'ada' },
      { users: [null] },
      { users: [{ id: 'x' }] },
      { users: [{ email: '' }] },
      { users: [{ email: 'a@example.com', verified: 'yes' }] },
      { users: [{ email: 'a@example.com', credentialsVersion: -1 }] },
      { users: [{ email: 'a@example.com', createdAtMs: Number.NaN }] },
      { users: [{ email: 'a\u0000@example.com' }] },
      { users: [{ email: 'a@example.com' }, { email: 'a@example.com' }] },
      {
        users: [
          { email: 'a@example.com', id: 'x' },
          { email: 'b@example.com', id: 'x' },
        ],
      },
      { unknown: true },
    ];
    for (const options of bad) {
      expect(() => createMemoryUserDirectory(options as never), JSON.stringify(options)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_OPTION' }),
      );
    }
  });

  it('refuses hostile arguments with ERR_INVALID_ARGUMENT and changes nothing', async () => {
    const directory = createMemoryUserDirectory();
    const user = await directory.create({ email: 'a@example.com', passwordHash: 'h', createdAtMs: 1 });
    const id = user!.id;
    const calls: (() => Promise<unknown>)[] = [
      () => directory.findByEmail('' as never),
      () => directory.findByEmail(42 as never),
      () => directory.findById('x'.repeat(513)),
      () => directory.findById('a\u0000b'),
      () => directory.create(null as never),
      () => directory.create({ email: 'b@example.com', passwordHash: '', createdAtMs: 1 }),
      () => directory.create({ email: 'b@example.com', passwordHash: 'h', createdAtMs: -1 }),
      () => directory.create({ email: 'b@example.com', passwordHash: 'h', createdAtMs: Number.NaN }),
      () => directory.create({ email: 'b\n@example.com', passwordHash: 'h', createdAtMs: 1 }),
      () => directory.updatePasswordHash({ userId: id, passwordHash: 'x'.repeat(1025) }),
      () => directory.updatePasswordHash({ userId: id, passwordHash: 'h2', expectedHash: 5 as never }),
      () => directory.markVerified(undefined as never),
      () => directory.bumpCredentialsVersion({} as never),
      () => directory.deleteUnverified({ createdBeforeMs: Number.POSITIVE_INFINITY }),
      () => directory.deleteUnverified({ createdBeforeMs: 10, userId: '' }),
    ];
    for (const call of calls) expect(await code(call)).toBe('ERR_INVALID_ARGUMENT');
    expect(directory.listUsers()).toEqual([user]);
  });
});
