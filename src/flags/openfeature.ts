/**
 * backend-patterns/flags/openfeature — a server provider for `@openfeature/server-sdk` over a
 * {@link FlagEvaluator}. Resolutions are the evaluator's results (value, variant, reason, error code,
 * flag metadata); `initialize` waits for `evaluator.ready()`; the evaluator's changes become provider
 * events: a changed config `PROVIDER_CONFIGURATION_CHANGED` (with `flagsChanged`), live data again
 * `PROVIDER_READY`, a fallback layer answering (the source failed, a config was refused)
 * `PROVIDER_STALE`, and no data at all `PROVIDER_ERROR`. This is the only file that imports the SDK.
 */
import {
  ErrorCode,
  OpenFeatureEventEmitter,
  type JsonValue as OpenFeatureJson,
  type Provider,
  ProviderEvents,
  type ResolutionDetails,
} from '@openfeature/server-sdk';
import { InvalidArgumentError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';
import { FlagSourceError } from './errors.js';
import type { FlagEvaluator, FlagEvaluatorEvent, SourceStatus } from './evaluator-types.js';
import type {
  EvaluationContext,
  EvaluationErrorCode,
  EvaluationResult,
  FlagValue,
  JsonValue,
} from './types.js';

/** Options of {@link createOpenFeatureProvider}. */
export interface OpenFeatureProviderOptions {
  /** `metadata.name`, shown in SDK logs and events. Default `backend-patterns-flags`. */
  readonly name?: string;
  /** Close the evaluator when the SDK closes the provider. Default false (the app owns the evaluator). */
  readonly closeEvaluator?: boolean;
}

/** The provider, with its event emitter. */
export interface FlagsOpenFeatureProvider extends Provider {
  readonly runsOn: 'server';
  readonly events: OpenFeatureEventEmitter;
}

const parseOptions = defineOptions('createOpenFeatureProvider', {
  name: opt.string({ default: 'backend-patterns-flags', maxLength: 128 }),
  closeEvaluator: opt.boolean({ default: false }),
});

const ERROR_CODES: Readonly<Record<EvaluationErrorCode, ErrorCode>> = {
  PROVIDER_NOT_READY: ErrorCode.PROVIDER_NOT_READY,
  FLAG_NOT_FOUND: ErrorCode.FLAG_NOT_FOUND,
  PARSE_ERROR: ErrorCode.PARSE_ERROR,
  TYPE_MISMATCH: ErrorCode.TYPE_MISMATCH,
  TARGETING_KEY_MISSING: ErrorCode.TARGETING_KEY_MISSING,
  INVALID_CONTEXT: ErrorCode.INVALID_CONTEXT,
  GENERAL: ErrorCode.GENERAL,
};

/** Deepest nesting where a `Date` is turned into its ISO string (the engine reads 16 levels at most). */
const MAX_CONVERT_DEPTH = 32;

const setOwn = (target: Record<string, unknown>, key: string, value: unknown) =>
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });

/**
 * OpenFeature contexts may hold `Date`s; flag rules compare ISO strings. Returns `value` itself unless a
 * Date is inside, else a copy with each Date as its ISO string (an invalid Date as null). Keys are set
 * as own properties, so a `__proto__` key stays a plain attribute.
 */
function withoutDates(value: unknown, depth: number): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (typeof value !== 'object' || value === null || depth >= MAX_CONVERT_DEPTH) return value;
  if (Array.isArray(value)) {
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i++) {
      const converted = withoutDates(value[i], depth + 1);
      if (converted === value[i]) continue;
      copy ??= [...value];
      copy[i] = converted;
    }
    return copy ?? value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const item = (value as Record<string, unknown>)[key];
    const converted = withoutDates(item, depth + 1);
    if (converted === item) continue;
    copy ??= { ...value };
    setOwn(copy, key, converted);
  }
  return copy ?? value;
}

function toContext(context: unknown): EvaluationContext {
  try {
    return withoutDates(context, 0) as EvaluationContext;
  } catch {
    return context as EvaluationContext; // a context whose getters throw: the evaluator refuses it itself
  }
}

function toResolution<T>(result: EvaluationResult<FlagValue>): ResolutionDetails<T> {
  return {
    value: result.value as T,
    reason: result.reason,
    ...(result.variant === undefined ? {} : { variant: result.variant }),
    ...(result.errorCode === undefined ? {} : { errorCode: ERROR_CODES[result.errorCode] }),
    ...(result.errorMessage === undefined ? {} : { errorMessage: result.errorMessage }),
    ...(result.flagMetadata === undefined ? {} : { flagMetadata: result.flagMetadata }),
  };
}

const metadataOf = (status: SourceStatus) => ({
  layer: status.layer,
  ...(status.version === undefined ? {} : { version: status.version }),
});

