/**
 * docs/uploads.md against the code: the template and error codes, the metric table against the
 * instruments a policy really creates, the label values against what a policy really emits, and the
 * PromQL/alert series against the names the Prometheus adapter writes. Each check is a function that
 * returns its problems, run once on the page and once on a broken copy of it, so none passes vacuously.
 */
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Readable } from 'node:stream';
import { beforeAll, describe, expect, it } from 'vitest';
import { checkModulePage } from '../../scripts/lib/docs-template.js';
import { CORE_ERROR_CODES } from '../../src/core/errors.js';
import { createMemoryMetrics } from '../../src/core/memory-metrics.js';
import type { Metrics } from '../../src/core/metrics.js';
import { toPrometheusName } from '../../src/metrics/prometheus.js';
import { UPLOAD_ERROR_CODES, UPLOAD_FAILURE_REASONS } from '../../src/uploads/errors.js';
import { createFileTypeDetector } from '../../src/uploads/file-type.js';
import {
  createMemoryObjectStore,
  createMemoryQuotaStore,
  createUploadPolicy,
  isUploadRejected,
} from '../../src/uploads/index.js';
import { SIZE_BUCKETS, UPLOAD_MODES } from '../../src/uploads/instruments.js';

const page = readFileSync(resolve(import.meta.dirname, '../../docs/uploads.md'), 'utf8');

/** Reasons a policy may count besides the refusal reasons (policy-failures.ts). */
const EXTRA_REASONS = ['store', 'invalid', 'timeout', 'error'];
const REASONS = new Set<string>([...Object.values(UPLOAD_FAILURE_REASONS), ...EXTRA_REASONS]);

interface Instrument {
  readonly name: string;
  readonly kind: 'counter' | 'histogram' | 'gauge';
  readonly labels: readonly string[];
}

/** A memory recorder that also remembers which instruments were created, with their label names. */
function recordingMetrics() {
  const memory = createMemoryMetrics();
  const created = new Map<string, Instrument>();
  const note = <T>(
    kind: Instrument['kind'],
    name: string,
    labels: readonly string[] | undefined,
    make: () => T,
  ) => {
    created.set(name, { name, kind, labels: [...(labels ?? [])] });
    return make();
  };
  const metrics: Metrics = {
    counter: (name, o) => note('counter', name, o?.labelNames, () => memory.counter(name, o)),
    histogram: (name, o) => note('histogram', name, o?.labelNames, () => memory.histogram(name, o)),
    gauge: (name, o) => note('gauge', name, o?.labelNames, () => memory.gauge(name, o)),
  };
  return { memory, metrics, created };
}

/** The rows of the "Metric and alerts" table: name, kind and label names as the page writes them. */
function documentedInstruments(markdown: string): Instrument[] {
  const rows = [...markdown.matchAll(/^\| `(uploads\.[a-z_]+)`\s*\|\s*(\w+)\s*\|([^|]*)\|/gm)];
  return rows.map((m) => ({
    name: m[1] as string,
    kind: m[2] as Instrument['kind'],
    labels: [...(m[3] as string).matchAll(/`([a-z_]+)`/g)].map((l) => l[1] as string),
  }));
}

/** Problems of the metric table against the instruments the code created. */
function tableProblems(markdown: string, created: ReadonlyMap<string, Instrument>): string[] {
  const problems: string[] = [];
  const documented = documentedInstruments(markdown);
  const names = new Set(documented.map((d) => d.name));
  for (const name of created.keys()) if (!names.has(name)) problems.push(`${name} is not in the table`);
  for (const d of documented) {
    const real = created.get(d.name);
    if (!real) problems.push(`${d.name} is documented but never created`);
    else if (real.kind !== d.kind) problems.push(`${d.name} is a ${real.kind}, documented as ${d.kind}`);
    else if ([...real.labels].sort().join() !== [...d.labels].sort().join()) {
      problems.push(`${d.name} has labels ${real.labels.join(', ')}, documented ${d.labels.join(', ')}`);
    }
  }
  return problems;
}

/** The Prometheus series names the adapter writes for the created instruments. */
function prometheusNames(created: ReadonlyMap<string, Instrument>): Set<string> {
  const names = new Set<string>();
  for (const i of created.values()) {
    const base = toPrometheusName(i.name);
    if (i.kind === 'counter') names.add(`${base.replace(/_total$/, '')}_total`);
    else if (i.kind === 'histogram') for (const s of ['_bucket', '_sum', '_count']) names.add(base + s);
    else names.add(base);
  }
  return names;
}

/** Problems of the promql/yaml blocks: unknown series, size buckets, reasons. */
function queryProblems(markdown: string, created: ReadonlyMap<string, Instrument>): string[] {
  const problems: string[] = [];
  const blocks = [...markdown.matchAll(/^```(promql|yaml)\n([\s\S]*?)^```/gm)].map((m) => m[2] as string);
  if (blocks.length === 0) problems.push('no promql or yaml block');
  const series = prometheusNames(created);
  const labelNames = new Set([...created.values()].flatMap((i) => i.labels));
  for (const block of blocks) {
    // Any series name: ours by prefix, or anything with a counter or histogram suffix (a misspelt prefix).
    for (const m of block.matchAll(/\b(uploads_[a-z_]+|[a-z][a-z0-9_]*_(?:total|bucket|sum|count))\b/g)) {
      if (labelNames.has(m[1] as string)) continue; // `size_bucket` is a label, not a series
      if (!series.has(m[1] as string)) problems.push(`series ${m[1]} is not written by the adapter`);
    }
    for (const m of block.matchAll(/(size_bucket|reason|mode)\s*=~?\s*"([^"]+)"/g)) {
      const allowed: ReadonlySet<string> =
        m[1] === 'size_bucket' ? new Set(SIZE_BUCKETS) : m[1] === 'mode' ? new Set(UPLOAD_MODES) : REASONS;
      for (const value of (m[2] as string).split('|')) {
        if (!allowed.has(value)) problems.push(`${m[1]} value "${value}" is never emitted`);
      }
    }
  }
  return problems;
}

