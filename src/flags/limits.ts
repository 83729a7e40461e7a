/**
 * The bounds a flag config must stay within. They keep load time and evaluation cost bounded whatever a
 * source delivers: a config beyond any of them is refused at load with a `FlagConfigError`.
 */

/** Every bound {@link validateConfig} enforces, with its value. docs/flags.md lists them. */
export const FLAG_CONFIG_LIMITS = Object.freeze({
  /** Flags in one config. */
  maxFlags: 10_000,
  /** Segments in one config. */
  maxSegments: 10_000,
  /** Variations of one flag. */
  maxVariations: 1_000,
  /** Rules of one flag (and of each scheduled change's rule set). */
  maxRulesPerFlag: 1_000,
  /** Clauses of one rule (flag or segment rule). */
  maxClausesPerRule: 100,
  /** Values of one clause. */
  maxValuesPerClause: 10_000,
  /** Target lists of one flag. */
  maxTargetsPerFlag: 1_000,
  /** Keys in one target list, or in a segment's `included` / `excluded` list. */
  maxKeysPerList: 100_000,
  /** Rules of one segment. */
  maxSegmentRules: 1_000,
  /** Prerequisites of one flag. */
  maxPrerequisites: 100,
  /** Longest prerequisite chain (a flag, its prerequisite, that one's prerequisite, ...). */
  maxPrerequisiteDepth: 32,
  /** Flag evaluations one evaluation may trigger through prerequisites, repeats counted. */
  maxPrerequisiteExpansion: 10_000,
  /** Longest chain of segments referring to segments (`inSegment` in a segment rule). */
  maxSegmentDepth: 32,
  /** Segment checks one segment may trigger through nested `inSegment`, repeats counted. */
  maxSegmentExpansion: 100_000,
  /** Scheduled changes of one flag. */
  maxScheduledChanges: 100,
  /** Clause values, target keys and segment keys in the whole config together. */
  maxTotalValues: 1_000_000,
  /** Characters of a flag, segment, variation or rule key (`[A-Za-z0-9._-]`). */
  maxKeyLength: 128,
  /** Characters of an attribute path (`plan`, `company.tier`). */
  maxAttributeLength: 256,
  /** Dotted parts of an attribute path. */
  maxAttributeDepth: 16,
  /** Characters of a string clause value, a target key or a segment key. */
  maxValueLength: 1_024,
  /** UTF-8 bytes of one string or JSON variation value (JSON measured as serialized). */
  maxVariationBytes: 65_536,
  /** Nesting depth of a JSON variation value (`[]` is depth 1). */
  maxJsonDepth: 32,
  /** `matches` patterns in the whole config together (each is analysed and compiled at load). */
  maxPatterns: 10_000,
  /** Characters of a `matches` pattern. */
  maxPatternLength: 256,
  /** Largest repetition count in a pattern (`a{1000}`). */
  maxPatternRepeat: 1_000,
  /** Characters of an attribute value a `matches` clause tests; a longer value does not match. */
  maxMatchInputLength: 1_024,
  /** Elements of an array context attribute a clause looks at (the rest never match). */
  maxContextArrayItems: 100,
  /** Characters of a semver value (in a clause or a context attribute). */
  maxSemverLength: 256,
  /** Characters of a salt. */
  maxSaltLength: 256,
  /** Characters of a description. */
  maxDescriptionLength: 4_096,
  /** Characters of the config's version. */
  maxVersionLength: 256,
});

/** The shape of {@link FLAG_CONFIG_LIMITS}. */
export type FlagConfigLimits = typeof FLAG_CONFIG_LIMITS;

/** Buckets of a rollout: weights are in 1/100,000 (0.001 %) and sum to this. */
export const BUCKET_COUNT = 100_000;
