/**
 * The "metrics emitted" block of the demo: every series with what its number is (a counter's total, a
 * gauge's last value, a histogram's number of observations) and its unit. Units come from the instrument's
 * own `unit` option (every instrument of the library declares one), recorded as the sections create
 * instruments; one declared without a unit is shown as counting `{event}`, so no figure is printed bare.
 */
import type { MemoryMetrics } from 'backend-patterns/testing';

/** `{request}` → "request(s)"; `1` (a ratio or a code) → "(dimensionless)"; `s`, `ms`, `By` stay. */
function unitText(unit: string, value: number): string {
  if (unit === '1') return '(dimensionless)';
  const annotation = /^\{(.+)\}$/.exec(unit);
  if (!annotation) return unit;
  return value === 1 ? (annotation[1] as string) : `${annotation[1]}s`;
}

/** Wraps `metrics` so the units of the instruments created through it are known to `report`. */
export function withUnits(metrics: MemoryMetrics): { metrics: MemoryMetrics; report(): string[] } {
  const units = new Map<string, string>();
  const remember = <T>(name: string, unit: string | undefined, create: () => T): T => {
    if (unit) units.set(name, unit);
    return create();
  };
  const wrapped: MemoryMetrics = {
    ...metrics,
    counter: (name, options) => remember(name, options?.unit, () => metrics.counter(name, options)),
    gauge: (name, options) => remember(name, options?.unit, () => metrics.gauge(name, options)),
    histogram: (name, options) => remember(name, options?.unit, () => metrics.histogram(name, options)),
  };
  const report = () =>
    metrics.snapshot().map((m) => {
      const labels = Object.entries(m.labels)
        .map(([k, v]) => `${k}=${v}`)
        .join(',');
      const unit = units.get(m.name) ?? '{event}';
      const figure =
        m.kind === 'counter'
          ? `total ${m.value} ${unitText(unit, m.value)}`
          : m.kind === 'gauge'
            ? `last ${m.value} ${unitText(unit, m.value)}`
            : `${m.value} ${m.value === 1 ? 'observation' : 'observations'} (in ${unitText(unit, 2)})`;
      return `${m.kind.padEnd(9)} ${m.name}{${labels}}: ${figure}`;
    });
  return { metrics: wrapped, report };
}
