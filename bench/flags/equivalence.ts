/**
 * The equivalence pass, before anything is measured: every side answers every flag for every user, and
 *
 * - where the rules decide (a rule-only flag, or a rollout flag whose rules match), every side must give
 *   the reference answer of bench/flags/rules.ts exactly;
 * - where the rollout decides, the sides that bucket with the same formula as ours (our three paths, and
 *   the in-memory provider's evaluator: murmur3 of `key:userId` mod 100,000) must give our answer exactly;
 *   Unleash buckets its own way (murmur3 mod 100), so only its share of `true` is compared: pooled over
 *   the rollout-decided evaluations, within ±1 percentage point of the configured 25 % and of ours (judged
 *   from 10,000 such evaluations up: below that the noise is wider than the tolerance).
 *
 * The answers are kept (one byte per user × flag, in the sides' walking order) so the measured rounds can
 * check each batch's count of `true`.
 */
import { ROLLOUT_PERCENT, rulesMatch } from './rules.js';
import type { Fixture, Side, SideName } from './side.js';

/** Percentage points a rollout share may be off. */
export const SHARE_TOLERANCE_PP = 1;
/** Rollout-decided evaluations needed before the share is judged. */
export const MIN_SHARE_SAMPLES = 10_000;
/** Sides whose rollout uses our bucketing formula, so must match ours exactly. */
const SAME_BUCKETING: ReadonlySet<SideName> = new Set([
  'ours',
  'ours-openfeature',
  'ours-provider',
  'openfeature-memory',
  'memory-provider',
]);

/** One side's answers: `answers[user * flags + flag]` is 1 for `true`. */
export async function collectAnswers(side: Side, fx: Fixture): Promise<Uint8Array> {
  const answers = new Uint8Array(fx.users.length * fx.keys.length);
  for (let u = 0; u < fx.users.length; u++) {
    for (let f = 0; f < fx.keys.length; f++) {
      const value = await side.one(f, u);
      if (typeof value !== 'boolean')
        throw new Error(`${side.name}: ${fx.keys[f]} answered ${String(value)}`);
      answers[u * fx.keys.length + f] = value ? 1 : 0;
    }
  }
  return answers;
}

/** How one side agreed. */
export interface SideAgreement {
  readonly side: SideName;
  /** Rule-decided evaluations that gave the reference answer, of `ruleDecided`. */
  readonly ruleAgreed: number;
  readonly ruleDecided: number;
  /** Rollout-decided evaluations answering `true`, of `rolloutDecided`. */
  readonly rolloutTrue: number;
  readonly rolloutDecided: number;
  /** Rollout-decided evaluations with the same answer as ours. */
  readonly sameAsOurs: number;
  /** The rollout share of the flag furthest from the configured share, percent. */
  readonly widestFlagSharePct: number;
}

/** The pass's outcome: per side, and what failed (empty when everything agreed). */
export interface Agreement {
  readonly sides: readonly SideAgreement[];
  readonly failures: readonly string[];
}

/** Whether the rules decide flag `f` for user `u`, and their answer. */
function ruleDecision(fx: Fixture, f: number, u: number): boolean | undefined {
  const spec = fx.specs[f]!;
  const matched = rulesMatch(spec, fx.users[u]!);
  if (spec.rolloutPercent === null) return matched;
  return matched ? true : undefined;
}

function agreementOf(fx: Fixture, side: SideName, answers: Uint8Array, ours: Uint8Array): SideAgreement {
  const flags = fx.keys.length;
  let ruleAgreed = 0;
  let ruleDecided = 0;
  let rolloutTrue = 0;
  let rolloutDecided = 0;
  let sameAsOurs = 0;
  const perFlag = fx.keys.map(() => ({ on: 0, of: 0 }));
  for (let u = 0; u < fx.users.length; u++) {
    for (let f = 0; f < flags; f++) {
      const i = u * flags + f;
      const expected = ruleDecision(fx, f, u);
      if (expected !== undefined) {
        ruleDecided++;
        if ((answers[i] === 1) === expected) ruleAgreed++;
        continue;
      }
      rolloutDecided++;
      rolloutTrue += answers[i]!;
      if (answers[i] === ours[i]) sameAsOurs++;
      perFlag[f]!.on += answers[i]!;
      perFlag[f]!.of++;
    }
  }
  const shares = perFlag.filter((p) => p.of > 0).map((p) => (100 * p.on) / p.of);
  const widest = shares.reduce(
    (a, b) => (Math.abs(b - ROLLOUT_PERCENT) > Math.abs(a - ROLLOUT_PERCENT) ? b : a),
    ROLLOUT_PERCENT,
  );
  return {
    side,
    ruleAgreed,
    ruleDecided,
    rolloutTrue,
    rolloutDecided,
    sameAsOurs,
    widestFlagSharePct: widest,
  };
}

const sharePct = (a: SideAgreement) =>
  a.rolloutDecided === 0 ? Number.NaN : (100 * a.rolloutTrue) / a.rolloutDecided;

function failuresOf(a: SideAgreement, ours: SideAgreement): string[] {
  const failures: string[] = [];
  if (a.ruleAgreed !== a.ruleDecided)
    failures.push(
      `${a.side}: ${a.ruleDecided - a.ruleAgreed} rule-decided evaluations differ from the rules`,
    );
  if (SAME_BUCKETING.has(a.side) && a.sameAsOurs !== a.rolloutDecided)
    failures.push(
      `${a.side}: ${a.rolloutDecided - a.sameAsOurs} rollout-decided evaluations differ from ours`,
    );
  if (a.rolloutDecided >= MIN_SHARE_SAMPLES) {
    const share = sharePct(a);
    if (Math.abs(share - ROLLOUT_PERCENT) > SHARE_TOLERANCE_PP)
      failures.push(`${a.side}: rollout share ${share.toFixed(2)}%, configured ${ROLLOUT_PERCENT}%`);
    if (Math.abs(share - sharePct(ours)) > SHARE_TOLERANCE_PP)
      failures.push(`${a.side}: rollout share ${share.toFixed(2)}%, ours ${sharePct(ours).toFixed(2)}%`);
  }
  return failures;
}

/** Compares every side's answers (ours must be among them). */
export function agreement(fx: Fixture, answers: ReadonlyMap<SideName, Uint8Array>): Agreement {
  const ours = answers.get('ours');
  if (!ours) throw new Error('agreement: no answers from ours');
  const sides = [...answers].map(([side, a]) => agreementOf(fx, side, a, ours));
  const oursAgreement = sides.find((s) => s.side === 'ours')!;
  return { sides, failures: sides.flatMap((s) => failuresOf(s, oursAgreement)) };
}

/** One line per side, for the output. */
export function describeAgreement(result: Agreement): string[] {
  return result.sides.map((a) => {
    const judged =
      a.rolloutDecided >= MIN_SHARE_SAMPLES ? '' : ` (not judged: fewer than ${MIN_SHARE_SAMPLES})`;
    const same = SAME_BUCKETING.has(a.side) ? 'same bucketing as ours' : 'its own bucketing, by design';
    return (
      `  ${a.side}: rule-decided ${a.ruleAgreed}/${a.ruleDecided} as the rules say; rollout share ` +
      `${sharePct(a).toFixed(2)}% of ${a.rolloutDecided}${judged}, widest flag ${a.widestFlagSharePct.toFixed(2)}%; ` +
      `rollout-decided answers equal to ours ${((100 * a.sameAsOurs) / Math.max(1, a.rolloutDecided)).toFixed(2)}% (${same})`
    );
  });
}
