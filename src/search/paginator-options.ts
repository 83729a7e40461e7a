/**
 * The options of `createPaginator`, parsed once at construction: the field allowlist (every spec
 * checked against its type), the key, the allowed sorts (resolved, key appended), the cursor keys, the
 * limits and their defaults. Also binds the source and checks its capabilities, so a paginator that
 * constructs can serve every query its options allow.
 */
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt, optionError } from '../core/options.js';
import { CURSOR_KEY_ID_PATTERN, type CursorKey } from './cursor.js';
import { isPlainRecord } from './filter-parse.js';
import { RELEVANCE_TOKEN, type ResolvedSort, resolveSort } from './sort.js';
import type {
  FieldMap,
  FieldSpec,
  FieldType,
  FilterOperatorName,
  NullsPlacement,
  PaginatorOptions,
  SearchSource,
  TextWeights,
  TotalMode,
} from './types.js';

const OWNER = 'createPaginator';
/** Field names clients use: identifiers without a leading underscore (`_relevance` is ours). */
const FIELD_NAME_PATTERN = /^[A-Za-z][A-Za-z0-9_]{0,62}$/;
const COLUMN_PATTERN = /^[a-z_][a-z0-9_]{0,62}$/;
const MAX_FIELDS = 256;
const MIN_SECRET_BYTES = 32;

/** A field of the allowlist with its defaults applied. */
export interface ResolvedField {
  readonly name: string;
  readonly type: FieldType;
  readonly column: string;
  readonly nullable: boolean;
  readonly nulls: NullsPlacement;
  readonly filter: ReadonlySet<FilterOperatorName>;
  readonly facet: boolean;
  readonly text: 'A' | 'B' | 'C' | 'D' | undefined;
}

const fieldShape = opt.shape(
  {
    type: opt.oneOf(['string', 'number', 'integer', 'boolean', 'timestamp'] as const, { required: true }),
    column: opt.matching(COLUMN_PATTERN, 'a column identifier: [a-z_][a-z0-9_]{0,62}'),
    nullable: opt.boolean({ default: false }),
    nulls: opt.oneOf(['first', 'last'] as const),
    filter: opt.list(opt.oneOf(['eq', 'in', 'range', 'prefix'] as const, { required: true }), {
      maxItems: 4,
    }),
    facet: opt.boolean({ default: false }),
    text: opt.oneOf(['A', 'B', 'C', 'D'] as const),
  },
  { required: true },
);

function parseField(name: string, value: unknown, path: string, owner: string): ResolvedField {
  const spec = fieldShape.parse(value, path, owner);
  const filter = new Set(spec.filter ?? []);
  if (filter.size !== (spec.filter ?? []).length)
    throw optionError(owner, `${path}.filter`, 'without repeats');
  if (filter.has('prefix') && spec.type !== 'string') {
    throw optionError(owner, `${path}.filter`, "free of 'prefix' (only string fields have prefixes)");
  }
  if (filter.has('range') && spec.type === 'boolean') {
    throw optionError(owner, `${path}.filter`, "free of 'range' (booleans have no range)");
  }
  if (spec.nulls !== undefined && !spec.nullable) {
    throw optionError(owner, `${path}.nulls`, 'absent: only nullable fields have nulls to place');
  }
  if (spec.text !== undefined && spec.type !== 'string') {
    throw optionError(owner, `${path}.text`, 'absent: only string fields are searched as text');
  }
  return Object.freeze({
    name,
    type: spec.type,
    column: spec.column ?? name,
    nullable: spec.nullable,
    nulls: spec.nulls ?? 'last',
    filter,
    facet: spec.facet,
    text: spec.text,
  });
}

function parseFields(value: unknown, path: string, owner: string): ReadonlyMap<string, ResolvedField> {
  if (!isPlainRecord(value)) throw optionError(owner, path, 'an object of field name to field spec', value);
  const names = Object.keys(value);
  if (names.length === 0 || names.length > MAX_FIELDS) {
    throw optionError(owner, path, `an object of 1..${MAX_FIELDS} fields`);
  }
  const out = new Map<string, ResolvedField>();
  for (const name of names) {
    if (!FIELD_NAME_PATTERN.test(name)) {
      throw optionError(owner, path, 'keyed by field names of [A-Za-z][A-Za-z0-9_]{0,62}');
    }
    if (name === RELEVANCE_TOKEN) {
      throw optionError(owner, `${path}.${name}`, 'renamed: `relevance` is the full-text sort');
    }
    out.set(name, parseField(name, value[name], `${path}.${name}`, owner));
  }
  return out;
}

