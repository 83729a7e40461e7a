/**
 * A parser for the subset of ECMAScript regular expressions (`u` flag syntax) that `matches` clauses
 * accept, into a tree small enough for the safety analysis in regex-safety.ts. It refuses what it does
 * not model (backreferences, lookaround, inline modifiers) rather than guessing; the engine's own
 * compiler then checks the rest of the syntax.
 */
import {
  ANY,
  type CharSet,
  complement,
  DIGIT,
  DOT,
  foldCase,
  normalize,
  SPACE,
  single,
  union,
  WORD,
} from './charset.js';

/** One node of a parsed pattern. */
export type RegexNode =
  | { readonly t: 'chars'; readonly set: CharSet }
  | { readonly t: 'assert'; readonly start: boolean }
  | { readonly t: 'group'; readonly alts: readonly RegexSequence[] }
  | { readonly t: 'repeat'; readonly node: RegexNode; readonly min: number; readonly max: number };

/** Nodes matched one after the other. */
export type RegexSequence = readonly RegexNode[];

/** Thrown inside the parser; regex-safety.ts turns it into a config error message. */
export class PatternRefusal extends Error {}

const SYNTAX = new Set('^$\\.*+?()[]{}|/');
const CONTROL: Readonly<Record<string, number>> = { t: 9, n: 10, v: 11, f: 12, r: 13 };
const CLASS_ESCAPES: Readonly<Record<string, CharSet>> = {
  d: DIGIT,
  D: complement(DIGIT),
  w: WORD,
  W: complement(WORD),
  s: SPACE,
  S: complement(SPACE),
};
const HEX = /^[0-9A-Fa-f]+$/;

/** Deepest group nesting accepted: real patterns stay far below, and it bounds the analysis. */
const MAX_GROUP_DEPTH = 16;

class Parser {
  private pos = 0;
  private depth = 0;

  constructor(
    private readonly src: string,
    private readonly caseInsensitive: boolean,
    private readonly maxRepeat: number,
  ) {}

  parse(): readonly RegexSequence[] {
    const alts = this.alternatives();
    if (this.pos < this.src.length) this.refuse('unmatched )');
    return alts;
  }

  private refuse(why: string): never {
    throw new PatternRefusal(`${why} at index ${this.pos}`);
  }

  private peek(offset = 0): string | undefined {
    return this.src[this.pos + offset];
  }

  private eat(text: string): boolean {
    if (!this.src.startsWith(text, this.pos)) return false;
    this.pos += text.length;
    return true;
  }

  private alternatives(): RegexSequence[] {
    const alts = [this.sequence()];
    while (this.eat('|')) alts.push(this.sequence());
    return alts;
  }

  private sequence(): RegexNode[] {
    const nodes: RegexNode[] = [];
    for (let c = this.peek(); c !== undefined && c !== '|' && c !== ')'; c = this.peek()) {
      nodes.push(this.quantified(this.atom()));
    }
    return nodes;
  }

  private chars(set: CharSet): RegexNode {
    return { t: 'chars', set: this.caseInsensitive ? foldCase(set) : set };
  }

  private atom(): RegexNode {
    const c = this.peek()!;
    if (c === '(') return this.group();
    if (c === '[') return this.chars(this.charClass());
    this.pos++;
    if (c === '.') return this.chars(DOT);
    if (c === '^' || c === '$') return { t: 'assert', start: c === '^' };
    if (c === '\\') return this.escape();
    if ('*+?{'.includes(c)) this.refuse('nothing to repeat');
    if (c === '}' || c === ']') this.refuse(`lone ${c}`);
    this.pos--;
    return this.chars(single(this.literal()));
  }

  private literal(): number {
    const cp = this.src.codePointAt(this.pos)!;
    this.pos += cp > 0xffff ? 2 : 1;
    return cp;
  }

  private group(): RegexNode {
    this.pos++;
    if (++this.depth > MAX_GROUP_DEPTH) this.refuse(`groups nested deeper than ${MAX_GROUP_DEPTH}`);
    if (this.eat('?')) {
      if (this.peek() === '=' || this.peek() === '!') this.refuse('lookahead is not supported');
      if (this.eat('<')) {
        if (this.peek() === '=' || this.peek() === '!') this.refuse('lookbehind is not supported');
        const end = this.src.indexOf('>', this.pos);
        if (end < 0) this.refuse('unterminated group name');
        this.pos = end + 1;
      } else if (!this.eat(':')) this.refuse('unsupported group syntax');
    }
    const alts = this.alternatives();
    if (!this.eat(')')) this.refuse('unterminated group');
    this.depth--;
    return { t: 'group', alts };
  }

  private count(): number {
    const start = this.pos;
    while (/[0-9]/.test(this.peek() ?? '')) this.pos++;
    if (this.pos === start) this.refuse('malformed {n,m}');
    const n = Number(this.src.slice(start, this.pos));
    if (n > this.maxRepeat) this.refuse(`repetition count above ${this.maxRepeat}`);
    return n;
  }

