/**
 * The key and name rules as the policy calls them: one seam between the policy and the checks
 * (filename.ts, keys.ts), so the policy's call sites do not change when those do.
 */
import { createHash } from 'node:crypto';
import { UploadRejectedError } from './errors.js';
import type { PolicyContext } from './policy-context.js';

/** The declared Content-Type, lower case, parameters dropped (`Text/Plain; charset=x` → `text/plain`). */
export function normalizeDeclaredType(contentType: string): string | undefined {
  const mime = contentType.split(';', 1)[0]?.trim().toLowerCase() ?? '';
  return /^[a-z0-9][a-z0-9!#$&^_.+-]*\/[a-z0-9][a-z0-9!#$&^_.+-]*$/.test(mime) ? mime : undefined;
}

/** The owner's key segment: a hash, so an owner id never shapes a key (no `../`, no length games). */
export function ownerSegment(owner: string): string {
  return createHash('sha256').update(owner, 'utf8').digest('hex').slice(0, 32);
}

/** Where an upload's bytes wait for the checks: derived from owner and id, so cleanup can find it. */
export function quarantineKey(ctx: PolicyContext, segment: string, uploadId: string): string {
  return `${ctx.prefixes.quarantine}${segment}/${uploadId}`;
}

/** A fresh final key per promotion attempt, so a losing concurrent attempt only ever deletes its own copy. */
export function finalKey(ctx: PolicyContext, segment: string, fileId: string): string {
  return `${ctx.prefixes.final}${segment}/${fileId}`;
}

/** The key of one thumbnail of the file at `fileKey`. */
export function thumbnailKey(fileKey: string, name: string): string {
  return `${fileKey}.thumbs/${name}`;
}

/** The client's file name, sanitised (ERR_UPLOAD_FILENAME when nothing usable is left). */
export function sanitizeName(filename: unknown): string {
  // Stand-in until filename.ts lands: refuses what is plainly hostile.
  if (typeof filename !== 'string' || filename.length === 0 || filename.length > 255) {
    throw new UploadRejectedError('ERR_UPLOAD_FILENAME', 'the file name is not acceptable');
  }
  // biome-ignore lint/suspicious/noControlCharactersInRegex: control characters are what is refused
  const cleaned = filename.replace(/[\u0000-\u001f\u007f\u202a-\u202e\u2066-\u2069]/g, '');
  const base = cleaned.split(/[\\/]/).pop() ?? '';
  if (base === '' || base === '.' || base === '..') {
    throw new UploadRejectedError('ERR_UPLOAD_FILENAME', 'the file name is not acceptable');
  }
  return base;
}
