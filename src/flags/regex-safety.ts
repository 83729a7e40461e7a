/**
 * The static check every `matches` pattern passes at load, conservative by design: it refuses patterns
 * whose backtracking can grow exponentially or as a cube of the input (`(a+)+`, `(a|a)*`, `.*.*x`),
 * backreferences and lookaround, and anything it cannot analyse. Together with the input cap at
 * evaluation (1,024 characters) a pattern that passes runs in at most quadratic time on bounded input.
 *
 * Exponential cases: a repeated group (`max > 1`) may hold no other variable quantifier and no
 * alternation whose branches can start with the same character. Polynomial cases: each variable
 * quantifier gets a degree, one more than the highest degree of the earlier quantifiers that can still
 * consume the characters it consumes (an unanchored pattern starts with an implicit `[^]*?`, degree 1);
 * degree 3 or more is refused.
 */
import { ANY, type CharSet, overlaps, union } from './charset.js';
import { FLAG_CONFIG_LIMITS } from './limits.js';
import { PatternRefusal, parsePattern, type RegexNode, type RegexSequence } from './regex-parse.js';

interface Entry {
  readonly set: CharSet;
  readonly degree: number;
}

/** Highest polynomial degree allowed: quadratic on 1,024 characters is about a million steps. */
const MAX_DEGREE = 2;

/**
 * Memoises a per-node (or per-sequence) fact: the helpers below recurse into subtrees, and without it
 * a deeply nested pattern would be analysed in quadratic time or worse.
 */
function memo<K extends object, V>(compute: (key: K) => V): (key: K) => V {
  const cache = new WeakMap<K, V>();
  return (key) => {
    if (cache.has(key)) return cache.get(key) as V;
    const value = compute(key);
    cache.set(key, value);
    return value;
  };
}

const charsOf = memo((node: RegexNode): CharSet => {
  if (node.t === 'chars') return node.set;
  if (node.t === 'assert') return [];
  if (node.t === 'repeat') return charsOf(node.node);
  const sets: CharSet[] = [];
  for (const alt of node.alts) for (const child of alt) sets.push(charsOf(child));
  return union(...sets);
});

/** The characters a sequence can start with, or undefined when it may start with nothing (or unknown). */
const firstSet = memo((seq: RegexSequence): CharSet | undefined => {
  for (const node of seq) {
    if (node.t === 'assert') continue;
    if (node.t === 'chars') return node.set;
    if (node.t === 'repeat') return node.min >= 1 ? firstSet([node.node]) : undefined;
    const sets = node.alts.map(firstSet);
    return sets.every((s) => s !== undefined) ? union(...sets) : undefined;
  }
  return undefined;
});

/** True when at most one branch can start at any character: the engine never tries two. */
const deterministic = memo((alts: readonly RegexSequence[]): boolean => {
  if (alts.length <= 1) return true;
  const firsts = alts.map(firstSet);
  for (let i = 0; i < firsts.length; i++) {
    const a = firsts[i];
    if (a === undefined) return false;
    for (let j = i + 1; j < firsts.length; j++) if (overlaps(a, firsts[j] ?? ANY)) return false;
  }
  return true;
});

/** True when the subtree has a choice point: a variable quantifier or an ambiguous alternation. */
const hasChoice = memo((node: RegexNode): boolean => {
  if (node.t === 'chars' || node.t === 'assert') return false;
  if (node.t === 'repeat') return node.min < node.max || hasChoice(node.node);
  return !deterministic(node.alts) || node.alts.some((alt) => alt.some(hasChoice));
});

/** Refuses a repeated group holding a choice point (the exponential shapes). */
function checkNesting(node: RegexNode): void {
  if (node.t === 'repeat') {
    if (node.max > 1 && hasChoice(node.node)) {
      throw new PatternRefusal('a repeated group holds a quantifier or an ambiguous alternation');
    }
    checkNesting(node.node);
  } else if (node.t === 'group') {
    for (const alt of node.alts) for (const child of alt) checkNesting(child);
  }
}

const dedupe = (entries: readonly Entry[]): Entry[] => [...new Set(entries)];
const keep = (active: readonly Entry[], set: CharSet) => active.filter((e) => overlaps(e.set, set));

/**
 * The polynomial degree walk (see the file comment). Separate ambiguous pairs multiply: the choice points
 * of an earlier pair stay on the backtracking stack while a later one is tried (`^a*a*b*b*$` is cubic,
 * three pairs are quartic), so a second quantifier of degree 2 anywhere in the pattern is refused too.
 */
class Degrees {
  private ambiguousPairs = 0;

  sequence(seq: RegexSequence, active: readonly Entry[]): readonly Entry[] {
    let current = active;
    for (const node of seq) current = this.node(node, current);
    return current;
  }

  private push(set: CharSet, active: readonly Entry[]): Entry {
    let degree = 1;
    for (const e of active) if (e.degree >= degree && overlaps(e.set, set)) degree = e.degree + 1;
    if (degree > MAX_DEGREE) {
      throw new PatternRefusal('quantifiers that can match the same characters follow each other');
    }
    if (degree >= 2 && ++this.ambiguousPairs > 1) {
      throw new PatternRefusal('more than one pair of quantifiers can match the same characters');
    }
    return { set, degree };
  }

  private node(node: RegexNode, active: readonly Entry[]): readonly Entry[] {
    if (node.t === 'assert') return active;
    if (node.t === 'chars') return keep(active, node.set);
    if (node.t === 'group') {
      const out = new Set<Entry>();
      for (const alt of node.alts) for (const entry of this.sequence(alt, active)) out.add(entry);
      if (!deterministic(node.alts)) out.add(this.push(charsOf(node), active));
      return [...out];
    }
    if (node.max === 0) return active;
    if (node.min === node.max) return this.node(node.node, active);
    const set = charsOf(node.node);
    const entry = this.push(set, active);
    const base = node.min >= 1 ? keep(active, set) : active;
    const inner = hasChoice(node.node) ? this.node(node.node, active) : [];
    return dedupe([...base, ...inner, entry]);
  }
}

function analyse(alts: readonly RegexSequence[]): void {
  for (const alt of alts) for (const node of alt) checkNesting(node);
  const degrees = new Degrees();
  for (const alt of alts) {
    const first = alt[0];
    const anchored = first !== undefined && first.t === 'assert' && first.start;
    degrees.sequence(alt, anchored ? [] : [{ set: ANY, degree: 1 }]);
  }
}

/**
 * Checks and compiles a `matches` pattern (flags `u`, plus `i` when case-insensitive). Returns the
 * RegExp, or the reason it is refused.
 */
export function compilePattern(pattern: string, caseInsensitive: boolean): RegExp | string {
  if (pattern.length > FLAG_CONFIG_LIMITS.maxPatternLength) {
    return `pattern longer than ${FLAG_CONFIG_LIMITS.maxPatternLength} characters`;
  }
  try {
    analyse(parsePattern(pattern, caseInsensitive, FLAG_CONFIG_LIMITS.maxPatternRepeat));
  } catch (e) {
    if (e instanceof PatternRefusal) return `unsafe or unsupported pattern: ${e.message}`;
    throw e;
  }
  try {
    return new RegExp(pattern, caseInsensitive ? 'iu' : 'u');
  } catch {
    return 'not a valid regular expression (u flag syntax)';
  }
}
