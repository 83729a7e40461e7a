/**
 * The module docs template: every docs/<module>.md starts with the same H2 sections in the same order
 * (a page may add its own sections after them), and its "Error codes" section lists exactly the codes the
 * module exports in its `<MODULE>_ERROR_CODES` list (core codes may be listed too, never unknown ones).
 * Every page also says how to wire its clients (which calls touch the store, how to start the client): a
 * "### Wiring clients" subsection of "## Adapters", or a "## Wiring clients" section after the template.
 */

/** The H2 sections every module page opens with, in order. */
export const REQUIRED_SECTIONS = [
  'The problem',
  'Quick start',
  'Options and defaults',
  'The trade-off and how to choose',
  'Failure modes',
  'Metric and alerts',
  'Adapters',
  'Error codes',
  'Production checklist',
] as const;

const ERROR_CODE = /`(ERR_[A-Z0-9_]+)`/g;

/** True when the page has "Wiring clients" as an H3 inside "Adapters" or as an H2 after the template. */
function hasWiringSection(markdown: string): boolean {
  const h2 = headingsOf(markdown);
  if (h2.indexOf('Wiring clients') >= REQUIRED_SECTIONS.length) return true;
  return /^### Wiring clients$/m.test(sectionBody(markdown, 'Adapters'));
}

/** The H2 headings of a Markdown page, outside fenced code blocks. */
export function headingsOf(markdown: string): string[] {
  let fenced = false;
  const headings: string[] = [];
  for (const line of markdown.split('\n')) {
    if (line.startsWith('```')) fenced = !fenced;
    else if (!fenced && line.startsWith('## ')) headings.push(line.slice(3).trim());
  }
  return headings;
}

function sectionBody(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start === -1) return '';
  const rest = markdown.slice(start + heading.length + 5);
  const end = rest.search(/\n## /);
  return end === -1 ? rest : rest.slice(0, end);
}

/** Problems with one module page; `codes` are the module's own, `coreCodes` those it may also list. */
export function checkModulePage(
  page: string,
  markdown: string,
  codes: readonly string[],
  coreCodes: readonly string[],
): string[] {
  const problems: string[] = [];
  const headings = headingsOf(markdown).slice(0, REQUIRED_SECTIONS.length);
  REQUIRED_SECTIONS.forEach((required, i) => {
    if (headings[i] !== required) {
      problems.push(
        `${page}: section ${i + 1} must be "## ${required}", found ${headings[i] ? `"## ${headings[i]}"` : 'nothing'}`,
      );
    }
  });
  if (!hasWiringSection(markdown)) {
    problems.push(
      `${page}: no "Wiring clients" section (a "### Wiring clients" under "## Adapters", or a "## Wiring clients" after the template)`,
    );
  }
  const listed = new Set(
    [...sectionBody(markdown, 'Error codes').matchAll(ERROR_CODE)].map((m) => m[1] as string),
  );
  for (const code of codes)
    if (!listed.has(code)) problems.push(`${page}: "Error codes" does not list ${code}`);
  for (const code of listed) {
    if (!codes.includes(code) && !coreCodes.includes(code)) {
      problems.push(`${page}: "Error codes" lists ${code}, which the module does not export`);
    }
  }
  return problems;
}