  private bounds(): readonly [number, number] | undefined {
    const c = this.peek();
    if (c === '*' || c === '+' || c === '?') {
      this.pos++;
      return [c === '+' ? 1 : 0, c === '?' ? 1 : Number.POSITIVE_INFINITY];
    }
    if (!this.eat('{')) return undefined;
    const min = this.count();
    const max = !this.eat(',') ? min : this.peek() === '}' ? Number.POSITIVE_INFINITY : this.count();
    if (!this.eat('}')) this.refuse('malformed {n,m}');
    if (max < min) this.refuse('{n,m} out of order');
    return [min, max];
  }

  private quantified(node: RegexNode): RegexNode {
    const bounds = this.bounds();
    if (bounds === undefined) return node;
    if (node.t === 'assert') this.refuse('quantified assertion');
    this.eat('?'); // lazy or greedy: the same worst case
    const [min, max] = bounds;
    return { t: 'repeat', node, min, max };
  }

  private hex(digits: number): number {
    const text = this.src.slice(this.pos, this.pos + digits);
    if (text.length !== digits || !HEX.test(text)) this.refuse('malformed escape');
    this.pos += digits;
    return Number.parseInt(text, 16);
  }

  private unicodeEscape(): number {
    if (!this.eat('{')) return this.hex(4);
    const end = this.src.indexOf('}', this.pos);
    const text = end < 0 ? '' : this.src.slice(this.pos, end);
    if (text.length === 0 || text.length > 6 || !HEX.test(text)) this.refuse('malformed \\u{...}');
    this.pos = end + 1;
    return Number.parseInt(text, 16);
  }

  /** An escape valid both in and out of a class, as a set; undefined for the ones that differ. */
  private commonEscape(c: string): CharSet | undefined {
    const named = CLASS_ESCAPES[c];
    if (named !== undefined) return named;
    const control = CONTROL[c];
    if (control !== undefined) return single(control);
    if (c === '0' && !/[0-9]/.test(this.peek() ?? '')) return single(0);
    if (/[1-9]/.test(c) || c === 'k') this.refuse('backreferences are not supported');
    if (c === 'c' && /[A-Za-z]/.test(this.peek() ?? '')) return single(this.literal() % 32);
    if (c === 'x') return single(this.hex(2));
    if (c === 'u') return single(this.unicodeEscape());
    if (c === 'p' || c === 'P') {
      const end = this.src.indexOf('}', this.pos);
      if (this.peek() !== '{' || end < 0) this.refuse('malformed \\p{...}');
      this.pos = end + 1;
      return ANY; // a Unicode property: assume it may match anything
    }
    if (SYNTAX.has(c)) return single(c.charCodeAt(0));
    return undefined;
  }

  private escape(): RegexNode {
    const c = this.peek();
    if (c === undefined) this.refuse('trailing \\');
    this.pos++;
    if (c === 'b' || c === 'B') return { t: 'assert', start: false };
    const set = this.commonEscape(c);
    if (set === undefined) this.refuse(`unsupported escape \\${c}`);
    return this.chars(set);
  }

  /** One class member: a set, and the code point when it is a single character (a range end). */
  private classAtom(): { readonly set: CharSet; readonly cp: number | undefined } {
    if (!this.eat('\\')) {
      const cp = this.literal();
      return { set: single(cp), cp };
    }
    const c = this.peek();
    if (c === undefined) this.refuse('trailing \\');
    this.pos++;
    if (c === 'b') return { set: single(8), cp: 8 };
    if (c === '-') return { set: single(0x2d), cp: 0x2d };
    const set = this.commonEscape(c);
    if (set === undefined) this.refuse(`unsupported escape \\${c} in a class`);
    const only = set.length === 1 && set[0]![0] === set[0]![1] && !(c in CLASS_ESCAPES);
    return { set, cp: only ? set[0]![0] : undefined };
  }

  private charClass(): CharSet {
    this.pos++;
    const negated = this.eat('^');
    const parts: CharSet[] = [];
    while (!this.eat(']')) {
      if (this.pos >= this.src.length) this.refuse('unterminated class');
      const from = this.classAtom();
      if (this.peek() !== '-' || this.peek(1) === ']' || this.peek(1) === undefined) {
        parts.push(from.set);
        continue;
      }
      this.pos++;
      const to = this.classAtom();
      if (from.cp === undefined || to.cp === undefined) this.refuse('class range with a class escape');
      if (to.cp < from.cp) this.refuse('class range out of order');
      parts.push([[from.cp, to.cp]]);
    }
    const set = normalize(union(...parts));
    return negated ? complement(set) : set; // folded by chars(), after the complement: a superset
  }
}

/** Parses `pattern`; throws {@link PatternRefusal} for syntax outside the accepted subset. */
export function parsePattern(
  pattern: string,
  caseInsensitive: boolean,
  maxRepeat: number,
): readonly RegexSequence[] {
  return new Parser(pattern, caseInsensitive, maxRepeat).parse();
}
