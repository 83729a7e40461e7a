/**
 * Full text of the memory source on minisearch (BM25 ranking, an inverted index kept up to date
 * document by document). The query syntax is PostgreSQL's web-search syntax (memory-text-query.ts);
 * minisearch finds and scores the words, and phrases are then checked on the fields' words. Stop words
 * default to PostgreSQL's `english` list, so `the cat` asks for `cat` on both engines.
 */
import MiniSearch, { type SearchOptions } from 'minisearch';
import type { KeyValue, MemoryField, MemoryRecord } from './memory-rows.js';
import { containsPhrase, type ParsedText, parseText, type TextItem, tokenize } from './memory-text-query.js';
import type { TextWeights } from './types.js';

/** Tuning of the memory full text (the `textOptions` of `createMemorySource`). */
export interface MemoryTextOptions {
  /** Let each query word match as a prefix of indexed words. Default false (PostgreSQL matches whole lexemes). */
  readonly prefix?: boolean;
  /**
   * Fuzzy matching: 0 (default) is off; below 1 a fraction of the word's length, 1 or more an edit
   * distance (minisearch's `fuzzy`). PostgreSQL's `websearch_to_tsquery` has no fuzziness.
   */
  readonly fuzzy?: number;
  /** Words that are not indexed and drop out of queries. Default {@link ENGLISH_STOP_WORDS}; `[]` for none. */
  readonly stopWords?: readonly string[];
}

/** PostgreSQL's `english` stop words (Snowball's list, `tsearch_data/english.stop`). */
export const ENGLISH_STOP_WORDS: readonly string[] = Object.freeze(
  'i me my myself we our ours ourselves you your yours yourself yourselves he him his himself she her hers herself it its itself they them their theirs themselves what which who whom this that these those am is are was were be been being have has had having do does did doing a an the and but if or because as until while of at by for with about against between into through during before after above below to from up down in out on off over under again further then once here there when where why how all any both each few more most other some such no nor not only own same so than too very s t can will just don should now'.split(
    ' ',
  ),
);

// The id property name cannot clash with a declared field name (those are identifiers).
const ID = '\u0000key';

interface TextDocument {
  readonly key: KeyValue;
  readonly texts: Readonly<Record<string, string>>;
}

type Lookup<Row> = (key: KeyValue) => MemoryRecord<Row> | undefined;

/** One query's view of the records: lookup, and each record's field words tokenized once per query. */
interface MatchScope<Row> {
  readonly lookup: Lookup<Row>;
  readonly tokens: (record: MemoryRecord<Row>) => readonly (readonly string[])[];
}

/** The text index of one memory source. */
export interface TextIndex<Row> {
  /** Adds, replaces (`previous` given) or removes (`next` undefined) one record's text. */
  update(previous: MemoryRecord<Row> | undefined, next: MemoryRecord<Row> | undefined): void;
  /**
   * Keys matching `text` with their scores; `lookup` gives a record's fields for phrase checks.
   * `checkBudget` runs between the passes over the index and throws to stop a query out of time.
   */
  match(text: string, lookup: Lookup<Row>, checkBudget: () => void): Map<KeyValue, number>;
  /** Waits for a running vacuum (clean-up of discarded documents) to end. */
  settle(): Promise<void>;
}

const textOf = (record: MemoryRecord<unknown>, field: MemoryField): string => {
  const v = record.values[field.index];
  return typeof v === 'string' ? v : '';
};

