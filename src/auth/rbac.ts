/**
 * Role-based access control: roles with inheritance, `resource:action` permissions with whole-segment
 * wildcards, deny over allow, and optional conditions on the resource (ownership, attributes). The policy
 * is checked and flattened once, at construction; `can` is then a scan of precomputed rules.
 */
import { InvalidArgumentError, InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { ForbiddenError, RbacConditionError } from './errors.js';

/** Who asks: an id, role names, and any attributes your conditions read. */
export interface RbacSubject {
  readonly id: string;
  readonly roles: readonly string[];
}

/**
 * A condition on the subject and the resource; no resource → the rule does not apply (fail closed). It
 * must synchronously return a boolean: anything else (`1`, `'yes'`, `undefined`, a promise) makes the
 * check throw `RbacConditionError` (`ERR_RBAC_CONDITION`). A condition that throws counts as not
 * allowed (allow rule) or denied (deny rule).
 */
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
  /**
   * True when some role of `subject` allows `permission` (on `resource`) and none denies it. Throws
   * `RbacConditionError` (`ERR_RBAC_CONDITION`) when a condition it evaluates returns a non-boolean.
   */
  can(subject: S, permission: string, resource?: R): boolean;
  /** Like `can`, but throws `ForbiddenError` (`ERR_FORBIDDEN`) when refused (and `RbacConditionError` as `can`). */
  assert(subject: S, permission: string, resource?: R): void;
  /** The role names of the policy. */
  roles(): readonly string[];
}

interface CompiledRule<S extends RbacSubject, R> {
  /** The role that declared the rule, and its effect: for the error of a non-boolean condition. */
  readonly role: string;
  readonly effect: 'allow' | 'deny';
  readonly resource: string;
  readonly action: string;
  readonly when: RbacCondition<S, R> | undefined;
}

const ROLE = /^[A-Za-z0-9_-]{1,64}$/;
const SEGMENT = '(?:\\*|[a-z0-9_-]{1,64})';
const PATTERN = new RegExp(`^${SEGMENT}:${SEGMENT}$`);
const PERMISSION = /^[a-z0-9_-]{1,64}:[a-z0-9_-]{1,64}$/;

function compileRule<S extends RbacSubject, R>(
  role: string,
  effect: 'allow' | 'deny',
  rule: RbacRule<S, R>,
): CompiledRule<S, R> {
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
  return { role, effect, resource, action, when };
}

const matches = (
  rule: { readonly resource: string; readonly action: string },
  resource: string,
  action: string,
) => (rule.resource === '*' || rule.resource === resource) && (rule.action === '*' || rule.action === action);

const ROLE_KEYS = ['inherits', 'allow', 'deny'];

/** Checks the role table: names, shapes, known keys, and that every inherited role exists. */
function checkRoles(
  value: unknown,
  path: string,
  owner: string,
): Readonly<Record<string, RbacRole<never, never>>> {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    throw optionError(owner, path, 'an object of roles', value);
  }
  const roles = value as Record<string, unknown>;
  for (const [name, role] of Object.entries(roles)) {
    if (!ROLE.test(name))
      throw new InvalidOptionError(`role name \`${name.slice(0, 64)}\` must be 1..64 of [A-Za-z0-9_-]`);
    if (typeof role !== 'object' || role === null)
      throw new InvalidOptionError(`role \`${name}\` must be an object`);
    for (const key of Object.keys(role)) {
      if (!ROLE_KEYS.includes(key))
        throw new InvalidOptionError(`unknown option \`${key}\` for role \`${name}\``);
    }
    for (const parent of (role as RbacRole).inherits ?? []) {
      if (!Object.hasOwn(roles, parent)) {
        throw new InvalidOptionError(
          `role \`${name}\` inherits unknown role \`${String(parent).slice(0, 64)}\``,
        );
      }
    }
  }
  return roles as Readonly<Record<string, RbacRole<never, never>>>;
}