/** The allowlist `fields` with its defaults applied (what the paginator parses against); throws `InvalidOptionError`. */
export const resolveFields = (fields: FieldMap): ReadonlyMap<string, ResolvedField> =>
  parseFields(fields, 'fields', OWNER);

function parseCursorKey(value: unknown, path: string, owner: string): CursorKey {
  if (!isPlainRecord(value)) throw optionError(owner, path, 'an object { id, secret }');
  for (const k of Object.keys(value)) {
    if (k !== 'id' && k !== 'secret')
      throw new InvalidOptionError(`${owner}: unknown option \`${path}.${k}\``);
  }
  const { id, secret } = value;
  if (typeof id !== 'string' || !CURSOR_KEY_ID_PATTERN.test(id)) {
    throw optionError(owner, `${path}.id`, '1..32 characters of [A-Za-z0-9._-]');
  }
  const bytes =
    typeof secret === 'string'
      ? Buffer.from(secret, 'utf8')
      : secret instanceof Uint8Array
        ? Buffer.from(secret)
        : undefined;
  if (bytes === undefined || bytes.length < MIN_SECRET_BYTES) {
    throw optionError(
      owner,
      `${path}.secret`,
      `a string or Uint8Array of at least ${MIN_SECRET_BYTES} bytes`,
    );
  }
  return Object.freeze({ id, secret: bytes });
}

const parse = defineOptions(OWNER, {
  source: opt.port<SearchSource<unknown>>(['bind', 'query'], 'required'),
  fields: opt.custom(parseFields, { required: true }),
  key: opt.string({ default: 'id', maxLength: 63 }),
  sorts: opt.list(opt.string({ required: true, maxLength: 512 }), {
    minItems: 1,
    maxItems: 64,
    required: true,
  }),
  defaultPageSize: opt.integer({ default: 20, max: 10_000 }),
  maxPageSize: opt.integer({ default: 100, max: 10_000 }),
  pageSizePolicy: opt.oneOf(['reject', 'clamp'] as const, { default: 'reject' }),
  maxOffset: opt.integer({ default: 10_000, min: 0, max: 1_000_000_000 }),
  cursorKeys: opt.list(opt.custom(parseCursorKey, { required: true }), {
    minItems: 1,
    maxItems: 16,
    required: true,
  }),
  cursorTtlMs: opt.duration(),
  timeoutMs: opt.duration({ default: 2_000, max: 3_600_000 }),
  onTimeout: opt.oneOf(['degrade', 'fail'] as const, { default: 'degrade' }),
  defaultTotal: opt.oneOf(['exact', 'estimated', 'none'] as const),
  facetLimit: opt.integer({ default: 10, max: 100 }),
  textWeights: opt.shape(
    {
      A: opt.number({ default: 1, max: 1 }),
      B: opt.number({ default: 0.4, max: 1 }),
      C: opt.number({ default: 0.2, max: 1 }),
      D: opt.number({ default: 0.1, max: 1 }),
    },
    { default: { A: 1, B: 0.4, C: 0.2, D: 0.1 } },
  ),
  maxTextLength: opt.integer({ default: 256, max: 10_000 }),
  maxFilters: opt.integer({ default: 20, max: 1_000 }),
  metrics: opt.metrics(),
  clock: opt.clock(),
  name: opt.name({ default: 'default', maxLength: 64 }),
});

type Parsed = ReturnType<typeof parse>;

/** The resolved options of a paginator. */
export interface ResolvedPaginatorOptions<Row>
  extends Omit<Parsed, 'source' | 'fields' | 'sorts' | 'maxOffset' | 'textWeights'> {
  readonly source: SearchSource<Row>;
  readonly fields: ReadonlyMap<string, ResolvedField>;
  /** Allowed sorts by the spelling in the options and by their canonical form. */
  readonly sorts: ReadonlyMap<string, ResolvedSort>;
  /** The first configured sort. */
  readonly defaultSort: ResolvedSort;
  /** The first configured sort without relevance (used when there is no search text). */
  readonly defaultPlainSort: ResolvedSort;
  /** `maxOffset` lowered to the source's own limit. */
  readonly maxOffset: number;
  readonly textWeights: TextWeights;
  readonly defaultTotal: TotalMode | undefined;
  /** True when some field has a text weight. */
  readonly searchable: boolean;
}