/** Problems of the label values the page names in its metric section. */
function labelValueProblems(markdown: string): string[] {
  const section = markdown.slice(markdown.indexOf('## Metric and alerts'), markdown.indexOf('## Adapters'));
  const problems: string[] = [];
  for (const bucket of SIZE_BUCKETS)
    if (!section.includes(`\`${bucket}\``)) problems.push(`${bucket} missing`);
  for (const mode of UPLOAD_MODES)
    if (!section.includes(`\`${mode}\``)) problems.push(`mode ${mode} missing`);
  // Anything that looks like a size bucket must be one.
  for (const m of section.matchAll(/`((?:lt|ge)_\d+[KMG]iB|\d+(?:[KMG]iB)?[-_]\d+[KMG]iB)`/g)) {
    if (!(SIZE_BUCKETS as readonly string[]).includes(m[1] as string))
      problems.push(`unknown bucket ${m[1]}`);
  }
  return problems;
}

const pdf = new TextEncoder().encode(
  '%PDF-1.4\n1 0 obj <</Type /Catalog>> endobj\ntrailer <</Root 1 0 R>>\n%%EOF\n',
);

describe('docs/uploads.md', () => {
  const { memory, metrics, created } = recordingMetrics();

  beforeAll(async () => {
    // A policy that goes through each path once, so every instrument exists and every kind of label is seen.
    const storage = createMemoryObjectStore();
    const uploads = createUploadPolicy({
      storage,
      types: { 'application/pdf': {}, 'image/png': {} },
      maxBytes: 1024 * 1024,
      detector: createFileTypeDetector(),
      quota: { store: createMemoryQuotaStore(), limitBytes: 10 * 1024 * 1024 },
      metrics,
    });
    const owner = 'docs-test';
    const ticket = await uploads.startDirect({
      owner,
      filename: 'a.pdf',
      contentType: 'application/pdf',
      sizeBytes: pdf.length,
      mode: 'put',
    });
    if (ticket.mode !== 'put') throw new Error('expected a PUT ticket');
    expect(storage.receivePut(ticket.put.url, ticket.put.headers, pdf).ok).toBe(true);
    await uploads.finalize(owner, ticket.uploadId);
    await uploads.proxy({
      owner,
      filename: 'b.pdf',
      contentType: 'application/pdf',
      body: Readable.from([pdf]),
    });
    // Hostile: a PDF sent as a PNG, and a finalize of an upload that does not exist.
    for (const attempt of [
      () => uploads.proxy({ owner, filename: 'c.png', contentType: 'image/png', body: Readable.from([pdf]) }),
      () => uploads.finalize(owner, 'AAAAAAAAAAAAAAAAAAAAAA'),
    ]) {
      await attempt().then(
        () => expect.fail('accepted a refused upload'),
        (error: unknown) => expect(isUploadRejected(error)).toBe(true),
      );
    }
  });

  it('follows the module template and lists exactly the module error codes', () => {
    expect(checkModulePage('docs/uploads.md', page, UPLOAD_ERROR_CODES, CORE_ERROR_CODES)).toEqual([]);
  });

  it('documents exactly the instruments a policy creates, with their kinds and labels', () => {
    expect(created.size).toBeGreaterThanOrEqual(4);
    expect(tableProblems(page, created)).toEqual([]);
  });

  it('names the label values a policy emits', () => {
    expect(labelValueProblems(page)).toEqual([]);
    for (const s of memory.snapshot().filter((m) => m.name.startsWith('uploads.'))) {
      if (s.labels.mode !== undefined) expect(UPLOAD_MODES).toContain(s.labels.mode);
      if (s.labels.size_bucket !== undefined) expect(SIZE_BUCKETS).toContain(s.labels.size_bucket);
      if (s.name === 'uploads.failures') expect([...REASONS]).toContain(s.labels.reason);
    }
  });

  it('queries only series the Prometheus adapter writes, with label values that exist', () => {
    expect(queryProblems(page, created)).toEqual([]);
  });

  it('catches a page that drifted from the code (the checks can fail)', () => {
    const drifted = page
      .replace('`1MiB_10MiB`', '`1-10MiB`')
      .replaceAll('uploads_failures_total', 'upload_failures_total')
      .replace('| `uploads.bytes`', '| `uploads.byte_count`')
      .replace('## Error codes', '## Errors');
    expect(labelValueProblems(drifted)).toEqual(expect.arrayContaining(['1MiB_10MiB missing']));
    expect(labelValueProblems(drifted).some((p) => p.includes('unknown bucket 1-10MiB'))).toBe(true);
    expect(queryProblems(drifted, created).some((p) => p.includes('upload_failures_total'))).toBe(true);
    expect(tableProblems(drifted, created)).toEqual(
      expect.arrayContaining([
        'uploads.bytes is not in the table',
        'uploads.byte_count is documented but never created',
      ]),
    );
    expect(checkModulePage('p', drifted, UPLOAD_ERROR_CODES, CORE_ERROR_CODES).length).toBeGreaterThan(0);
    const badAlert = page.replace('reason="scan_unavailable"', 'reason="scanner_down"');
    expect(queryProblems(badAlert, created)).toEqual(['reason value "scanner_down" is never emitted']);
  });
});
