/**
 * Code snippets in the docs and TSDoc, extracted so `scripts/check-snippets.ts` can type-check them against
 * the built package. The conventions:
 *
 * - Markdown: every ```ts (or ```typescript) fence is checked as its own module. It imports what it uses
 *   from `backend-patterns/...`, so it can be pasted into an app. The app's own values a snippet assumes
 *   (`res`, `userId`, your store) are declared in a hidden prelude: an HTML comment `<!-- prelude: ... -->`
 *   right before the fence, invisible on the rendered page. A fence marked ```ts nocheck is a deliberate
 *   sketch and is skipped; use it sparingly.
 * - TSDoc `@example`: a ```ts fence inside a doc comment is checked too. It is read in the context of the
 *   package, as a reader of the hover text would: public names it uses are imported for it, and the app
 *   values it assumes come from a shared context (scripts/lib/snippet-context.ts).
 */

/** One snippet and where it came from. */
export interface Snippet {
  /** Source file, relative to the repository root. */
  readonly file: string;
  /** 1-based line of the first code line in that file. */
  readonly line: number;
  /** The code as a reader sees it. */
  readonly code: string;
  /** Hidden code compiled before it (markdown preludes). */
  readonly prelude: string;
  /** Where it came from: markdown snippets must be self-contained, TSDoc ones get the package in scope. */
  readonly kind: 'markdown' | 'tsdoc';
}

const TS_FENCE = /^```(ts|typescript)(\s+nocheck)?\s*$/;
const PRELUDE = /^<!--\s*prelude:([\s\S]*?)-->\s*$/;

/** The ```ts snippets of a Markdown page, each with the prelude comment that precedes it, if any. */
export function markdownSnippets(file: string, markdown: string): Snippet[] {
  const lines = markdown.split('\n');
  const snippets: Snippet[] = [];
  for (let i = 0; i < lines.length; i++) {
    const open = lines[i] as string;
    if (!open.startsWith('```')) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith('```'));
    const close = end === -1 ? lines.length : end;
    const match = TS_FENCE.exec(open);
    if (match && !match[2]) {
      // Only a comment that ends right above the fence is its prelude.
      const before = lines.slice(0, i).join('\n');
      const comment = before.slice(before.lastIndexOf('<!--'));
      snippets.push({
        file,
        line: i + 2,
        code: lines.slice(i + 1, close).join('\n'),
        prelude: PRELUDE.exec(comment)?.[1]?.trim() ?? '',
        kind: 'markdown',
      });
    }
    i = close;
  }
  return snippets;
}

/** The ```ts fences inside `@example` blocks of the doc comments of a TypeScript source file. */
export function tsdocSnippets(file: string, source: string): Snippet[] {
  const snippets: Snippet[] = [];
  for (const comment of source.matchAll(/\/\*\*[\s\S]*?\*\//g)) {
    const text = comment[0];
    const at = text.indexOf('@example');
    if (at === -1) continue;
    const firstLine = source.slice(0, comment.index).split('\n').length;
    const lines = text.split('\n').map((l) => l.replace(/^\s*\*( |$)/, ''));
    const exampleLine = text.slice(0, at).split('\n').length - 1;
    for (let i = exampleLine; i < lines.length; i++) {
      const match = TS_FENCE.exec((lines[i] as string).trim());
      if (!match) continue;
      const end = lines.findIndex((l, j) => j > i && l.trim().startsWith('```'));
      if (end === -1) break;
      if (!match[2])
        snippets.push({
          file,
          line: firstLine + i + 1,
          code: lines.slice(i + 1, end).join('\n'),
          prelude: '',
          kind: 'tsdoc',
        });
      i = end;
    }
  }
  return snippets;
}

/** Names a snippet declares at its top level or imports (so nothing it defines is imported for it). */
export function declaredNames(code: string): Set<string> {
  const names = new Set<string>();
  const declaration = /\b(?:const|let|var|function|class|interface|type|enum)\s+([A-Za-z_$][\w$]*)/g;
  for (const m of code.matchAll(declaration)) names.add(m[1] as string);
  // Destructured declarations: `const { a, b: c } = ...` declares a and c.
  for (const m of code.matchAll(/\b(?:const|let|var)\s+[{[]([^}\]=]*)[}\]]/g)) {
    for (const part of (m[1] as string).split(',')) {
      const name = part.split(':').pop()?.trim();
      if (name && /^[A-Za-z_$][\w$]*$/.test(name)) names.add(name);
    }
  }
  for (const m of code.matchAll(/\bimport\s+(?:type\s+)?\{([^}]*)\}/g)) {
    for (const part of (m[1] as string).split(',')) {
      const name = part
        .trim()
        .split(/\s+as\s+/)
        .pop();
      if (name) names.add(name.replace(/^type\s+/, ''));
    }
  }
  for (const m of code.matchAll(/\bimport\s+(?:type\s+)?(?:\*\s+as\s+)?([A-Za-z_$][\w$]*)\s+from/g)) {
    names.add(m[1] as string);
  }
  return names;
}

/** Identifiers a snippet uses, outside strings, comments and property accesses. */
export function usedNames(code: string): Set<string> {
  // One pass, so a `//` inside a string and a quote inside a comment are each read as what they are.
  const stripped = code.replace(
    /\/\/[^\n]*|\/\*[\s\S]*?\*\/|'(?:\\.|[^'\\\n])*'|"(?:\\.|[^"\\\n])*"|`(?:\\.|[^`\\])*`/g,
    (m) => (m.startsWith('/') ? '' : "''"),
  );
  const names = new Set<string>();
  for (const m of stripped.matchAll(/(?<![\w$.])([A-Za-z_$][\w$]*)/g)) names.add(m[1] as string);
  return names;
}

/** Where public names come from: name → module specifier and whether it exists at run time. */
export type Scope = ReadonlyMap<string, { readonly from: string; readonly value: boolean }>;

/** Import lines for the names of `scope` a snippet uses but neither declares nor imports itself. */
export function scopeImports(code: string, scope: Scope): string[] {
  const declared = declaredNames(code);
  const byModule = new Map<string, string[]>();
  for (const name of usedNames(code)) {
    const source = scope.get(name);
    if (!source || declared.has(name)) continue;
    const list = byModule.get(source.from) ?? [];
    list.push(source.value ? name : `type ${name}`);
    byModule.set(source.from, list);
  }
  return [...byModule].map(([from, names]) => `import { ${names.join(', ')} } from '${from}';`);
}

/** The exported names of a tsup declaration file (`export { a as B, type C }` lines). */
export function declarationExports(dts: string): string[] {
  const names: string[] = [];
  for (const m of dts.matchAll(/^export\s+(?:type\s+)?\{([^}]*)\}/gm)) {
    for (const part of (m[1] as string).split(',')) {
      const name = part.trim().split(/\s+/).pop();
      if (name) names.push(name);
    }
  }
  for (const m of dts.matchAll(
    /^export\s+(?:declare\s+)?(?:const|function|class|interface|type)\s+(\w+)/gm,
  )) {
    names.push(m[1] as string);
  }
  return names;
}