function checkKey(fields: ReadonlyMap<string, ResolvedField>, key: string): void {
  const field = fields.get(key);
  if (field === undefined) throw optionError(OWNER, 'key', 'a declared field');
  if (field.nullable) throw optionError(OWNER, 'key', 'a field that is not nullable');
  if (field.type !== 'string' && field.type !== 'integer') {
    throw optionError(OWNER, 'key', 'a string or integer field');
  }
}

function resolveSorts(
  specs: readonly string[],
  fields: ReadonlyMap<string, ResolvedField>,
  key: string,
  searchable: boolean,
) {
  const sorts = new Map<string, ResolvedSort>();
  const resolved = specs.map((spec, i) => {
    const sort = resolveSort(spec, fields, key);
    if (typeof sort === 'string') throw optionError(OWNER, `sorts[${i}]`, `a valid sort: it ${sort}`);
    if (sort.relevance && !searchable) {
      throw optionError(OWNER, `sorts[${i}]`, 'free of `relevance` (no field has a `text` weight)');
    }
    const existing = sorts.get(sort.spec);
    if (existing !== undefined)
      throw optionError(OWNER, `sorts[${i}]`, `different from \`${existing.spec}\``);
    sorts.set(sort.spec, sort);
    sorts.set(spec, sort);
    return sort;
  });
  const plain = resolved.find((s) => !s.relevance);
  const first = resolved[0];
  if (plain === undefined || first === undefined) {
    throw optionError(OWNER, 'sorts', 'a list with at least one sort without `relevance`');
  }
  return { sorts, defaultSort: first, defaultPlainSort: plain };
}

function checkSource(source: SearchSource<unknown>, searchable: boolean): void {
  const caps: unknown = source.capabilities;
  if (typeof caps !== 'object' || caps === null) {
    throw optionError(OWNER, 'source', 'a SearchSource with `capabilities`');
  }
  const { text, maxOffset } = caps as Record<string, unknown>;
  if (maxOffset !== null && !(Number.isSafeInteger(maxOffset) && (maxOffset as number) >= 0)) {
    throw optionError(OWNER, 'source', 'a SearchSource whose `capabilities.maxOffset` is null or an integer');
  }
  if (searchable && text !== true) {
    throw optionError(
      OWNER,
      'fields',
      `free of \`text\` weights: source \`${String(source.kind)}\` has no full-text search`,
    );
  }
}

/** The fields as the source sees them: every default filled in. */
function schemaFields(fields: ReadonlyMap<string, ResolvedField>): FieldMap {
  const out: Record<string, FieldSpec> = Object.create(null);
  for (const f of fields.values()) {
    out[f.name] = Object.freeze({
      type: f.type,
      column: f.column,
      nullable: f.nullable,
      ...(f.nullable ? { nulls: f.nulls } : {}),
      filter: Object.freeze([...f.filter]),
      facet: f.facet,
      ...(f.text === undefined ? {} : { text: f.text }),
    });
  }
  return Object.freeze(out);
}

/** Parses the options of `createPaginator` and binds the source; throws `InvalidOptionError`. */
export function parsePaginatorOptions<Row>(input: PaginatorOptions<Row>): ResolvedPaginatorOptions<Row> {
  const o = parse(input);
  checkKey(o.fields, o.key);
  if (o.defaultPageSize > o.maxPageSize) {
    throw optionError(OWNER, 'defaultPageSize', `at most \`maxPageSize\` (${o.maxPageSize})`);
  }
  const ids = new Set(o.cursorKeys.map((k) => k.id));
  if (ids.size !== o.cursorKeys.length) throw optionError(OWNER, 'cursorKeys', 'keys with distinct ids');
  const searchable = [...o.fields.values()].some((f) => f.text !== undefined);
  checkSource(o.source, searchable);
  const sorts = resolveSorts(o.sorts, o.fields, o.key, searchable);
  const sourceMax = o.source.capabilities.maxOffset;
  o.source.bind({ fields: schemaFields(o.fields), key: o.key, textWeights: o.textWeights });
  return {
    ...o,
    ...sorts,
    source: o.source as SearchSource<Row>,
    maxOffset: sourceMax === null ? o.maxOffset : Math.min(o.maxOffset, sourceMax),
    searchable,
  };
}
