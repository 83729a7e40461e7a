/**
 * Role-based access control: roles with inheritance, `resource:action` permissions with whole-segment
 * wildcards, deny over allow, and optional conditions on the resource (ownership, attributes). The policy
 * is checked and flattened once, at construction; `can` is then a scan of precomputed rules.
 */
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';
import { option } from '../core/validate.js';
import { ForbiddenError } from './errors.js';

/** Who asks: an id, role names, and any attributes your conditions read. */
export interface RbacSubject {
  readonly id: string;
  readonly roles: readonly string[];
}

/** A condition on the subject and the resource; no resource → the rule does not apply (fail closed). */
export type RbacCondition<S extends RbacSubject = RbacSubject, R = unknown> = (
  subject: S,
  resource: R,
) => boolean;

/** A permission pattern (`post:edit`, `post:*`, `*:*`), optionally with a condition. */
export type RbacRule<S extends RbacSubject = RbacSubject, R = unknown> =
  | string
  | { readonly permission: string; readonly when: RbacCondition<S, R> };

/** One role of the policy. */
export interface RbacRole<S extends RbacSubject = RbacSubject, R = unknown> {
  /** Roles whose rules this role also has. */
  readonly inherits?: readonly string[];
  readonly allow?: readonly RbacRule<S, R>[];
  /** Deny rules win over every allow rule, from any role. */
  readonly deny?: readonly RbacRule<S, R>[];
}

/** The whole policy. */
export interface RbacPolicy<S extends RbacSubject = RbacSubject, R = unknown> {
  readonly roles: Readonly<Record<string, RbacRole<S, R>>>;
}

/** Access checks against one policy. */
export interface Rbac<S extends RbacSubject = RbacSubject, R = unknown> {
  /** True when some role of `subject` allows `permission` (on `resource`) and none denies it. */
  can(subject: S, permission: string, resource?: R): boolean;
  /** Like `can`, but throws `ForbiddenError` (`ERR_FORBIDDEN`) when refused. */
  assert(subject: S, permission: string, resource?: R): void;
  /** The role names of the policy. */
  roles(): readonly string[];
}

interface CompiledRule<S extends RbacSubject, R> {
  readonly resource: string;
  readonly action: string;
  readonly when: RbacCondition<S, R> | undefined;
}

const ROLE = /^[A-Za-z0-9_-]{1,64}$/;
const SEGMENT = '(?:\\*|[a-z0-9_-]{1,64})';
const PATTERN = new RegExp(`^${SEGMENT}:${SEGMENT}$`);
const PERMISSION = /^[a-z0-9_-]{1,64}:[a-z0-9_-]{1,64}$/;

function compileRule<S extends RbacSubject, R>(role: string, rule: RbacRule<S, R>): CompiledRule<S, R> {
  const permission = typeof rule === 'string' ? rule : rule?.permission;
  const when = typeof rule === 'string' ? undefined : rule?.when;
  if (typeof permission !== 'string' || !PATTERN.test(permission)) {
    throw new InvalidOptionError(
      `role \`${role}\`: bad permission pattern ${JSON.stringify(String(permission)).slice(0, 80)} (expected resource:action, segments [a-z0-9_-] or *)`,
    );
  }
  if (typeof rule !== 'string' && typeof when !== 'function') {
    throw new InvalidOptionError(`role \`${role}\`: rule \`${permission}\` needs a \`when\` function`);
  }
  const [resource, action] = permission.split(':') as [string, string];
  return { resource, action, when };
}

const matches = (
  rule: { readonly resource: string; readonly action: string },
  resource: string,
  action: string,
) => (rule.resource === '*' || rule.resource === resource) && (rule.action === '*' || rule.action === action);

/**
 * Builds an RBAC checker. Unknown roles in `inherits`, cycles, bad patterns and unknown keys fail here
 * with `ERR_INVALID_OPTION` naming the role.
 *
 * @example
 * ```ts
 * const rbac = createRbac<User, Post>({
 *   roles: {
 *     viewer: { allow: ['post:read'] },
 *     author: { inherits: ['viewer'], allow: [{ permission: 'post:edit', when: (u, p) => p.authorId === u.id }] },
 *     admin: { inherits: ['author'], allow: ['*:*'], deny: ['billing:delete'] },
 *   },
 * });
 * rbac.can(user, 'post:edit', post);
 * ```
 */
