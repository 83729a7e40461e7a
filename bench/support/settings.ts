/** Benchmark settings from the environment, refused with the variable's name when they are not integers. */

/** `process.env[name]` as an integer >= `min`, or `fallback` when unset or empty. */
export function setting(name: string, fallback: number, min: number): number {
  const raw = process.env[name];
  const value = raw === undefined || raw === '' ? fallback : Number(raw);
  if (!Number.isInteger(value) || value < min) {
    throw new Error(`${name} must be an integer >= ${min}, got ${JSON.stringify(raw)}`);
  }
  return value;
}
