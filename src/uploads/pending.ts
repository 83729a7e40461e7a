/**
 * A pending upload: what `admit` decided, kept as the `state` of its quota reservation. The reservation is
 * the single record of an unfinished upload, so "the reservation is live" and "the upload may still be
 * finalized" are the same fact, and one `settle` both commits the upload and charges its bytes.
 */
import { StoreError } from '../core/errors.js';
import { isUploadRejected, UploadRejectedError } from './errors.js';
import type { PolicyContext, UploadMode } from './policy-context.js';
import { isId, quarantineKey } from './policy-keys.js';

/** An admitted, unfinished upload. */
export interface Pending {
  /** Server-made id (base64url), unique per upload. */
  readonly uploadId: string;
  /**
   * The name of the policy that admitted it. Policies may share a quota store (one quota per user across
   * them); a pending upload is only ever finalized by its own policy, with its own checks and scanner.
   */
  readonly policy: string;
  readonly owner: string;
  /** The quarantine key the bytes go to. */
  readonly key: string;
  /** The sanitised file name. */
  readonly filename: string;
  /** The client's declared Content-Type (lower case, allowed). */
  readonly declaredType: string;
  /** Declared size, bytes; undefined for a proxied upload that did not say. */
  readonly declaredBytes: number | undefined;
  /** Bytes the reservation holds (declared, or the type's limit when undeclared). */
  readonly reservedBytes: number;
  readonly mode: UploadMode;
  /** Clock time of admission, ms. */
  readonly startedAtMs: number;
  /** Multipart upload id in the store (direct multipart, or a proxied upload once its writer is open). */
  readonly multipartUploadId?: string;
  /** Direct multipart: the part size every part but the last must have, bytes. */
  readonly partSizeBytes?: number;
  /** Direct multipart: how many parts the declared size needs. */
  readonly partCount?: number;
}

const MODES: readonly UploadMode[] = ['put', 'post', 'multipart', 'proxied'];

/** The reservation `state` of a pending upload. */
export function encodePending(pending: Pending): string {
  return JSON.stringify({ v: 1, ...pending });
}

const isNonNegInt = (v: unknown): v is number => Number.isSafeInteger(v) && (v as number) >= 0;
const isString = (v: unknown): v is string => typeof v === 'string' && v.length > 0;

/**
 * Reads a reservation's `state` back. A state this code did not write (another app sharing the quota
 * store, a corrupted key) is a store failure, not a pending upload.
 */
export function decodePending(state: string): Pending {
  let raw: Record<string, unknown>;
  try {
    raw = JSON.parse(state) as Record<string, unknown>;
  } catch (cause) {
    throw new StoreError('uploads: a reservation holds unreadable state', { cause });
  }
  const ok =
    typeof raw === 'object' &&
    raw !== null &&
    raw.v === 1 &&
    isString(raw.uploadId) &&
    isString(raw.policy) &&
    isString(raw.owner) &&
    isString(raw.key) &&
    isString(raw.filename) &&
    isString(raw.declaredType) &&
    (raw.declaredBytes === undefined || isNonNegInt(raw.declaredBytes)) &&
    isNonNegInt(raw.reservedBytes) &&
    MODES.includes(raw.mode as UploadMode) &&
    Number.isFinite(raw.startedAtMs) &&
    (raw.multipartUploadId === undefined || isString(raw.multipartUploadId)) &&
    (raw.partSizeBytes === undefined || isNonNegInt(raw.partSizeBytes)) &&
    (raw.partCount === undefined || isNonNegInt(raw.partCount));
  if (!ok) throw new StoreError('uploads: a reservation holds state this policy did not write');
  const { v: _v, ...pending } = raw;
  return Object.freeze(pending) as unknown as Pending;
}

/**
 * The live pending upload `uploadId` of `owner`, or ERR_UPLOAD_NOT_FOUND: unknown, another owner's,
 * expired, already finalized or aborted all read the same, so a caller learns nothing about other owners.
 */
export async function loadPending(ctx: PolicyContext, owner: unknown, uploadId: unknown): Promise<Pending> {
  const notFound = () => new UploadRejectedError('ERR_UPLOAD_NOT_FOUND', 'no such pending upload');
  if (typeof owner !== 'string' || owner.length === 0 || typeof uploadId !== 'string') throw notFound();
  if (!isId(uploadId)) throw notFound();
  const reservation = await ctx.quota.store.get(owner, uploadId, ctx.clock.now());
  if (reservation === undefined) throw notFound();
  const pending = decodePending(reservation.state);
  // The store keys by owner already; a state naming someone else is corruption, and reads as absent.
  if (pending.owner !== owner || pending.uploadId !== uploadId) throw notFound();
  // Another policy's upload (a shared quota store) is not ours to check or promote; nor is a state whose
  // key is not where this policy puts this upload's bytes.
  if (pending.policy !== ctx.name || pending.key !== quarantineKey(ctx, owner, uploadId)) throw notFound();
  return pending;
}

/**
 * A store step of finalize failed: when the reservation is gone meanwhile, another finalizer committed
 * first (and deleted the quarantine object under this one), so the answer is ERR_UPLOAD_NOT_FOUND, as
 * for any later call; otherwise the original error.
 */
export async function lostOr(ctx: PolicyContext, pending: Pending, error: unknown): Promise<unknown> {
  if (isUploadRejected(error)) return error;
  const live = await ctx.quota.store.get(pending.owner, pending.uploadId, ctx.clock.now()).then(
    (r) => r !== undefined,
    () => true,
  );
  return live
    ? error
    : new UploadRejectedError('ERR_UPLOAD_NOT_FOUND', 'no such pending upload', {}, { cause: error });
}
