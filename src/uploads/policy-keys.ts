/**
 * The key and name rules as the policy calls them: one seam between the policy and the checks
 * (filename.ts, keys.ts), with the prefixes of the context filled in.
 */
import { sanitizeFilename } from './filename.js';
import * as keys from './keys.js';
import type { PolicyContext } from './policy-context.js';
import { parseMimeType } from './sniff-mime.js';

/** The declared Content-Type's canonical essence (`Image/JPG; x=y` → `image/jpeg`), or undefined. */
export function normalizeDeclaredType(contentType: unknown): string | undefined {
  return parseMimeType(contentType)?.essence;
}

/** The owner's key segment: a hash, so an owner id never shapes a key (no `../`, no length games). */
export const ownerSegment = (owner: string): string => keys.ownerHash(owner);

/** A fresh 128-bit id (upload ids and file ids). */
export const newId = (ctx: PolicyContext): string => keys.newUploadId(ctx.random);

/** True for a string shaped like an id {@link newId} makes (anything else is nobody's upload). */
export const isId = (value: unknown): value is string =>
  typeof value === 'string' && /^[a-z2-7]{26}$/.test(value);

/** Where an upload's bytes wait for the checks: derived from owner and id only, so cleanup can find it. */
export function quarantineKey(ctx: PolicyContext, owner: string, uploadId: string): string {
  return keys.quarantineKey(ctx.prefixes.quarantine, ownerSegment(owner), uploadId);
}

/**
 * A final key with a fresh file id per promotion attempt, so a losing concurrent attempt only ever
 * deletes its own copy, inside a folder named by the upload id, so the sweeper can find the copy of an
 * attempt that crashed between the copy and the settle ({@link finalFolderOf}). The extension comes from
 * the sniffed type.
 */
export function finalKeyFor(
  ctx: PolicyContext,
  owner: string,
  uploadId: string,
  contentType: string,
  detectedExt?: string,
): { key: string; fileId: string } {
  const fileId = newId(ctx);
  const ext = keys.extensionForType(contentType, detectedExt);
  return { key: keys.finalKey(ctx.prefixes.final, ownerSegment(owner), fileId, ext, uploadId), fileId };
}

/** The folder of every final object (files and thumbnails) an upload's promotion attempts wrote. */
export function finalFolderOf(ctx: PolicyContext, owner: string, uploadId: string): string {
  return `${ctx.prefixes.final}${ownerSegment(owner)}/${uploadId}/`;
}

/** The key of thumbnail `name` of the final file `fileId` of upload `uploadId`. */
export function thumbnailKeyFor(
  ctx: PolicyContext,
  owner: string,
  uploadId: string,
  fileId: string,
  name: string,
  contentType: string,
): string {
  const ext = keys.extensionForType(contentType) || 'img';
  return keys.thumbnailKey(ctx.prefixes.final, ownerSegment(owner), fileId, name, ext, uploadId);
}

/** The client's file name, sanitised (ERR_UPLOAD_FILENAME when nothing usable is left). */
export function sanitizeName(filename: unknown): string {
  return sanitizeFilename(filename);
}
