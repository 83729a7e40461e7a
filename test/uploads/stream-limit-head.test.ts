/**
 * The byte limit and the head gate. The limit refuses the chunk that crosses it (not a later one), counts
 * a body longer than declared as too large and a shorter one as incomplete, and an empty body as empty.
 * The head gate passes nothing on before its check, checks exactly the first `headBytes` (or the whole body
 * when shorter), and passes on every byte in order once the check accepted.
 */
import { describe, expect, it } from 'vitest';
import { UploadRejectedError } from '../../src/uploads/errors.js';
import { createHeadCapture } from '../../src/uploads/stream-head.js';
import { createByteLimit } from '../../src/uploads/stream-limit.js';
import { patternBytes } from './stream-helpers.js';

describe('createByteLimit', () => {
  it('accepts exactly the limit and refuses the chunk that crosses it', () => {
    const limit = createByteLimit({ maxBytes: 10 });
    limit.count(patternBytes(4));
    limit.count(patternBytes(6));
    expect(limit.receivedBytes).toBe(10);
    let error: unknown;
    try {
      limit.count(patternBytes(1));
    } catch (e) {
      error = e;
    }
    expect(error).toBeInstanceOf(UploadRejectedError);
    expect(error).toMatchObject({
      code: 'ERR_UPLOAD_TOO_LARGE',
      httpStatus: 413,
      details: { limitBytes: 10, sizeBytes: 11 },
    });
    expect(limit.receivedBytes).toBe(10);
  });

  it('a single huge chunk is refused whole, before it is counted', () => {
    const limit = createByteLimit({ maxBytes: 1024 });
    expect(() => limit.count(new Uint8Array(64 * 1024 * 1024))).toThrow(
      expect.objectContaining({ code: 'ERR_UPLOAD_TOO_LARGE' }),
    );
    expect(limit.receivedBytes).toBe(0);
  });

  it('a declared size is the limit: longer is too large, shorter is incomplete', () => {
    const longer = createByteLimit({ maxBytes: 100, declaredBytes: 5 });
    expect(longer.limitBytes).toBe(5);
    expect(() => longer.count(patternBytes(6))).toThrow(/longer than the declared 5 bytes/);
    const shorter = createByteLimit({ maxBytes: 100, declaredBytes: 5 });
    shorter.count(patternBytes(4));
    expect(() => shorter.checkEnd()).toThrow(expect.objectContaining({ code: 'ERR_UPLOAD_INCOMPLETE' }));
    const exact = createByteLimit({ maxBytes: 100, declaredBytes: 5 });
    exact.count(patternBytes(5));
    expect(() => exact.checkEnd()).not.toThrow();
  });

  it('an empty body is ERR_UPLOAD_EMPTY, also when it was declared empty', () => {
    expect(() => createByteLimit({ maxBytes: 10 }).checkEnd()).toThrow(
      expect.objectContaining({ code: 'ERR_UPLOAD_EMPTY' }),
    );
    expect(() => createByteLimit({ maxBytes: 10, declaredBytes: 0 }).checkEnd()).toThrow(
      expect.objectContaining({ code: 'ERR_UPLOAD_EMPTY' }),
    );
  });
});

describe('createHeadCapture', () => {
  it('holds chunks back until the head is full, checks exactly headBytes, then passes all on in order', async () => {
    const seen: Uint8Array[] = [];
    const gate = createHeadCapture({ headBytes: 10, onHead: (head) => void seen.push(head) });
    const body = patternBytes(25);
    expect(await gate.push(body.subarray(0, 3))).toEqual([]);
    expect(await gate.push(body.subarray(3, 9))).toEqual([]);
    const out = await gate.push(body.subarray(9, 20));
    expect(seen).toHaveLength(1);
    expect(Buffer.from(seen[0]!)).toEqual(Buffer.from(body.subarray(0, 10)));
    expect(await gate.push(body.subarray(20))).toHaveLength(1);
    expect(Buffer.concat([...out, body.subarray(20)])).toEqual(Buffer.from(body));
    expect(await gate.finish()).toEqual([]);
    expect(seen).toHaveLength(1);
    expect(gate.head?.byteLength).toBe(10);
  });

  it('checks a body shorter than the head at its end, whole', async () => {
    const seen: number[] = [];
    const gate = createHeadCapture({ headBytes: 4096, onHead: (head) => void seen.push(head.byteLength) });
    expect(await gate.push(patternBytes(100))).toEqual([]);
    expect(seen).toEqual([]);
    expect(Buffer.concat(await gate.finish())).toEqual(Buffer.from(patternBytes(100)));
    expect(seen).toEqual([100]);
  });

  it('a refusing check passes nothing on, and its error is what push rejects with', async () => {
    const refusal = new UploadRejectedError('ERR_UPLOAD_TYPE_MISMATCH', 'not a png');
    const gate = createHeadCapture({
      headBytes: 8,
      onHead: async () => {
        throw refusal;
      },
    });
    await expect(gate.push(patternBytes(1024))).rejects.toBe(refusal);
    expect(gate.head).toBeUndefined();
  });

  it('the head handed to the check is a copy: the check cannot alter the stored bytes', async () => {
    const gate = createHeadCapture({ headBytes: 4, onHead: (head) => void head.fill(0xff) });
    const chunk = patternBytes(6, 1);
    const out = await gate.push(chunk);
    expect(Array.from(out[0]!)).toEqual([1, 2, 3, 4, 5, 6]);
  });
});
