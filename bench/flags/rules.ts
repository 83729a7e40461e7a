/**
 * The flags bench's rule set and contexts, in a neutral form that bench/flags/configs.ts expresses three
 * ways (ours, Unleash, OpenFeature's in-memory provider). Flag `i` turns on when
 *
 * 1. `plan in [pro, enterprise]` and `country in [three countries]` (both, one rule), or
 * 2. `email endsWith "@<domain i>"` (a second rule), or else
 * 3. for odd `i` only, a 25 % gradual rollout sticky on `userId` (even flags are rule-only: off).
 *
 * Contexts are drawn from a seeded generator (the same set every run): a few lack an email, a few have an
 * upper-case plan or domain (every comparison is case-sensitive on all three sides, so those do not match).
 */

/** One flag, as the bench means it. */
export interface FlagSpec {
  readonly key: string;
  readonly countries: readonly string[];
  /** `@domain`: what `email` must end with. */
  readonly emailSuffix: string;
  /** The rollout's share of `true`, percent; null for a rule-only flag (off when no rule matches). */
  readonly rolloutPercent: number | null;
}

/** One user, as the bench draws it. */
export interface BenchUser {
  readonly userId: string;
  readonly plan: string;
  readonly country: string;
  readonly email?: string;
}

/** The plans rule 1 accepts. */
export const PAID_PLANS: readonly string[] = ['pro', 'enterprise'];
/** The rollout share of the rollout flags, percent. */
export const ROLLOUT_PERCENT = 25;

const PLANS = ['free', 'pro', 'enterprise', 'team'];
const COUNTRIES = ['US', 'DE', 'FR', 'GB', 'JP', 'BR', 'IN', 'CA', 'AU', 'ES', 'IT', 'NL'];
const DOMAINS = Array.from({ length: 10 }, (_, i) => `corp${i}.example`);

/** `count` flags: `flag-000`, `flag-001`, ...; odd ones have the rollout. */
export function ruleSet(count: number): FlagSpec[] {
  return Array.from({ length: count }, (_, i) => ({
    key: `flag-${String(i).padStart(3, '0')}`,
    countries: [0, 1, 2].map((k) => COUNTRIES[(i + k * 5) % COUNTRIES.length]!),
    emailSuffix: `@${DOMAINS[i % DOMAINS.length]}`,
    rolloutPercent: i % 2 === 1 ? ROLLOUT_PERCENT : null,
  }));
}

/** xorshift32: a small seeded generator, so every run draws the same users. Returns [0, 1). */
function generator(seed: number): () => number {
  let state = seed >>> 0 || 1;
  return () => {
    state ^= state << 13;
    state ^= state >>> 17;
    state ^= state << 5;
    state >>>= 0;
    return state / 2 ** 32;
  };
}

/** `count` users drawn from `seed`. */
export function users(count: number, seed = 20_240_601): BenchUser[] {
  const next = generator(seed);
  const pick = <T>(list: readonly T[]): T => list[Math.floor(next() * list.length)]!;
  return Array.from({ length: count }, (_, i) => {
    const userId = `user-${i}-${Math.floor(next() * 1e9).toString(36)}`;
    const plan = next() < 0.03 ? pick(PLANS).toUpperCase() : pick(PLANS);
    const country = pick(COUNTRIES);
    const roll = next();
    if (roll < 0.05) return { userId, plan, country };
    const domain = roll < 0.08 ? pick(DOMAINS).toUpperCase() : pick([...DOMAINS, 'mail.example']);
    return { userId, plan, country, email: `${userId}@${domain}` };
  });
}

/** The reference answer of the two rules (no rollout): what every side must say when it is true. */
export function rulesMatch(spec: FlagSpec, user: BenchUser): boolean {
  if (PAID_PLANS.includes(user.plan) && spec.countries.includes(user.country)) return true;
  return user.email?.endsWith(spec.emailSuffix) === true;
}
