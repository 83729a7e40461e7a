/**
 * `backend-patterns/uploads/s3`: the S3 object store on your `S3Client` (AWS S3, radosgw, MinIO, R2)
 * and CloudFront signed URLs. Peers: `@aws-sdk/client-s3`, `@aws-sdk/s3-request-presigner`,
 * `@aws-sdk/s3-presigned-post`, and `@aws-sdk/cloudfront-signer` for the signer. See docs/uploads.md.
 */

export {
  type CloudFrontSigner,
  type CloudFrontSignerOptions,
  createCloudFrontSigner,
} from './s3-cloudfront.js';
export { objectStoreErrorCode, S3_MULTIPART_LIMITS } from './s3-rules.js';
export { createS3ObjectStore, type S3ObjectStoreOptions } from './s3-store.js';
