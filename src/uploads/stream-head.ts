/**
 * Head capture: the first `headBytes` of a body are held back until `onHead` has checked them (magic
 * bytes, the declared type, text checks), and only then passed on. So a body of the wrong type never
 * reaches the store at all: no multipart upload is even created for it. A body shorter than `headBytes`
 * is checked, whole, at its end.
 */

/** Options of {@link createHeadCapture}. */
export interface HeadCaptureOptions {
  /** How many leading bytes `onHead` needs (the policy uses max(detector sample, 4096)). */
  readonly headBytes: number;
  /** Checks the head; throws (an `UploadRejectedError`) to refuse the upload. */
  readonly onHead: (head: Uint8Array) => void | Promise<void>;
}

/** The head gate of one body. */
export interface HeadCapture {
  /** Takes a chunk; resolves to the chunks that may go on (none while the head is still incomplete). */
  push(chunk: Uint8Array): Promise<readonly Uint8Array[]>;
  /** At the end of the body: checks a head that never filled up; resolves to the chunks held back. */
  finish(): Promise<readonly Uint8Array[]>;
  /** The head that was checked, once it was (a copy: at most `headBytes` long). */
  readonly head: Uint8Array | undefined;
}

/** Creates the head gate of one body. */
export function createHeadCapture(options: HeadCaptureOptions): HeadCapture {
  const { headBytes, onHead } = options;
  let held: Uint8Array[] = [];
  let heldBytes = 0;
  let head: Uint8Array | undefined;

  const release = async (): Promise<readonly Uint8Array[]> => {
    const sample = new Uint8Array(Math.min(headBytes, heldBytes));
    let offset = 0;
    for (const chunk of held) {
      if (offset >= sample.length) break;
      const take = chunk.subarray(0, sample.length - offset);
      sample.set(take, offset);
      offset += take.length;
    }
    await onHead(sample);
    head = sample;
    const out = held;
    held = [];
    heldBytes = 0;
    return out;
  };

  return {
    async push(chunk) {
      if (head !== undefined) return [chunk];
      held.push(chunk);
      heldBytes += chunk.byteLength;
      return heldBytes >= headBytes ? release() : [];
    },
    async finish() {
      return head === undefined ? release() : [];
    },
    get head() {
      return head;
    },
  };
}