const parsePolicy = defineOptions('createRbac', { roles: opt.custom(checkRoles, { required: true }) });

/** Every role's own and inherited rules, compiled once; a cycle in `inherits` fails here. */
function flattenRoles<S extends RbacSubject, R>(roles: Readonly<Record<string, RbacRole<S, R>>>) {
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
    const ownAllow = (role.allow ?? []).map((r) => compileRule(name, 'allow', r));
    const ownDeny = (role.deny ?? []).map((r) => compileRule(name, 'deny', r));
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
  return { allow, deny };
}

const describeResult = (value: unknown) =>
  value === null ? 'null' : isThenable(value) ? 'a promise' : typeof value;

function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (
    (typeof value === 'object' || typeof value === 'function') &&
    value !== null &&
    typeof (value as { then?: unknown }).then === 'function'
  );
}

// A condition that cannot be evaluated (no resource, or it throws) counts as "not allowed" for an
// allow rule and as "denied" for a deny rule: fail closed both ways. One that returns a non-boolean is a
// bug in the policy: truthiness would let `'no'` deny and a promise allow, so it throws instead.
function holds<S extends RbacSubject, R>(
  rule: CompiledRule<S, R>,
  request: Request<S, R>,
  whenUnknown: boolean,
): boolean {
  if (rule.when === undefined) return true;
  if (request.resource === undefined) return whenUnknown;
  let result: unknown;
  try {
    result = rule.when(request.subject, request.resource);
  } catch {
    return whenUnknown;
  }
  if (typeof result === 'boolean') return result;
  // A rejected promise nobody awaits would crash the process as an unhandled rejection.
  if (isThenable(result)) Promise.resolve(result).catch(() => undefined);
  throw new RbacConditionError({
    permission: `${request.res}:${request.action}`,
    role: rule.role,
    effect: rule.effect,
    got: describeResult(result),
  });
}

/** One permission request, split and checked. */
interface Request<S, R> {
  readonly subject: S;
  readonly resource: R | undefined;
  readonly res: string;
  readonly action: string;
}

/** True when one of `roles`' rules in `table` matches the request and holds. */
function anyRuleHolds<S extends RbacSubject, R>(
  table: ReadonlyMap<string, readonly CompiledRule<S, R>[]>,
  roles: readonly string[],
  request: Request<S, R>,
  whenUnknown: boolean,
): boolean {
  for (const role of roles) {
    for (const rule of table.get(role) ?? []) {
      if (matches(rule, request.res, request.action) && holds(rule, request, whenUnknown)) return true;
    }
  }
  return false;
}

function checkRequest(subject: unknown, permission: unknown): asserts subject is RbacSubject {
  if (typeof permission !== 'string' || !PERMISSION.test(permission)) {
    throw new InvalidArgumentError(
      '`permission` must be a concrete resource:action of [a-z0-9_-] (no wildcards)',
    );
  }
  const roles = (subject as { roles?: unknown } | null)?.roles;
  if (typeof subject !== 'object' || subject === null || !Array.isArray(roles)) {
    throw new InvalidArgumentError('`subject` must have a `roles` array');
  }
}

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
  const roles = parsePolicy(policy).roles as Readonly<Record<string, RbacRole<S, R>>>;
  const { allow, deny } = flattenRoles(roles);

  const can = (subject: S, permission: string, resource?: R) => {
    checkRequest(subject, permission);
    const [res, action] = permission.split(':') as [string, string];
    const request = { subject, resource, res, action };
    // Roles the policy does not know grant nothing (a token may carry a role that was removed).
    const known = subject.roles.filter((r) => typeof r === 'string' && allow.has(r));
    if (anyRuleHolds(deny, known, request, true)) return false;
    return anyRuleHolds(allow, known, request, false);
  };

  return {
    can,
    assert(subject, permission, resource) {
      if (!can(subject, permission, resource)) throw new ForbiddenError(permission);
    },
    roles: () => Object.keys(roles),
  };
}
