/**
 * How the S3 adapter reports an SDK failure: a `StoreError` whose message names the operation, the S3
 * error code and the HTTP status, and whose cause is the SDK's error (its `name` is the S3 code, read by
 * `objectStoreErrorCode`). The SDK's own message is not copied: for a signature mismatch S3 may echo
 * the string it signed, and nothing the server says is needed to act on the failure.
 */
import { StoreError } from '../core/errors.js';

/** What the adapter reads of an SDK error. */
interface SdkErrorLike {
  readonly name?: unknown;
  readonly code?: unknown;
  readonly Code?: unknown;
  readonly $metadata?: { readonly httpStatusCode?: unknown };
}

const CODE_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

/** The S3 (or network) error code of an SDK error, e.g. `NoSuchKey`, `ECONNREFUSED`. */
export function sdkErrorCode(error: unknown): string {
  const e = (typeof error === 'object' && error !== null ? error : {}) as SdkErrorLike;
  for (const candidate of [e.Code, e.name, e.code]) {
    if (typeof candidate === 'string' && candidate !== 'Error' && CODE_PATTERN.test(candidate))
      return candidate;
  }
  return 'UnknownError';
}

/** The HTTP status of an SDK error, when the server answered. */
export function sdkStatus(error: unknown): number | undefined {
  const status = (error as SdkErrorLike | undefined)?.$metadata?.httpStatusCode;
  return typeof status === 'number' ? status : undefined;
}

/** Wraps an SDK failure of `op` on `bucket`. */
export function toStoreError(bucket: string, op: string, error: unknown): StoreError {
  if (error instanceof StoreError) return error;
  const status = sdkStatus(error);
  const where = status === undefined ? 'no HTTP answer' : `HTTP ${status}`;
  return new StoreError(`s3: ${op} on bucket ${bucket} failed: ${sdkErrorCode(error)} (${where})`, {
    cause: error,
  });
}

/** Runs one SDK call of `op`, turning any failure into a `StoreError`. */
export async function attempt<T>(bucket: string, op: string, run: () => Promise<T>): Promise<T> {
  try {
    return await run();
  } catch (error) {
    throw toStoreError(bucket, op, error);
  }
}