export function createRbac<S extends RbacSubject = RbacSubject, R = unknown>(
  policy: RbacPolicy<S, R>,
): Rbac<S, R> {
  if (typeof policy !== 'object' || policy === null) throw new InvalidOptionError('`policy` is required');
  option.knownKeys('createRbac', policy, ['roles']);
  const roles = policy.roles;
  if (typeof roles !== 'object' || roles === null) throw new InvalidOptionError('`roles` must be an object');
  for (const [name, role] of Object.entries(roles)) {
    if (!ROLE.test(name))
      throw new InvalidOptionError(`role name \`${name.slice(0, 64)}\` must be 1..64 of [A-Za-z0-9_-]`);
    if (typeof role !== 'object' || role === null)
      throw new InvalidOptionError(`role \`${name}\` must be an object`);
    option.knownKeys(`role \`${name}\``, role, ['inherits', 'allow', 'deny']);
    for (const parent of role.inherits ?? []) {
      if (!Object.hasOwn(roles, parent)) {
        throw new InvalidOptionError(
          `role \`${name}\` inherits unknown role \`${String(parent).slice(0, 64)}\``,
        );
      }
    }
  }

  const allow = new Map<string, CompiledRule<S, R>[]>();
  const deny = new Map<string, CompiledRule<S, R>[]>();
  const state = new Map<string, 'visiting' | 'done'>();
  const flatten = (name: string, path: string[]) => {
    if (state.get(name) === 'done') return;
    if (state.get(name) === 'visiting') {
      throw new InvalidOptionError(`role inheritance has a cycle: ${[...path, name].join(' -> ')}`);
    }
    state.set(name, 'visiting');
    const role = roles[name] as RbacRole<S, R>;
    const ownAllow = (role.allow ?? []).map((r) => compileRule(name, r));
    const ownDeny = (role.deny ?? []).map((r) => compileRule(name, r));
    for (const parent of role.inherits ?? []) {
      flatten(parent, [...path, name]);
      ownAllow.push(...(allow.get(parent) ?? []));
      ownDeny.push(...(deny.get(parent) ?? []));
    }
    allow.set(name, [...new Set(ownAllow)]);
    deny.set(name, [...new Set(ownDeny)]);
    state.set(name, 'done');
  };
  for (const name of Object.keys(roles)) flatten(name, []);

  // A condition that cannot be evaluated (no resource, or it throws) counts as "not allowed" for an
  // allow rule and as "denied" for a deny rule: fail closed both ways.
  const holds = (rule: CompiledRule<S, R>, subject: S, resource: R | undefined, whenUnknown: boolean) => {
    if (rule.when === undefined) return true;
    if (resource === undefined) return whenUnknown;
    try {
      return rule.when(subject, resource) === true;
    } catch {
      return whenUnknown;
    }
  };

  const can = (subject: S, permission: string, resource?: R) => {
    if (typeof permission !== 'string' || !PERMISSION.test(permission)) {
      throw new InvalidArgumentError(
        '`permission` must be a concrete resource:action of [a-z0-9_-] (no wildcards)',
      );
    }
    if (typeof subject !== 'object' || subject === null || !Array.isArray(subject.roles)) {
      throw new InvalidArgumentError('`subject` must have a `roles` array');
    }
    const [res, action] = permission.split(':') as [string, string];
    // Roles the policy does not know grant nothing (a token may carry a role that was removed).
    const known = subject.roles.filter((r) => typeof r === 'string' && allow.has(r));
    for (const role of known) {
      for (const rule of deny.get(role) ?? []) {
        if (matches(rule, res, action) && holds(rule, subject, resource, true)) return false;
      }
    }
    for (const role of known) {
      for (const rule of allow.get(role) ?? []) {
        if (matches(rule, res, action) && holds(rule, subject, resource, false)) return true;
      }
    }
    return false;
  };

  return {
    can,
    assert(subject, permission, resource) {
      if (!can(subject, permission, resource)) throw new ForbiddenError(permission);
    },
    roles: () => Object.keys(roles),
  };
}
