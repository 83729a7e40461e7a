/**
 * Context attribute lookup, compiled once per attribute path. Only own properties are read
 * (`Object.hasOwn`), and a dotted path only descends through plain objects, so a context built with
 * `__proto__`, `constructor` or a class instance cannot make a lookup reach a prototype.
 */
import type { EvaluationContext } from './types.js';
import { isPlainObject } from './validate-kit.js';

/** Reads one attribute of a context: the value, or undefined when absent. */
export type Lookup = (context: EvaluationContext) => unknown;

/** Compiles the lookup of `path` (`plan`, or dotted `company.tier`). */
export function compileLookup(path: string): Lookup {
  const parts = path.split('.');
  if (parts.length === 1) {
    const key = parts[0]!;
    return (context) => (Object.hasOwn(context, key) ? context[key] : undefined);
  }
  return (context) => {
    let current: unknown = context;
    for (let i = 0; i < parts.length; i++) {
      if (i > 0 && !isPlainObject(current)) return undefined;
      const record = current as Readonly<Record<string, unknown>>;
      const key = parts[i]!;
      if (!Object.hasOwn(record, key)) return undefined;
      current = record[key];
    }
    return current;
  };
}

/** The context's `targetingKey` when it is a non-empty string. */
export function targetingKeyOf(context: EvaluationContext): string | undefined {
  if (!Object.hasOwn(context, 'targetingKey')) return undefined;
  const key: unknown = context.targetingKey;
  return typeof key === 'string' && key !== '' ? key : undefined;
}
