/**
 * Errors of the uploads module, all listed in {@link UPLOAD_ERROR_CODES}. Every refusal of an upload is an
 * {@link UploadRejectedError}: a stable `code`, a short `reason` (the `reason` label of
 * `uploads.failures`) and the `httpStatus` an API should answer. When one is thrown, the policy has
 * already cleaned up: no object in the final prefix, the quarantine object deleted, the reservation
 * released. Store failures are the core `StoreError` (`ERR_STORE`); bad options are `ERR_INVALID_OPTION`.
 */
import { BackendPatternsError, type BackendPatternsErrorOptions } from '../core/errors.js';

/** Every code the uploads module raises. Core codes such as `ERR_INVALID_OPTION` and `ERR_STORE` come on top. */
export const UPLOAD_ERROR_CODES = [
  'ERR_UPLOAD_TOO_LARGE',
  'ERR_UPLOAD_EMPTY',
  'ERR_UPLOAD_TYPE',
  'ERR_UPLOAD_TYPE_MISMATCH',
  'ERR_UPLOAD_UNSAFE_CONTENT',
  'ERR_UPLOAD_FILENAME',
  'ERR_UPLOAD_QUOTA',
  'ERR_UPLOAD_INFECTED',
  'ERR_UPLOAD_SCAN_TOO_LARGE',
  'ERR_UPLOAD_SCAN_UNAVAILABLE',
  'ERR_UPLOAD_IMAGE',
  'ERR_UPLOAD_NOT_FOUND',
  'ERR_UPLOAD_INCOMPLETE',
  'ERR_UPLOAD_PART',
  'ERR_UPLOAD_ABORTED',
  'ERR_UPLOAD_TIMEOUT',
] as const;

/** A code of {@link UPLOAD_ERROR_CODES}. */
export type UploadErrorCode = (typeof UPLOAD_ERROR_CODES)[number];

/** The `reason` of each code: the bounded label value of `uploads.failures{reason}`. */
export const UPLOAD_FAILURE_REASONS = {
  ERR_UPLOAD_TOO_LARGE: 'too_large',
  ERR_UPLOAD_EMPTY: 'empty',
  ERR_UPLOAD_TYPE: 'type',
  ERR_UPLOAD_TYPE_MISMATCH: 'type_mismatch',
  ERR_UPLOAD_UNSAFE_CONTENT: 'unsafe_content',
  ERR_UPLOAD_FILENAME: 'filename',
  ERR_UPLOAD_QUOTA: 'quota',
  ERR_UPLOAD_INFECTED: 'infected',
  ERR_UPLOAD_SCAN_TOO_LARGE: 'scan_too_large',
  ERR_UPLOAD_SCAN_UNAVAILABLE: 'scan_unavailable',
  ERR_UPLOAD_IMAGE: 'image',
  ERR_UPLOAD_NOT_FOUND: 'not_found',
  ERR_UPLOAD_INCOMPLETE: 'incomplete',
  ERR_UPLOAD_PART: 'part',
  ERR_UPLOAD_ABORTED: 'aborted',
  ERR_UPLOAD_TIMEOUT: 'timeout',
} as const satisfies Record<UploadErrorCode, string>;

/** A `reason` label value. */
export type UploadFailureReason = (typeof UPLOAD_FAILURE_REASONS)[UploadErrorCode];

const HTTP_STATUS: Record<UploadErrorCode, number> = {
  ERR_UPLOAD_TOO_LARGE: 413,
  ERR_UPLOAD_EMPTY: 400,
  ERR_UPLOAD_TYPE: 415,
  ERR_UPLOAD_TYPE_MISMATCH: 415,
  ERR_UPLOAD_UNSAFE_CONTENT: 422,
  ERR_UPLOAD_FILENAME: 400,
  ERR_UPLOAD_QUOTA: 413,
  ERR_UPLOAD_INFECTED: 422,
  ERR_UPLOAD_SCAN_TOO_LARGE: 413,
  ERR_UPLOAD_SCAN_UNAVAILABLE: 503,
  ERR_UPLOAD_IMAGE: 422,
  ERR_UPLOAD_NOT_FOUND: 404,
  ERR_UPLOAD_INCOMPLETE: 400,
  ERR_UPLOAD_PART: 400,
  ERR_UPLOAD_ABORTED: 400,
  ERR_UPLOAD_TIMEOUT: 408,
};

/** Extra, code-specific facts an error carries (never the file's bytes). */
export interface UploadErrorDetails {
  /** A limit that was exceeded, in bytes (size, quota, scan limit). */
  readonly limitBytes?: number;
  /** The size that exceeded it, in bytes, when known. */
  readonly sizeBytes?: number;
  /** The type the client declared. */
  readonly declaredType?: string;
  /** The type the content turned out to be. */
  readonly detectedType?: string;
  /** The virus signature name (ERR_UPLOAD_INFECTED). */
  readonly signature?: string;
}

/** An upload the policy refused. The policy has cleaned up before throwing it. */
export class UploadRejectedError<
  Code extends UploadErrorCode = UploadErrorCode,
> extends BackendPatternsError<Code> {
  /** The `reason` label of `uploads.failures`. */
  readonly reason: UploadFailureReason;
  /** What an API should answer: 400, 404, 408, 413, 415, 422 or 503. */
  readonly httpStatus: number;
  readonly details: UploadErrorDetails;
  constructor(
    code: Code,
    message: string,
    details: UploadErrorDetails = {},
    options?: BackendPatternsErrorOptions,
  ) {
    super(code, message, options);
    this.reason = UPLOAD_FAILURE_REASONS[code];
    this.httpStatus = HTTP_STATUS[code];
    this.details = Object.freeze({ ...details });
  }
}

/** True when `error` is an {@link UploadRejectedError}, optionally of one `code`. */
export function isUploadRejected<Code extends UploadErrorCode>(
  error: unknown,
  code?: Code,
): error is UploadRejectedError<Code> {
  return error instanceof UploadRejectedError && (code === undefined || error.code === code);
}
