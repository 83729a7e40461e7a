/**
 * Object calls of the S3 store: put, head (404 → undefined), ranged and streamed reads, a server-side
 * copy that replaces the attributes, idempotent delete, and a listing through every page.
 */
import {
  DeleteObjectCommand,
  HeadObjectCommand,
  ListObjectsV2Command,
  PutObjectCommand,
} from '@aws-sdk/client-s3';
import { InvalidArgumentError } from '../core/errors.js';
import { copyObject, preconditionFailed } from './s3-copy.js';
import { sdkErrorCode, sdkStatus } from './s3-errors.js';
import { checkIfMatch, conditionOr, createS3Reads } from './s3-read.js';
import { checkHeaderValue, checkKey, checkMetadata, storeFailure } from './s3-rules.js';
import type { S3Context } from './s3-store.js';
import type { ObjectInfo, ObjectStore } from './types.js';

/** `"abc"` and `abc` are the same ETag. */
const bareEtag = (etag: string | undefined) => etag?.replace(/^"(.*)"$/, '$1');

type ObjectCalls = Pick<ObjectStore, 'put' | 'head' | 'readRange' | 'read' | 'copy' | 'delete' | 'list'>;

const isNotFound = (error: unknown) => sdkStatus(error) === 404 || sdkErrorCode(error) === 'NotFound';

/** Every object under `prefix`, through every page. */
async function listObjects(s3: S3Context, prefix: string) {
  const { bucket } = s3;
  if (typeof prefix !== 'string') throw new InvalidArgumentError('`prefix` must be a string');
  const found: { key: string; sizeBytes: number; lastModifiedMs: number }[] = [];
  let token: string | undefined;
  do {
    const page = await s3.call('list', (client) =>
      client.send(
        new ListObjectsV2Command({
          Bucket: bucket,
          Prefix: prefix,
          ContinuationToken: token,
          MaxKeys: s3.listPageSize,
        }),
      ),
    );
    for (const o of page.Contents ?? []) {
      if (o.Key === undefined) continue;
      found.push({ key: o.Key, sizeBytes: o.Size ?? 0, lastModifiedMs: o.LastModified?.getTime() ?? 0 });
    }
    token = page.IsTruncated ? page.NextContinuationToken : undefined;
  } while (token !== undefined);
  return found;
}

/** The object calls of one S3 store. */
export function createS3Objects(s3: S3Context): ObjectCalls {
  const { bucket } = s3;
  const head: ObjectStore['head'] = async (key) => {
    checkKey(key);
    return s3.call('head', async (client) => {
      try {
        const out = await client.send(new HeadObjectCommand({ Bucket: bucket, Key: key }));
        const info: ObjectInfo = {
          key,
          sizeBytes: out.ContentLength ?? 0,
          contentType: out.ContentType,
          etag: out.ETag,
          ...(out.ContentDisposition === undefined ? {} : { contentDisposition: out.ContentDisposition }),
          metadata: Object.fromEntries(
            Object.entries(out.Metadata ?? {}).map(([k, v]) => [k.toLowerCase(), v]),
          ),
        };
        return info;
      } catch (error) {
        if (isNotFound(error)) return undefined;
        throw error;
      }
    });
  };
  return {
    async put(key, body, contentType, metadata) {
      checkKey(key);
      if (!(body instanceof Uint8Array)) throw new InvalidArgumentError('`body` must be a Uint8Array');
      const type = checkHeaderValue(contentType, 'contentType');
      const meta = checkMetadata(metadata);
      if (body.byteLength > s3.limits.maxSinglePutBytes) {
        throw storeFailure('s3', 'put', 'EntityTooLarge', 'body over the single-PUT limit');
      }
      const out = await s3.call('put', (client) =>
        client.send(
          new PutObjectCommand({
            Bucket: bucket,
            Key: key,
            Body: body,
            ContentLength: body.byteLength,
            ContentType: type,
            Metadata: { ...meta },
          }),
        ),
      );
      return { key, sizeBytes: body.byteLength, contentType: type, etag: out.ETag, metadata: { ...meta } };
    },
    head,
    ...createS3Reads(s3),
    async copy(fromKey, toKey, options) {
      checkKey(fromKey, 'fromKey');
      checkKey(toKey, 'toKey');
      if (typeof options !== 'object' || options === null) {
        throw new InvalidArgumentError('`copy` takes an options object');
      }
      const disposition = options.contentDisposition;
      const contentType = checkHeaderValue(options.contentType, 'contentType');
      const contentDisposition =
        disposition === undefined ? undefined : checkHeaderValue(disposition, 'contentDisposition');
      const metadata = checkMetadata(options.metadata);
      const ifMatch = checkIfMatch(options.ifMatch);
      // The source's size picks the request (CopyObject up to 5 GiB, part copies above).
      const source = await head(fromKey);
      if (source === undefined) throw storeFailure('s3', 'copy', 'NoSuchKey', 'the source does not exist');
      // Another version already: refused before anything is written (the server checks again).
      if (ifMatch !== undefined && bareEtag(source.etag) !== bareEtag(ifMatch)) {
        throw preconditionFailed('copy');
      }
      const version = { key: fromKey, sizeBytes: source.sizeBytes, ...(ifMatch ? { ifMatch } : {}) };
      const etag = await copyObject(s3, head, version, toKey, {
        ContentType: contentType,
        ...(contentDisposition === undefined ? {} : { ContentDisposition: contentDisposition }),
        Metadata: { ...metadata },
      }).catch((error: unknown) => {
        throw conditionOr('copy', error);
      });
      // radosgw 16.2 answers a completed multipart copy with an empty ETag: ask for the real one then.
      const finalEtag = etag ? etag : (await head(toKey))?.etag;
      return {
        key: toKey,
        sizeBytes: source.sizeBytes,
        contentType,
        etag: finalEtag,
        ...(contentDisposition === undefined ? {} : { contentDisposition }),
        metadata: { ...metadata },
      };
    },
    async delete(key) {
      checkKey(key);
      // S3 answers 204 for a missing key too: delete is idempotent by itself.
      await s3.call('delete', (client) => client.send(new DeleteObjectCommand({ Bucket: bucket, Key: key })));
    },
    list: (prefix) => listObjects(s3, prefix),
  };
}
