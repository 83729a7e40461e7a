/**
 * Semantic versions (semver 2.0.0): `MAJOR.MINOR.PATCH`, an optional pre-release (`-rc.1`) and optional
 * build metadata (`+sha.5114f85`, ignored for precedence). No `v` prefix, no leading zeros, no missing
 * parts: anything else is not a version (a clause on it does not match).
 */
import { FLAG_CONFIG_LIMITS } from './limits.js';

/** A parsed version. Pre-release identifiers keep their text; numeric ones are compared numerically. */
export interface Semver {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  readonly pre: readonly string[];
}

const NUMERIC = /^(?:0|[1-9][0-9]*)$/;
const NO_PRE: readonly string[] = Object.freeze([]);

const isDigit = (c: number) => c >= 0x30 && c <= 0x39;
const isIdentifierChar = (c: number) =>
  isDigit(c) || (c >= 0x41 && c <= 0x5a) || (c >= 0x61 && c <= 0x7a) || c === 0x2d;

/** A single pass over the text: evaluation parses attribute values, so this avoids split and regexes. */
class SemverScanner {
  pos = 0;

  constructor(private readonly text: string) {}

  /** A numeric part (no leading zero, at most 2^53 - 1), or -1. */
  number(): number {
    const { text } = this;
    const start = this.pos;
    let n = 0;
    while (this.pos < text.length && isDigit(text.charCodeAt(this.pos))) {
      n = n * 10 + (text.charCodeAt(this.pos) - 0x30);
      this.pos++;
    }
    const length = this.pos - start;
    if (length === 0 || (length > 1 && text.charCodeAt(start) === 0x30)) return -1;
    return Number.isSafeInteger(n) ? n : -1;
  }

  dot(): boolean {
    if (this.text.charCodeAt(this.pos) !== 0x2e) return false;
    this.pos++;
    return true;
  }

  /** Dot-separated identifiers up to `+` or the end; numeric ones without leading zeros when `strict`. */
  identifiers(strict: boolean): string[] | undefined {
    const { text } = this;
    const ids: string[] = [];
    for (;;) {
      const start = this.pos;
      let numeric = true;
      while (this.pos < text.length && isIdentifierChar(text.charCodeAt(this.pos))) {
        numeric &&= isDigit(text.charCodeAt(this.pos));
        this.pos++;
      }
      if (this.pos === start) return undefined;
      if (strict && numeric && this.pos - start > 1 && text.charCodeAt(start) === 0x30) return undefined;
      ids.push(text.slice(start, this.pos));
      if (!this.dot()) return ids;
    }
  }
}

/** Parses a semver 2.0.0 version, or returns undefined. */
export function parseSemver(text: string): Semver | undefined {
  if (text.length === 0 || text.length > FLAG_CONFIG_LIMITS.maxSemverLength) return undefined;
  const scan = new SemverScanner(text);
  const major = scan.number();
  if (major < 0 || !scan.dot()) return undefined;
  const minor = scan.number();
  if (minor < 0 || !scan.dot()) return undefined;
  const patch = scan.number();
  if (patch < 0) return undefined;
  let pre = NO_PRE;
  if (text.charCodeAt(scan.pos) === 0x2d) {
    scan.pos++;
    const ids = scan.identifiers(true);
    if (ids === undefined) return undefined;
    pre = ids;
  }
  if (text.charCodeAt(scan.pos) === 0x2b) {
    scan.pos++;
    if (scan.identifiers(false) === undefined) return undefined;
  }
  return scan.pos === text.length ? { major, minor, patch, pre } : undefined;
}

function compareIdentifiers(a: string, b: string): number {
  const aNum = NUMERIC.test(a);
  const bNum = NUMERIC.test(b);
  if (aNum && bNum) return a.length !== b.length ? a.length - b.length : a < b ? -1 : a > b ? 1 : 0;
  if (aNum !== bNum) return aNum ? -1 : 1; // numeric identifiers sort before alphanumeric ones
  return a < b ? -1 : a > b ? 1 : 0;
}

function comparePre(a: readonly string[], b: readonly string[]): number {
  if (a.length === 0 || b.length === 0) return b.length - a.length; // a release outranks its pre-releases
  for (let i = 0; i < Math.min(a.length, b.length); i++) {
    const c = compareIdentifiers(a[i]!, b[i]!);
    if (c !== 0) return c;
  }
  return a.length - b.length;
}

/** Semver precedence: negative when `a < b`, 0 when equal (build metadata ignored), positive otherwise. */
export function compareSemver(a: Semver, b: Semver): number {
  return a.major - b.major || a.minor - b.minor || a.patch - b.patch || comparePre(a.pre, b.pre);
}
