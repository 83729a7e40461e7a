/**
 * The memory source's view of a bound schema and of rows: each row is checked against the fields it
 * declares and turned into a record of stored values (see memory-values.ts) once, on load or apply, so
 * queries compare plain values. A batch is checked whole before anything changes.
 */

import { parseTimestamp, type StoredValue, timestampMs } from './memory-values.js';
import type { FieldSpec, FieldType, SourceSchema } from './types.js';

/** A unique key value: the key field is `string` or `integer`. */
export type KeyValue = string | number;

/** One declared field as the memory source reads it. */
export interface MemoryField {
  readonly name: string;
  /** Position of the field's value in {@link MemoryRecord.values}. */
  readonly index: number;
  readonly type: FieldType;
  /** The row property holding the value. */
  readonly property: string;
  readonly nullable: boolean;
  readonly text: FieldSpec['text'];
}

/** A bound schema, compiled. */
export interface MemorySchema {
  readonly fields: ReadonlyMap<string, MemoryField>;
  readonly key: MemoryField;
  readonly textFields: readonly MemoryField[];
  readonly source: SourceSchema;
}

/** A row as indexed: the caller's row, its key and its stored values by field position (an array is far faster to read than a dictionary). */
export interface MemoryRecord<Row> {
  readonly key: KeyValue;
  readonly row: Row;
  readonly values: readonly StoredValue[];
  /** Epoch ms of the row's `updatedAtField`, when the source has one. */
  readonly updatedAtMs: number | null;
}

/** Thrown by the checks below; the caller wraps it in the error class of its context. */
export class RowProblem extends Error {}

/** Compiles the schema `bind` receives; throws a {@link RowProblem} when it cannot be served. */
export function compileSchema(schema: SourceSchema): MemorySchema {
  const fields = new Map<string, MemoryField>();
  for (const [name, spec] of Object.entries(schema.fields)) {
    if (spec.text !== undefined && spec.type !== 'string') {
      throw new RowProblem(`field \`${name}\` has a text weight but is not a string field`);
    }
    fields.set(name, {
      name,
      index: fields.size,
      type: spec.type,
      property: spec.column ?? name,
      nullable: spec.nullable === true,
      text: spec.text,
    });
  }
  const key = fields.get(schema.key);
  if (key === undefined) throw new RowProblem(`the key \`${schema.key}\` is not a declared field`);
  if ((key.type !== 'string' && key.type !== 'integer') || key.nullable) {
    throw new RowProblem(`the key \`${schema.key}\` must be a non-nullable string or integer field`);
  }
  const textFields = [...fields.values()].filter((f) => f.text !== undefined);
  return { fields, key, textFields, source: schema };
}

const EXPECTED: Readonly<Record<FieldType, string>> = {
  string: 'a string',
  number: 'a finite number',
  integer: 'a safe integer',
  boolean: 'a boolean',
  timestamp: 'a timestamp (a valid Date, an ISO 8601 instant with Z or an offset, or epoch ms)',
};

const LONE_SURROGATE = /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/;

/** The stored form of `value` for `field`, or undefined when it is not of the field's type. */
export function storedValue(type: FieldType, value: unknown): StoredValue | undefined {
  switch (type) {
    case 'string':
      // Lone surrogates have no code point, so no code point order (PostgreSQL refuses them too).
      return typeof value === 'string' && !LONE_SURROGATE.test(value) ? value : undefined;
    case 'number':
      return typeof value === 'number' && Number.isFinite(value) ? value + 0 : undefined;
    case 'integer':
      return Number.isSafeInteger(value) ? (value as number) + 0 : undefined;
    case 'boolean':
      return typeof value === 'boolean' ? value : undefined;
    case 'timestamp':
      return parseTimestamp(value);
  }
}

/** The stored value of one field of a row; `path` names it in the message (`upsert[3].price`). */
function readField(row: Readonly<Record<string, unknown>>, field: MemoryField, path: string): StoredValue {
  const raw = row[field.property];
  if (raw === undefined || raw === null) {
    if (field.nullable) return null;
    throw new RowProblem(
      `\`${path}.${field.property}\` is required (field \`${field.name}\` is not nullable)`,
    );
  }
  const value = storedValue(field.type, raw);
  if (value === undefined) {
    throw new RowProblem(`\`${path}.${field.property}\` must be ${EXPECTED[field.type]}`);
  }
  return value;
}

/** Builds the record of one row, or throws a {@link RowProblem}. */
export function toRecord<Row>(
  schema: MemorySchema,
  row: Row,
  path: string,
  updatedAtField: string | undefined,
): MemoryRecord<Row> {
  if (typeof row !== 'object' || row === null || Array.isArray(row)) {
    throw new RowProblem(`\`${path}\` must be an object`);
  }
  const source = row as Readonly<Record<string, unknown>>;
  const values: StoredValue[] = [];
  for (const field of schema.fields.values()) values.push(readField(source, field, path));
  let updatedAtMs: number | null = null;
  if (updatedAtField !== undefined) {
    const stamp = parseTimestamp(source[updatedAtField]);
    if (stamp === undefined) {
      throw new RowProblem(
        `\`${path}.${updatedAtField}\` (the updatedAtField) must be ${EXPECTED.timestamp}`,
      );
    }
    updatedAtMs = timestampMs(stamp);
  }
  return { key: values[schema.key.index] as KeyValue, row, values, updatedAtMs };
}

/** Checks a key given to `delete`. */
export function checkKey(schema: MemorySchema, value: unknown, path: string): KeyValue {
  const key = storedValue(schema.key.type, value);
  if (key === undefined || key === null || typeof key === 'boolean') {
    throw new RowProblem(
      `\`${path}\` must be ${EXPECTED[schema.key.type]} (a value of the key \`${schema.key.name}\`)`,
    );
  }
  return key;
}

/** A checked batch: records to upsert and keys to delete, no key twice. */
export interface CheckedBatch<Row> {
  readonly upserts: readonly MemoryRecord<Row>[];
  readonly deletes: readonly KeyValue[];
}

/** Checks a whole batch before any of it is applied; throws a {@link RowProblem} at the first fault. */
export function checkBatch<Row>(
  schema: MemorySchema,
  upsert: readonly Row[],
  remove: readonly unknown[],
  names: { readonly upsert: string; readonly delete: string },
  updatedAtField: string | undefined,
): CheckedBatch<Row> {
  const seen = new Set<KeyValue>();
  const upserts = upsert.map((row, i) => {
    const record = toRecord(schema, row, `${names.upsert}[${i}]`, updatedAtField);
    if (seen.has(record.key)) {
      throw new RowProblem(`\`${names.upsert}[${i}]\` repeats a key already in this batch`);
    }
    seen.add(record.key);
    return record;
  });
  const deletes = remove.map((value, i) => {
    const key = checkKey(schema, value, `${names.delete}[${i}]`);
    if (seen.has(key)) throw new RowProblem(`\`${names.delete}[${i}]\` repeats a key already in this batch`);
    seen.add(key);
    return key;
  });
  return { upserts, deletes };
}