/** Matches one alternative of a query (a conjunction of items) with minisearch, then checks phrases. */
function groupMatcher<Row>(
  index: MiniSearch<TextDocument>,
  documentKeys: ReadonlySet<KeyValue>,
): (group: readonly TextItem[], scope: MatchScope<Row>) => Map<KeyValue, number> {
  const phraseHolds = (scope: MatchScope<Row>, key: KeyValue, item: TextItem): boolean => {
    const record = scope.lookup(key);
    return record !== undefined && scope.tokens(record).some((words) => containsPhrase(words, item.words));
  };

  // A query string, not a QueryCombination: minisearch runs it about twice as fast, and the words are
  // already tokens of the same tokenizer, so joining them with spaces gives the same terms back.
  const itemMatches = (item: TextItem, scope: MatchScope<Row>) => {
    const words = item.words.filter((w): w is string => w !== null);
    const found = index.search(words.join(' '));
    const keys = found.map((r) => r.id as KeyValue);
    return item.words.length > 1 ? keys.filter((k) => phraseHolds(scope, k, item)) : keys;
  };

  const wordsOf = (items: readonly TextItem[]) => [
    ...new Set(items.flatMap((i) => i.words.filter((w): w is string => w !== null))),
  ];

  const positiveScores = (positive: readonly TextItem[], scope: MatchScope<Row>) => {
    const scores = new Map<KeyValue, number>();
    // Only exclusions (`-spam`): everything else matches, unscored (PostgreSQL ranks it 0 too).
    if (positive.length === 0) {
      for (const key of documentKeys) scores.set(key, 0);
      return scores;
    }
    for (const r of index.search(wordsOf(positive).join(' '))) {
      scores.set(r.id as KeyValue, r.score);
    }
    for (const item of positive.filter((i) => i.words.length > 1)) {
      for (const key of scores.keys()) if (!phraseHolds(scope, key, item)) scores.delete(key);
    }
    return scores;
  };

  const matchGroup = (group: readonly TextItem[], scope: MatchScope<Row>) => {
    const scores = positiveScores(
      group.filter((item) => !item.negated),
      scope,
    );
    for (const item of group.filter((i) => i.negated)) {
      for (const key of itemMatches(item, scope)) scores.delete(key);
    }
    return scores;
  };
  return matchGroup;
}

/** Creates the text index of `fields`, boosted by their class weight. */
export function createTextIndex<Row>(
  fields: readonly MemoryField[],
  weights: TextWeights,
  options: MemoryTextOptions,
): TextIndex<Row> {
  const stop = new Set(options.stopWords ?? ENGLISH_STOP_WORDS);
  const names = fields.map((f) => f.name);
  const boost = Object.fromEntries(fields.map((f) => [f.name, weights[f.text ?? 'D']]));
  const fuzzy = options.fuzzy ?? 0;
  const searchOptions: SearchOptions = {
    boost,
    prefix: options.prefix === true,
    fuzzy: fuzzy > 0 ? fuzzy : false,
    combineWith: 'AND',
  };
  const index = new MiniSearch<TextDocument>({
    fields: names,
    idField: ID,
    extractField: (doc, name) => (name === ID ? doc.key : (doc.texts[name] ?? '')),
    tokenize: (text) => tokenize(text),
    processTerm: (term) => (stop.has(term) ? null : term),
    searchOptions,
    autoVacuum: false,
  });
  const documentKeys = new Set<KeyValue>();
  const toDocument = (record: MemoryRecord<Row>): TextDocument => ({
    key: record.key,
    texts: Object.fromEntries(fields.map((f) => [f.name, textOf(record, f)])),
  });

  const matchGroup = groupMatcher<Row>(index, documentKeys);
  let vacuuming: Promise<void> = Promise.resolve();

  return {
    update(previous, next) {
      if (previous !== undefined) {
        index.discard(previous.key);
        documentKeys.delete(previous.key);
      }
      if (next !== undefined) {
        index.add(toDocument(next));
        documentKeys.add(next.key);
      }
      // Discarded documents stay in the inverted index (ignored) until a vacuum; run one, in the
      // background, once they are a tenth of the index (minisearch's own auto-vacuum thresholds).
      if (!index.isVacuuming && index.dirtCount >= 20 && index.dirtFactor >= 0.1) {
        vacuuming = index.vacuum({ batchSize: 1000, batchWait: 10 });
      }
    },
    match(text, lookup, checkBudget) {
      const parsed: ParsedText = parseText(text, (w) => stop.has(w));
      const cache = new Map<KeyValue, readonly (readonly string[])[]>();
      const scope: MatchScope<Row> = {
        lookup,
        tokens(record) {
          let words = cache.get(record.key);
          if (words === undefined) {
            words = fields.map((f) => tokenize(textOf(record, f)));
            cache.set(record.key, words);
          }
          return words;
        },
      };
      const total = new Map<KeyValue, number>();
      for (const group of parsed) {
        checkBudget();
        for (const [key, score] of matchGroup(group, scope)) total.set(key, (total.get(key) ?? 0) + score);
      }
      checkBudget();
      return total;
    },
    async settle() {
      await vacuuming;
    },
  };
}
