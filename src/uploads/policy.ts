/**
 * `createUploadPolicy`: the options validated once into a context, and the {@link UploadPolicy} methods
 * on it. The work lives in admit.ts (declaration and quota), direct*.ts (presigned uploads),
 * promote*.ts (verify, then promote), proxy.ts (streamed uploads), sweep.ts and serving.ts.
 */
import { checkOwner } from './admit.js';
import { startDirect } from './direct.js';
import { completeMultipart, presignParts } from './direct-multipart.js';
import { isUploadRejected, UploadRejectedError } from './errors.js';
import { loadPending } from './pending.js';
import type { CallOp, PolicyContext } from './policy-context.js';
import { markCallFailure } from './policy-failures.js';
import { isId, quarantineKey } from './policy-keys.js';
import { resolvePolicyOptions } from './policy-options.js';
import type { StoredFile, UploadPolicy, UploadPolicyOptions } from './policy-types.js';
import { rejectAndClean } from './promote.js';
import { verifyAndPromote } from './promote-verify.js';
import { proxyUpload } from './proxy.js';
import { deleteStoredFile, fileUrl } from './serving.js';
import { sweepUploads } from './sweep.js';

/**
 * The owner's pending upload; on ERR_UPLOAD_NOT_FOUND with no reservation at all, the quarantine key that
 * upload would have is deleted too: a reservation that expired leaves its bytes there, and nothing else
 * would find them before the sweeper (the key is derived from owner and id, so no other owner's object
 * can be hit). A live reservation of another policy sharing the quota store also reads as NOT_FOUND here,
 * and its bytes are left alone.
 */
async function pendingOrClean(ctx: PolicyContext, owner: string, uploadId: string, op: CallOp) {
  try {
    return await loadPending(ctx, owner, uploadId);
  } catch (error) {
    if (isUploadRejected(error, 'ERR_UPLOAD_NOT_FOUND') && isId(uploadId)) {
      const live = await ctx.quota.store.get(owner, uploadId, ctx.clock.now()).then(
        (r) => r !== undefined,
        () => true, // unknown: leave the bytes to the sweeper
      );
      if (!live) await ctx.storage.delete(quarantineKey(ctx, owner, uploadId)).catch(() => {});
    }
    throw markCallFailure(ctx, op, error);
  }
}

async function finalize(ctx: PolicyContext, ownerArg: string, uploadId: string): Promise<StoredFile> {
  const owner = checkOwner(ownerArg);
  const pending = await pendingOrClean(ctx, owner, uploadId, 'finalize');
  if (pending.mode === 'proxied') {
    // A proxied upload is finished by the request streaming it, never by a client call.
    throw new UploadRejectedError('ERR_UPLOAD_NOT_FOUND', 'no such pending upload');
  }
  // A multipart upload is finalized by `completeMultipart`; once completed (an answer lost on the way),
  // finalize verifies the object like any other.
  const { multipartUploadId: _mp, ...asObject } = pending;
  return verifyAndPromote(ctx, pending.mode === 'multipart' ? asObject : pending);
}

async function abort(ctx: PolicyContext, ownerArg: string, uploadId: string): Promise<void> {
  const owner = checkOwner(ownerArg);
  const pending = await pendingOrClean(ctx, owner, uploadId, 'abort');
  if (pending.mode === 'proxied')
    throw new UploadRejectedError('ERR_UPLOAD_NOT_FOUND', 'no such pending upload');
  const aborted = new UploadRejectedError('ERR_UPLOAD_ABORTED', 'the upload was aborted');
  await rejectAndClean(ctx, pending, aborted).catch((error: unknown) => {
    if (error !== aborted) throw error;
  });
}

/**
 * Creates an upload policy. Every option is checked here (`InvalidOptionError` naming it); see
 * {@link UploadPolicyOptions} for the defaults and docs/uploads.md for the flows.
 *
 * @example
 * ```ts
 * import { createMemoryObjectStore, createUploadPolicy } from 'backend-patterns/uploads';
 * const policy = createUploadPolicy({
 *   storage: createMemoryObjectStore(),
 *   types: { 'text/plain': { maxBytes: 1024 * 1024 } },
 * });
 * const ticket = await policy.startDirect({
 *   owner: 'user-1', filename: 'notes.txt', contentType: 'text/plain', sizeBytes: 12, mode: 'put',
 * });
 * // the client PUTs 12 bytes to ticket.put.url with ticket.put.headers, then:
 * // const file = await policy.finalize('user-1', ticket.uploadId);
 * ```
 */
export function createUploadPolicy(options: UploadPolicyOptions): UploadPolicy {
  const ctx = resolvePolicyOptions(options);
  return Object.freeze({
    startDirect: (request) => startDirect(ctx, request),
    presignParts: (owner, uploadId, partNumbers) => presignParts(ctx, owner, uploadId, partNumbers),
    completeMultipart: (owner, uploadId, parts) => completeMultipart(ctx, owner, uploadId, parts),
    finalize: (owner, uploadId) => finalize(ctx, owner, uploadId),
    abort: (owner, uploadId) => abort(ctx, owner, uploadId),
    proxy: (request) => proxyUpload(ctx, request),
    deleteFile: (file) => deleteStoredFile(ctx, file),
    url: (file, mode) => fileUrl(ctx, file, mode),
    sweep: (sweepOptions) => sweepUploads(ctx, sweepOptions),
  } satisfies UploadPolicy);
}
