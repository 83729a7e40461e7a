/**
 * `backend-patterns/uploads`: the upload policy (direct presigned uploads and proxied streamed uploads,
 * verified in quarantine then promoted), its ports, errors, and the in-process adapters. Adapters on real
 * backends have their own subpaths: `/uploads/s3`, `/uploads/redis`, `/uploads/clamav`, `/uploads/sharp`,
 * `/uploads/file-type`.
 */

export { contentDisposition, type DispositionType } from './content-disposition.js';
export {
  isUploadRejected,
  UPLOAD_ERROR_CODES,
  UPLOAD_FAILURE_REASONS,
  type UploadErrorCode,
  type UploadErrorDetails,
  type UploadFailureReason,
  UploadRejectedError,
} from './errors.js';
export { extensionOf, type SanitizeFilenameOptions, sanitizeFilename } from './filename.js';
export {
  SIZE_BUCKETS,
  type SizeBucket,
  sizeBucket,
  UPLOAD_MODES,
  type UploadMetricMode,
} from './instruments.js';
export {
  createMemoryObjectStore,
  type MemoryGetResult,
  type MemoryObjectStore,
  type MemoryObjectStoreOptions,
  type MemoryReceiveResult,
  objectStoreErrorCode,
  S3_MULTIPART_LIMITS,
} from './memory-store.js';
export { createUploadPolicy } from './policy.js';
export type * from './policy-types.js';
export { createMemoryQuotaStore } from './quota-memory.js';
export type * from './types.js';
