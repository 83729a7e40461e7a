/**
 * `backend-patterns/uploads/file-type`: the {@link TypeDetector} port on file-type 21 (magic bytes of
 * binary formats: images, PDF, archives, audio, video). file-type 21 is the last major that runs on
 * Node 20 (22 needs Node 22) and is ESM-only: the static import below is kept in the CJS build as a
 * `require('file-type')`, which Node 20.19+ loads through require(esm) (file-type has no top-level
 * await and exports a `module-sync` condition).
 *
 * What it cannot do, and who does it instead (sniff.ts, sniff-text.ts): text formats (plain text, CSV,
 * JSON, SVG) are `undefined` here; XML is reported as `application/xml` whatever its root element.
 * Detection is a hint from the first bytes, bounded in time by the sniffer (file-type's README asks
 * callers to bound it); a file that starts as one format and continues as another (a PNG with a ZIP
 * appended) is reported as the first.
 */
import { fileTypeFromBuffer } from 'file-type';
import { InvalidArgumentError } from '../core/errors.js';
import type { DetectedType, TypeDetector } from './types.js';

/** Leading bytes file-type reads for its detections (its `reasonableDetectionSizeInBytes`). */
export const FILE_TYPE_SAMPLE_BYTES = 4100;

/**
 * A {@link TypeDetector} on file-type 21. `detect(head)` looks at the first
 * {@link FILE_TYPE_SAMPLE_BYTES} bytes and resolves `{ mime, ext }`, or `undefined` when no binary
 * format matches (text, random bytes, a head too short to tell). It rejects with file-type's own error
 * when the parser fails; the sniffer turns that into `ERR_UPLOAD_TYPE`.
 *
 * @example
 * ```ts nocheck
 * import { createFileTypeDetector } from 'backend-patterns/uploads/file-type';
 * const policy = createUploadPolicy({ storage, types: { 'image/png': {} }, detector: createFileTypeDetector() });
 * ```
 */
export function createFileTypeDetector(): TypeDetector {
  return Object.freeze({
    sampleBytes: FILE_TYPE_SAMPLE_BYTES,
    async detect(head: Uint8Array): Promise<DetectedType | undefined> {
      if (!(head instanceof Uint8Array)) throw new InvalidArgumentError('`head` must be a Uint8Array');
      const sample = head.length > FILE_TYPE_SAMPLE_BYTES ? head.subarray(0, FILE_TYPE_SAMPLE_BYTES) : head;
      const result = await fileTypeFromBuffer(sample);
      return result === undefined ? undefined : { mime: result.mime, ext: result.ext };
    },
  });
}
