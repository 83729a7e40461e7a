/**
 * The source-tree scan of the stale-flag report: walks a directory (never following symbolic links,
 * skipping `node_modules`, `.git` and `dist`), reads the files with the given extensions up to a size
 * cap, and collects every flag key the pattern finds. One pass per file whatever the number of flags:
 * the pattern yields candidate keys, looked up in a set.
 */
import type { Dirent } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';

/** Directories the scan never enters. */
export const SKIPPED_DIRECTORIES: ReadonlySet<string> = new Set(['node_modules', '.git', 'dist']);

/** String literals whose whole text is a flag key (`'checkout'`, `"new-ui"`, `` `beta.search` ``). */
export const DEFAULT_REFERENCE_PATTERN = /(['"`])(?<key>[A-Za-z0-9._-]{1,128})\1/g;

/** Extensions scanned by default. */
export const DEFAULT_SCAN_EXTENSIONS: readonly string[] = Object.freeze([
  '.ts',
  '.tsx',
  '.mts',
  '.cts',
  '.js',
  '.jsx',
  '.mjs',
  '.cjs',
]);

/** What the scan needs. */
export interface ScanSettings {
  readonly dir: string;
  readonly pattern: RegExp;
  readonly extensions: readonly string[];
  readonly maxFileBytes: number;
  readonly maxFiles: number;
}

/** What the scan found. */
export interface ScanResult {
  /** The flag keys referenced somewhere. */
  readonly found: ReadonlySet<string>;
  /** Files read. */
  readonly files: number;
  /** Files with a scanned extension that were not read: over `maxFileBytes` or unreadable. */
  readonly skipped: number;
  /** True when `maxFiles` stopped the walk (some references may be missed). */
  readonly truncated: boolean;
}

/** The key a match names: the `key` group, else group 1, else the whole match. */
function keyOf(match: RegExpExecArray): string {
  return match.groups?.key ?? match[1] ?? match[0];
}

function collect(text: string, pattern: RegExp, keys: ReadonlySet<string>, found: Set<string>) {
  pattern.lastIndex = 0;
  for (let match = pattern.exec(text); match !== null; match = pattern.exec(text)) {
    const key = keyOf(match);
    if (keys.has(key)) found.add(key);
    if (match[0].length === 0) pattern.lastIndex += 1; // a pattern that can match empty must still advance
  }
}

async function listDirectory(dir: string): Promise<Dirent[]> {
  try {
    return await readdir(dir, { withFileTypes: true });
  } catch {
    return [];
  }
}

/** The pattern as a global RegExp of its own (its `lastIndex` is the scan's). */
function globalCopy(pattern: RegExp): RegExp {
  return new RegExp(pattern.source, pattern.global ? pattern.flags : `${pattern.flags}g`);
}

/** What to do with a directory entry: enter it, read it, or leave it (links, other files, skipped dirs). */
function classify(entry: Dirent, extensions: readonly string[]): 'enter' | 'read' | 'leave' {
  if (entry.isDirectory()) return SKIPPED_DIRECTORIES.has(entry.name) ? 'leave' : 'enter';
  if (entry.isFile() && extensions.some((ext) => entry.name.endsWith(ext))) return 'read';
  return 'leave';
}

/** Walks `settings.dir` and returns the keys of `keys` that some file references. */
export async function scanReferences(settings: ScanSettings, keys: ReadonlySet<string>): Promise<ScanResult> {
  const pattern = globalCopy(settings.pattern);
  const found = new Set<string>();
  const pending = [settings.dir];
  let files = 0;
  let skipped = 0;
  while (pending.length > 0) {
    const dir = pending.pop() as string;
    for (const entry of await listDirectory(dir)) {
      const action = classify(entry, settings.extensions);
      const path = join(dir, entry.name);
      if (action === 'enter') pending.push(path);
      if (action !== 'read') continue;
      if (files + skipped >= settings.maxFiles) return { found, files, skipped, truncated: true };
      const text = await readCapped(path, settings.maxFileBytes);
      if (text === undefined) {
        skipped += 1;
        continue;
      }
      files += 1;
      collect(text, pattern, keys, found);
    }
  }
  return { found, files, skipped, truncated: false };
}

/** The file's text, or undefined when it is larger than `maxBytes` or cannot be read. */
async function readCapped(path: string, maxBytes: number): Promise<string | undefined> {
  try {
    if ((await stat(path)).size > maxBytes) return undefined;
    const bytes = await readFile(path);
    return bytes.length > maxBytes ? undefined : bytes.toString('utf8');
  } catch {
    return undefined;
  }
}
