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
const IDENTIFIER = /^[0-9A-Za-z-]+$/;

function numericPart(text: string): number | undefined {
  if (!NUMERIC.test(text)) return undefined;
  const n = Number(text);
  return Number.isSafeInteger(n) ? n : undefined;
}

function preRelease(text: string | undefined): string[] | undefined {
  if (text === undefined) return [];
  const ids = text.split('.');
  for (const id of ids) {
    if (!IDENTIFIER.test(id)) return undefined;
    if (/^[0-9]+$/.test(id) && !NUMERIC.test(id)) return undefined; // numeric with a leading zero
  }
  return ids;
}

function validBuild(text: string | undefined): boolean {
  return text === undefined || text.split('.').every((id) => IDENTIFIER.test(id));
}

/** Parses a semver 2.0.0 version, or returns undefined. */
export function parseSemver(text: string): Semver | undefined {
  if (text.length === 0 || text.length > FLAG_CONFIG_LIMITS.maxSemverLength) return undefined;
  const plus = text.indexOf('+');
  const main = plus < 0 ? text : text.slice(0, plus);
  if (!validBuild(plus < 0 ? undefined : text.slice(plus + 1))) return undefined;
  const dash = main.indexOf('-');
  const core = (dash < 0 ? main : main.slice(0, dash)).split('.');
  const pre = preRelease(dash < 0 ? undefined : main.slice(dash + 1));
  if (core.length !== 3 || pre === undefined) return undefined;
  const [major, minor, patch] = core.map(numericPart);
  if (major === undefined || minor === undefined || patch === undefined) return undefined;
  return { major, minor, patch, pre };
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
