/**
 * Serving and deleting stored files. Both accept only keys under the final prefix: a quarantine key
 * (bytes not yet checked) is never signed or served, and `deleteFile` only touches the owner's own keys.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import { checkOwner } from './admit.js';
import type { PolicyContext } from './policy-context.js';
import { isId, ownerSegment } from './policy-keys.js';
import type { StoredFile, UrlMode } from './policy-types.js';

const MAX_KEY_LENGTH = 1024;

/** A key under the final prefix (optionally under `owner`'s segment), or InvalidArgumentError. */
function finalKeyArg(ctx: PolicyContext, name: string, key: unknown, owner?: string): string {
  const value = argument.key(name, key, MAX_KEY_LENGTH);
  const prefix = owner === undefined ? ctx.prefixes.final : `${ctx.prefixes.final}${ownerSegment(owner)}/`;
  const segments = value.slice(prefix.length).split('/');
  if (!value.startsWith(prefix) || segments.some((s) => s === '' || s === '.' || s === '..')) {
    throw new InvalidArgumentError(
      `\`${name}\` must be a key of a stored file${owner === undefined ? '' : ' of this owner'}`,
    );
  }
  return value;
}

/** The public URL of `key` under `cdnBaseUrl`, each segment percent-encoded. */
function publicUrl(base: string, key: string): string {
  return `${base}/${key.split('/').map(encodeURIComponent).join('/')}`;
}

/** The mode `url()` uses when none is given: CloudFront, else public, else signed S3 GET. */
function defaultMode(ctx: PolicyContext): UrlMode {
  if (ctx.serving.cloudFront !== undefined) return 'cloudfront';
  return ctx.serving.cdnBaseUrl !== undefined ? 'public' : 'signed';
}

/**
 * A URL to serve `file`. `public`: the CDN URL (needs `serving.cdnBaseUrl`); `signed`: a signed GET of
 * the store, with `response-content-disposition` for attachment-only files; `cloudfront`: the CDN URL
 * signed by `serving.cloudFront`. A mode not configured is InvalidArgumentError.
 */
export async function fileUrl(
  ctx: PolicyContext,
  file: Pick<StoredFile, 'key' | 'contentDisposition'>,
  mode?: UrlMode,
): Promise<string> {
  if (typeof file !== 'object' || file === null) throw new InvalidArgumentError('`file` must be an object');
  const chosen =
    mode === undefined ? defaultMode(ctx) : argument.oneOf('mode', mode, ['public', 'signed', 'cloudfront']);
  const key = finalKeyArg(ctx, 'file.key', file.key);
  const { cdnBaseUrl, cloudFront, signedUrlTtlS } = ctx.serving;
  if (chosen === 'signed') {
    const disposition = file.contentDisposition;
    if (disposition !== undefined && (typeof disposition !== 'string' || /[\r\n]/.test(disposition))) {
      throw new InvalidArgumentError('`file.contentDisposition` must be a header value');
    }
    return ctx.storage.signedGetUrl(key, {
      expiresInS: signedUrlTtlS,
      ...(disposition === undefined ? {} : { contentDisposition: disposition }),
    });
  }
  if (cdnBaseUrl === undefined) {
    throw new InvalidArgumentError(`url mode '${chosen}' needs \`serving.cdnBaseUrl\``);
  }
  if (chosen === 'public') return publicUrl(cdnBaseUrl, key);
  if (cloudFront === undefined)
    throw new InvalidArgumentError("url mode 'cloudfront' needs `serving.cloudFront`");
  return cloudFront.sign(publicUrl(cdnBaseUrl, key), ctx.clock.now() + signedUrlTtlS * 1000);
}

/** A stored file's name inside its upload folder: `<fileId>` or `<fileId>.<ext>` (see keys.ts). */
const FILE_NAME = /^[a-z2-7]{26}(\.[a-z0-9]{1,10})?$/;

/**
 * The upload id of a stored file's key, which must be `<final prefix><ownerHash>/<uploadId>/<fileId>[.<ext>]`
 * for `owner` (the folder {@link finalFolderOf} names); anything else is InvalidArgumentError.
 */
function uploadIdOfFinalKey(ctx: PolicyContext, key: string, owner: string): string {
  const [uploadId, name, ...rest] = key
    .slice(`${ctx.prefixes.final}${ownerSegment(owner)}/`.length)
    .split('/');
  if (!isId(uploadId) || name === undefined || !FILE_NAME.test(name) || rest.length > 0) {
    throw new InvalidArgumentError(
      '`file.key` must be the key of a stored file: <final prefix><owner>/<uploadId>/<fileId>[.<ext>]',
    );
  }
  return uploadId;
}

/**
 * Deletes a stored file and its thumbnails, then frees its bytes: the quota store frees what its settle
 * recorded under the upload id (the folder of `file.key`), once, so repeated or concurrent deletes of one
 * file subtract its bytes once. `file.sizeBytes` is ignored (kept in the type for compatibility): the
 * caller's size is never trusted. A key that is not a stored file's key of `file.owner` (see
 * {@link uploadIdOfFinalKey}) is InvalidArgumentError. The quota is freed before the object goes, so a
 * crash in between leaves an uncharged object that a retried delete removes (a retry frees nothing
 * more); a file already gone frees nothing.
 */
export async function deleteStoredFile(
  ctx: PolicyContext,
  file: Pick<StoredFile, 'key' | 'owner' | 'sizeBytes' | 'thumbnails'>,
): Promise<void> {
  if (typeof file !== 'object' || file === null) throw new InvalidArgumentError('`file` must be an object');
  const owner = checkOwner(file.owner);
  const key = finalKeyArg(ctx, 'file.key', file.key, owner);
  const uploadId = uploadIdOfFinalKey(ctx, key, owner);
  const thumbnails = Array.isArray(file.thumbnails) ? file.thumbnails : [];
  if (file.thumbnails !== undefined && !Array.isArray(file.thumbnails)) {
    throw new InvalidArgumentError('`file.thumbnails` must be an array');
  }
  const thumbKeys = thumbnails.map((t, i) => finalKeyArg(ctx, `file.thumbnails[${i}].key`, t?.key, owner));
  // Another attempt's copy in the same folder (never returned to anyone) must not free the stored file.
  const exists = (await ctx.storage.head(key)) !== undefined;
  if (exists) await ctx.quota.store.free(owner, uploadId);
  for (const thumbKey of thumbKeys) await ctx.storage.delete(thumbKey);
  if (exists) await ctx.storage.delete(key);
}
