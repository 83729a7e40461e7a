/**
 * Serving and deleting stored files. Both accept only keys under the final prefix: a quarantine key
 * (bytes not yet checked) is never signed or served, and `deleteFile` only touches the owner's own keys.
 */
import { InvalidArgumentError } from '../core/errors.js';
import { argument } from '../core/validate.js';
import { checkOwner } from './admit.js';
import type { PolicyContext } from './policy-context.js';
import { ownerSegment } from './policy-keys.js';
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

/**
 * Deletes a stored file and its thumbnails, then frees its bytes. A file already gone frees nothing, so a
 * repeated delete does not undercharge the owner (two deletes racing each other still could: serialise
 * deletes of one file in the application if that matters).
 */
export async function deleteStoredFile(
  ctx: PolicyContext,
  file: Pick<StoredFile, 'key' | 'owner' | 'sizeBytes' | 'thumbnails'>,
): Promise<void> {
  if (typeof file !== 'object' || file === null) throw new InvalidArgumentError('`file` must be an object');
  const owner = checkOwner(file.owner);
  const key = finalKeyArg(ctx, 'file.key', file.key, owner);
  const sizeBytes = argument.integer('file.sizeBytes', file.sizeBytes, 0);
  const thumbnails = Array.isArray(file.thumbnails) ? file.thumbnails : [];
  if (file.thumbnails !== undefined && !Array.isArray(file.thumbnails)) {
    throw new InvalidArgumentError('`file.thumbnails` must be an array');
  }
  const thumbKeys = thumbnails.map((t, i) => finalKeyArg(ctx, `file.thumbnails[${i}].key`, t?.key, owner));
  const exists = (await ctx.storage.head(key)) !== undefined;
  for (const thumbKey of thumbKeys) await ctx.storage.delete(thumbKey);
  if (!exists) return;
  await ctx.storage.delete(key);
  await ctx.quota.store.free(owner, sizeBytes);
}
