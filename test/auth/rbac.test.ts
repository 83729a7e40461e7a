import { describe, expect, it } from 'vitest';
import { createRbac, type RbacSubject } from '../../src/auth/index.js';

interface Post {
  readonly authorId: string;
  readonly status: 'draft' | 'published';
}
type User = RbacSubject & { readonly tenant?: string };

const rbac = createRbac<User, Post>({
  roles: {
    viewer: { allow: ['post:read'] },
    author: {
      inherits: ['viewer'],
      allow: [{ permission: 'post:edit', when: (user, post) => post.authorId === user.id }],
      deny: [{ permission: 'post:delete', when: (_user, post) => post.status === 'published' }],
    },
    moderator: { inherits: ['viewer'], allow: ['post:*', 'comment:delete'] },
    admin: { inherits: ['author', 'moderator'], allow: ['*:*'], deny: ['billing:delete'] },
    auditor: { allow: ['*:read'] },
    suspended: { deny: ['*:*'] },
  },
});
const user = (roles: string[], id = 'u1'): User => ({ id, roles });
const mine: Post = { authorId: 'u1', status: 'draft' };
const theirs: Post = { authorId: 'u2', status: 'published' };

describe('createRbac', () => {
  it('inheritance: author can read because viewer can', () => {
    expect(rbac.can(user(['author']), 'post:read')).toBe(true);
    expect(rbac.can(user(['viewer']), 'post:edit', mine)).toBe(false);
  });

  it('ownership conditions: an author edits their own post only; no resource fails closed', () => {
    expect(rbac.can(user(['author']), 'post:edit', mine)).toBe(true);
    expect(rbac.can(user(['author']), 'post:edit', theirs)).toBe(false);
    expect(rbac.can(user(['author']), 'post:edit')).toBe(false);
  });

  it('deny wins over allow, from any role', () => {
    expect(rbac.can(user(['admin']), 'billing:read')).toBe(true);
    expect(rbac.can(user(['admin']), 'billing:delete')).toBe(false);
    expect(rbac.can(user(['admin', 'suspended']), 'post:read')).toBe(false);
    // admin inherits author's conditional deny: published posts cannot be deleted even by admin
    expect(rbac.can(user(['admin']), 'post:delete', theirs)).toBe(false);
    expect(rbac.can(user(['admin']), 'post:delete', mine)).toBe(true);
    // a conditional deny with no resource to check denies (fail closed)
    expect(rbac.can(user(['admin']), 'post:delete')).toBe(false);
  });

  it('wildcard edges', () => {
    expect(rbac.can(user(['moderator']), 'post:anything')).toBe(true);
    expect(rbac.can(user(['moderator']), 'postal:read')).toBe(false);
    expect(rbac.can(user(['moderator']), 'comment:edit')).toBe(false);
    expect(rbac.can(user(['auditor']), 'billing:read')).toBe(true);
    expect(rbac.can(user(['auditor']), 'billing:reader')).toBe(false);
    expect(rbac.can(user(['admin']), 'anything:at-all')).toBe(true);
    for (const permission of [
      'post:*',
      '*:*',
      '*',
      'post',
      'post:read:extra',
      'Post:Read',
      '',
      'post:rea d',
    ]) {
      expect(() => rbac.can(user(['admin']), permission)).toThrow(
        expect.objectContaining({ code: 'ERR_INVALID_ARGUMENT' }),
      );
    }
  });

  it('unknown subject roles grant nothing; no roles grants nothing', () => {
    expect(rbac.can(user(['root']), 'post:read')).toBe(false);
    expect(rbac.can(user([]), 'post:read')).toBe(false);
    expect(rbac.can(user(['__proto__', 'constructor']), 'post:read')).toBe(false);
  });

  it('a condition that throws counts as not allowed', () => {
    const fragile = createRbac<User, Post>({
      roles: {
        r: {
          allow: [
            {
              permission: 'post:edit',
              when: () => {
                throw new Error('boom');
              },
            },
          ],
        },
      },
    });
    expect(fragile.can(user(['r']), 'post:edit', mine)).toBe(false);
  });

  it('a deny condition that returns a non-boolean is ERR_RBAC_CONDITION and never lets the request through', async () => {
    const results: unknown[] = [
      1,
      'yes',
      Promise.resolve(true),
      Promise.reject(new Error('late')),
      undefined,
      {},
      null,
    ];
    for (const result of results) {
      const policy = createRbac<User, Post>({
        roles: {
          r: {
            allow: ['post:delete'],
            deny: [{ permission: 'post:delete', when: () => result as boolean }],
          },
        },
      });
      const label = String(result);
      expect(() => policy.can(user(['r']), 'post:delete', mine), label).toThrow(
        expect.objectContaining({
          code: 'ERR_RBAC_CONDITION',
          permission: 'post:delete',
          role: 'r',
          effect: 'deny',
        }),
      );
      expect(() => policy.assert(user(['r']), 'post:delete', mine), label).toThrow(
        expect.objectContaining({ code: 'ERR_RBAC_CONDITION' }),
      );
    }
    // A rejected promise returned by a condition is not left unhandled (the run would report it).
    await new Promise((r) => setTimeout(r, 5));
  });

  it('an allow condition that returns a non-boolean is ERR_RBAC_CONDITION, never an allow', () => {
    for (const result of [1, 'true', Promise.resolve(true), undefined]) {
      const policy = createRbac<User, Post>({
        roles: {
          child: { inherits: ['parent'] },
          parent: { allow: [{ permission: 'post:edit', when: () => result as unknown as boolean }] },
        },
      });
      expect(() => policy.can(user(['child']), 'post:edit', mine), String(result)).toThrow(
        expect.objectContaining({ code: 'ERR_RBAC_CONDITION', role: 'parent', effect: 'allow' }),
      );
    }
    // Real booleans keep working, and a deny that does not apply leaves the allow to decide.
    const ok = createRbac<User, Post>({
      roles: {
        r: {
          allow: [{ permission: 'post:edit', when: () => true }],
          deny: [{ permission: 'post:edit', when: () => false }],
        },
      },
    });
    expect(ok.can(user(['r']), 'post:edit', mine)).toBe(true);
  });

  it('assert throws ERR_FORBIDDEN naming the permission only', () => {
    expect(() => rbac.assert(user(['viewer']), 'post:edit', mine)).toThrow(
      expect.objectContaining({
        code: 'ERR_FORBIDDEN',
        permission: 'post:edit',
        message: 'permission `post:edit` denied',
      }),
    );
    expect(() => rbac.assert(user(['author']), 'post:edit', mine)).not.toThrow();
  });

  it('rejects cycles, unknown roles, bad patterns and unknown keys at construction', () => {
    const bad: [unknown, RegExp][] = [
      [{ roles: { a: { inherits: ['b'] }, b: { inherits: ['a'] } } }, /cycle: a -> b -> a/],
      [{ roles: { a: { inherits: ['a'] } } }, /cycle/],
      [{ roles: { a: { inherits: ['b'] }, b: { inherits: ['c'] }, c: { inherits: ['a'] } } }, /cycle/],
      [{ roles: { a: { inherits: ['ghost'] } } }, /unknown role `ghost`/],
      [{ roles: { a: { allow: ['post*'] } } }, /bad permission pattern/],
      [{ roles: { a: { allow: ['post:read:x'] } } }, /bad permission pattern/],
      [{ roles: { a: { allow: ['*'] } } }, /bad permission pattern/],
      [{ roles: { a: { allow: [{ permission: 'post:edit' }] } } }, /needs a `when`/],
      [{ roles: { a: { allows: ['post:read'] } } }, /unknown option `allows`/],
      [{ roles: { 'bad role': {} } }, /role name/],
      [{ roles: {}, extra: 1 }, /unknown option `extra`/],
    ];
    for (const [policy, message] of bad) {
      expect(() => createRbac(policy as never)).toThrow(message);
    }
  });
});
