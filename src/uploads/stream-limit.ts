/**
 * The byte limit of a proxied body. It is checked on every chunk before the chunk goes anywhere, so the
 * first byte over the limit stops the upload at once: the rest of the body is never read (an attacker's
 * endless body is not drained), and the bytes over the limit never reach the store or the scanner.
 */
import { UploadRejectedError } from './errors.js';

/** Options of {@link createByteLimit}. */
export interface ByteLimitOptions {
  /** Largest body accepted, bytes (the type's limit). */
  readonly maxBytes: number;
  /** The size the client declared, bytes: the body must be exactly this long. */
  readonly declaredBytes?: number;
}

/** Counts a body's bytes against its limit. */
export interface ByteLimit {
  /** The effective limit: the smaller of `maxBytes` and the declared size. */
  readonly limitBytes: number;
  /** Bytes counted so far. */
  readonly receivedBytes: number;
  /** Counts `chunk`; ERR_UPLOAD_TOO_LARGE when it would take the body over the limit. */
  count(chunk: Uint8Array): void;
  /** At the end: ERR_UPLOAD_EMPTY for no byte, ERR_UPLOAD_INCOMPLETE for fewer bytes than declared. */
  checkEnd(): void;
}

/** Creates the byte counter of one body. */
export function createByteLimit(options: ByteLimitOptions): ByteLimit {
  const { maxBytes, declaredBytes } = options;
  const limitBytes = declaredBytes === undefined ? maxBytes : Math.min(maxBytes, declaredBytes);
  let receivedBytes = 0;
  return {
    limitBytes,
    get receivedBytes() {
      return receivedBytes;
    },
    count(chunk) {
      const next = receivedBytes + chunk.byteLength;
      if (next > limitBytes) {
        const longerThanDeclared = declaredBytes !== undefined && declaredBytes < maxBytes;
        throw new UploadRejectedError(
          'ERR_UPLOAD_TOO_LARGE',
          longerThanDeclared
            ? `the body is longer than the declared ${declaredBytes} bytes`
            : `the body is over the limit of ${limitBytes} bytes`,
          { limitBytes, sizeBytes: next },
        );
      }
      receivedBytes = next;
    },
    checkEnd() {
      if (receivedBytes === 0) throw new UploadRejectedError('ERR_UPLOAD_EMPTY', 'the body is empty');
      if (declaredBytes !== undefined && receivedBytes < declaredBytes) {
        throw new UploadRejectedError(
          'ERR_UPLOAD_INCOMPLETE',
          `the body ended after ${receivedBytes} of the declared ${declaredBytes} bytes`,
          { sizeBytes: receivedBytes },
        );
      }
    },
  };
}
