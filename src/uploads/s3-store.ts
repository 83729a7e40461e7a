/**
 * `createS3ObjectStore`: the {@link ObjectStore} on a real S3 (AWS, radosgw, MinIO, R2) through the
 * user's own `S3Client`. Presigned PUTs sign Content-Type and Content-Length (and the SHA-256 checksum as
 * a header), POST policies pin the exact key and type and a length range, lists walk every page, and
 * every SDK failure is a `StoreError` naming the S3 error code.
 */
import type { S3Client } from '@aws-sdk/client-s3';
import type { Clock } from '../core/clock.js';
import { InvalidOptionError } from '../core/errors.js';
import { defineOptions, opt } from '../core/options.js';
import { attempt } from './s3-errors.js';
import { createS3Multipart } from './s3-multipart.js';
import { createS3Objects } from './s3-objects.js';
import { createS3Presigning } from './s3-presign.js';
import { parseMultipartLimits } from './s3-rules.js';
import type { MultipartLimits, ObjectStore } from './types.js';

/** Options of {@link createS3ObjectStore}. */
export interface S3ObjectStoreOptions {
  /**
   * Your client. It must be built with `requestChecksumCalculation: 'WHEN_REQUIRED'`: with the SDK's
   * default, presigned URLs carry a checksum of an empty body and S3 refuses every upload to them
   * (and radosgw refuses streamed bodies). The store checks it on its first call.
   */
  readonly client: S3Client;
  /** The bucket (3..63 characters of a-z, 0-9, `.` and `-`). */
  readonly bucket: string;
  /**
   * Default S3's: 5 MiB minimum part (except the last), 5 GiB maximum, 10,000 parts, 5 GiB single PUT.
   * Give the server's own limits (some S3-compatibles allow 1,000 parts); limits looser than the
   * server's only move its refusal later, to the completion.
   */
  readonly multipartLimits?: Partial<MultipartLimits>;
  /** Time of the signatures and of `expiresAtMs`. Default the system clock. */
  readonly clock?: Clock;
  /** Entries asked per listing page (objects, parts, uploads), 1..1000. Default 1000, S3's maximum. */
  readonly listPageSize?: number;
}

/** What the S3 modules share: the client, the bucket, the limits, and one guarded call. */
export interface S3Context {
  readonly client: S3Client;
  readonly bucket: string;
  readonly limits: MultipartLimits;
  readonly clock: Clock;
  readonly listPageSize: number;
  /** Resolves once the client's settings were checked (rejects with `ERR_INVALID_OPTION` when wrong). */
  ready(): Promise<void>;
  /** Runs one SDK call of `op` after {@link ready}; an SDK failure becomes a `StoreError`. */
  call<T>(op: string, run: (client: S3Client) => Promise<T>): Promise<T>;
}

const OWNER = 'createS3ObjectStore';

const parse = defineOptions(OWNER, {
  client: opt.port<S3Client>(['send'], 'required'),
  bucket: opt.matching(/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/, '3..63 characters of a-z, 0-9, `.` and `-`', {
    required: true,
  }),
  multipartLimits: { parse: (v: unknown) => parseMultipartLimits(OWNER, v) },
  clock: opt.clock(),
  listPageSize: opt.integer({ default: 1000, min: 1, max: 1000 }),
});

/**
 * Reads the client's `requestChecksumCalculation`. The SDK resolves it to an async provider (it may come
 * from the environment or ~/.aws/config), so it cannot be read when the store is built: the first call
 * of the store reads it and every call fails with `ERR_INVALID_OPTION` when it is not `WHEN_REQUIRED`.
 */
async function checkClient(client: S3Client): Promise<void> {
  const setting = (client.config as { requestChecksumCalculation?: unknown }).requestChecksumCalculation;
  const value = typeof setting === 'function' ? await (setting as () => unknown)() : setting;
  if (value !== 'WHEN_REQUIRED') {
    throw new InvalidOptionError(
      `${OWNER}: the client must be built with requestChecksumCalculation: 'WHEN_REQUIRED' (got ${typeof value === 'string' ? value : typeof value}); with the default, presigned uploads fail their checksum`,
    );
  }
}

/**
 * Creates the S3 object store.
 *
 * @example
 * ```ts nocheck
 * import { S3Client } from '@aws-sdk/client-s3';
 * import { createS3ObjectStore } from 'backend-patterns/uploads/s3';
 * const client = new S3Client({ region: 'eu-west-1', requestChecksumCalculation: 'WHEN_REQUIRED', responseChecksumValidation: 'WHEN_REQUIRED' });
 * const storage = createS3ObjectStore({ client, bucket: 'my-uploads' });
 * ```
 */
export function createS3ObjectStore(options: S3ObjectStoreOptions): ObjectStore {
  const o = parse(options);
  let checked: Promise<void> | undefined;
  const ready = () => {
    checked ??= checkClient(o.client);
    return checked;
  };
  const context: S3Context = {
    client: o.client,
    bucket: o.bucket,
    limits: o.multipartLimits,
    clock: o.clock,
    listPageSize: o.listPageSize,
    ready,
    async call(op, run) {
      await ready();
      return attempt(o.bucket, op, () => run(o.client));
    },
  };
  const objects = createS3Objects(context);
  return {
    name: 's3',
    multipartLimits: o.multipartLimits,
    ...createS3Presigning(context),
    ...createS3Multipart(context, objects.head),
    ...objects,
  };
}