/** Turns one evaluator event into provider events. */
function forward(events: OpenFeatureEventEmitter, event: FlagEvaluatorEvent) {
  const metadata = metadataOf(event.status);
  if (event.type === 'config') {
    events.emit(ProviderEvents.ConfigurationChanged, { flagsChanged: [...event.flagsChanged], metadata });
    return;
  }
  const layerChanged = event.previous !== event.status.layer;
  if (event.errorKind === 'snapshot' && !layerChanged) return; // the snapshot is the app's concern, not the SDK's
  const message = event.error?.message;
  if (event.status.layer === 'live') {
    if (layerChanged) events.emit(ProviderEvents.Ready, { metadata });
  } else if (event.status.layer === 'none') {
    events.emit(ProviderEvents.Error, { message: message ?? 'no flag data', metadata });
  } else {
    events.emit(ProviderEvents.Stale, {
      message: message ?? `answering from ${event.status.layer}`,
      metadata,
    });
  }
}

function checkEvaluator(evaluator: unknown): FlagEvaluator {
  const methods = ['evaluate', 'booleanDetails', 'ready', 'onChange', 'status'];
  const ok =
    typeof evaluator === 'object' &&
    evaluator !== null &&
    methods.every((m) => typeof (evaluator as Record<string, unknown>)[m] === 'function');
  if (!ok) throw new InvalidArgumentError('createOpenFeatureProvider: `evaluator` must be a FlagEvaluator');
  return evaluator as FlagEvaluator;
}

/**
 * Creates the provider. Events flow once `initialize` has settled (the SDK calls it when the provider
 * is set); `initialize` rejects when no layer has data (the SDK's status is then ERROR; evaluations
 * still answer with defaults, and live data later emits `PROVIDER_READY`).
 *
 * @example
 * ```ts
 * import { OpenFeature } from '@openfeature/server-sdk';
 * import { createFlagEvaluator } from 'backend-patterns/flags';
 * import { createOpenFeatureProvider } from 'backend-patterns/flags/openfeature';
 *
 * const evaluator = createFlagEvaluator({ bootstrap: { flags: {} } });
 * await OpenFeature.setProviderAndWait(createOpenFeatureProvider(evaluator));
 * const client = OpenFeature.getClient();
 * const enabled = await client.getBooleanValue('new-checkout', false, { targetingKey: 'user-42' });
 * ```
 */
export function createOpenFeatureProvider(
  evaluator: FlagEvaluator,
  options?: OpenFeatureProviderOptions,
): FlagsOpenFeatureProvider {
  const flags = checkEvaluator(evaluator);
  const o = parseOptions(options);
  const events = new OpenFeatureEventEmitter();
  let forwarding = false;
  let unsubscribe: (() => void) | undefined;
  const subscribe = () => {
    unsubscribe ??= flags.onChange((event) => {
      if (forwarding) forward(events, event);
    });
  };
  subscribe();

  return {
    metadata: { name: o.name },
    runsOn: 'server',
    events,
    async initialize() {
      subscribe();
      const status = await flags.ready();
      forwarding = true;
      if (status.layer === 'none') {
        const why = status.lastError === undefined ? '' : `: ${status.lastError.message}`;
        throw new FlagSourceError('openfeature', `no flag data${why}`);
      }
      if (status.stale) {
        // After the SDK's own READY for this initialize, which it emits when the promise resolves.
        setImmediate(() => {
          const now = flags.status();
          if (now.stale)
            events.emit(ProviderEvents.Stale, {
              message: `answering from ${now.layer}`,
              metadata: metadataOf(now),
            });
        });
      }
    },
    async onClose() {
      forwarding = false;
      unsubscribe?.();
      unsubscribe = undefined;
      if (o.closeEvaluator) await flags.close();
    },
    async resolveBooleanEvaluation(flagKey: string, defaultValue: boolean, context: unknown) {
      return toResolution<boolean>(flags.booleanDetails(flagKey, toContext(context), defaultValue));
    },
    async resolveStringEvaluation(flagKey: string, defaultValue: string, context: unknown) {
      return toResolution<string>(flags.stringDetails(flagKey, toContext(context), defaultValue));
    },
    async resolveNumberEvaluation(flagKey: string, defaultValue: number, context: unknown) {
      return toResolution<number>(flags.numberDetails(flagKey, toContext(context), defaultValue));
    },
    async resolveObjectEvaluation<T extends OpenFeatureJson>(
      flagKey: string,
      defaultValue: T,
      context: unknown,
    ) {
      const result = flags.jsonDetails(flagKey, toContext(context), defaultValue as JsonValue);
      return toResolution<T>(result);
    },
  };
}
