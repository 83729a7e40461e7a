/**
 * The part assembler: chunks of any size are re-cut into parts of exactly the part size (the last
 * smaller), in order, byte for byte; the writer opens with the first part only; at most one part is in
 * flight while the next fills (the source is held back otherwise); a failed part stops the assembler and
 * abort waits for the part in flight, then aborts, and no part starts after it.
 */
import { describe, expect, it } from 'vitest';
import { createPartAssembler } from '../../src/uploads/stream-parts.js';
import type { MultipartWriter } from '../../src/uploads/types.js';
import { patternBytes, recordingWriter, settle } from './stream-helpers.js';

function setup(partSizeBytes: number, writer = recordingWriter()) {
  let opened = 0;
  const failures: unknown[] = [];
  const parts = createPartAssembler({
    partSizeBytes,
    openWriter: async () => {
      opened += 1;
      return writer;
    },
    onFailure: (e) => failures.push(e),
  });
  return { parts, writer, failures, opened: () => opened };
}

describe('createPartAssembler', () => {
  it('re-cuts 1-byte chunks into exact parts, the last one smaller, byte for byte', async () => {
    const { parts, writer, opened } = setup(1000);
    const body = patternBytes(3500);
    for (let i = 0; i < body.length; i++) await parts.push(body.subarray(i, i + 1));
    await parts.flush();
    await parts.complete();
    expect(writer.partSizes).toEqual([1000, 1000, 1000, 500]);
    expect(Buffer.compare(writer.body(), Buffer.from(body))).toBe(0);
    expect(opened()).toBe(1);
    expect(parts.storedBytes).toBe(3500);
  });

  it('cuts one huge chunk into parts; an exact multiple has no empty last part', async () => {
    const { parts, writer } = setup(1 << 20);
    const body = patternBytes(10 * (1 << 20) + 123);
    await parts.push(body);
    await parts.flush();
    expect(writer.partSizes).toEqual([...Array(10).fill(1 << 20), 123]);
    expect(Buffer.compare(writer.body(), Buffer.from(body))).toBe(0);

    const exact = setup(1000);
    await exact.parts.push(patternBytes(3000));
    await exact.parts.flush();
    expect(exact.writer.partSizes).toEqual([1000, 1000, 1000]);
  });

  it('reuses two buffers in turn, never one whose upload has not settled (slow writer, bytes intact)', async () => {
    const { parts, writer } = setup(1000, recordingWriter({ partDelayMs: 5 }));
    const body = patternBytes(10_500);
    for (let i = 0; i < body.length; i += 700) await parts.push(body.subarray(i, i + 700));
    await parts.flush();
    expect(writer.partSizes).toEqual([...Array(10).fill(1000), 500]);
    expect(Buffer.compare(writer.body(), Buffer.from(body))).toBe(0);
  });

  it('opens no writer before the first byte; a small body is one part in a small buffer', async () => {
    let bufferBytes = 0;
    const writer: MultipartWriter = {
      ...recordingWriter(),
      async writePart(bytes) {
        bufferBytes = bytes.buffer.byteLength;
      },
    };
    const { parts, opened } = setup(8 << 20, writer as ReturnType<typeof recordingWriter>);
    expect(opened()).toBe(0);
    await parts.push(patternBytes(100));
    expect(opened()).toBe(0);
    await parts.flush();
    expect(opened()).toBe(1);
    expect(bufferBytes).toBe(64 * 1024); // a small body never allocated a whole 8 MiB part
  });

  it('holds the source back: a push waits while one part uploads and the next is full', async () => {
    let release: (() => void) | undefined;
    let started = 0;
    const slow: ReturnType<typeof recordingWriter> = {
      ...recordingWriter(),
      writePart: () => {
        started += 1;
        return new Promise<void>((r) => {
          release = r;
        });
      },
    };
    const { parts } = setup(100, slow);
    await parts.push(patternBytes(100)); // part 1 in flight
    await parts.push(patternBytes(99)); // part 2 filling
    let pushed = false;
    const third = parts.push(patternBytes(1)).then(() => {
      pushed = true;
    });
    await settle();
    expect(started).toBe(1);
    expect(pushed).toBe(false);
    release?.();
    await third;
    expect(pushed).toBe(true);
    expect(started).toBe(2);
  });

  it('a failed part: onFailure at once, the next push rejects, abort aborts and nothing is written after', async () => {
    const { parts, writer, failures } = setup(10, recordingWriter({ failPart: 2 }));
    await parts.push(patternBytes(20));
    await settle();
    expect(failures).toHaveLength(1);
    expect(failures[0]).toMatchObject({ code: 'ERR_STORE' });
    await expect(parts.push(patternBytes(10))).rejects.toMatchObject({ code: 'ERR_STORE' });
    await expect(parts.flush()).rejects.toMatchObject({ code: 'ERR_STORE' });
    await parts.abort();
    expect(writer.aborted).toBe(1);
    expect(writer.writesAfterAbort).toBe(0);
  });

  it('abort does not wait for a slow part: aborted at once, again once the part landed, nothing started after', async () => {
    const writer = recordingWriter({ partDelayMs: 40 });
    const { parts } = setup(10, writer);
    await parts.push(patternBytes(10)); // part 1 in flight for 40 ms
    const abandoned = parts.push(patternBytes(30)).catch((e: unknown) => e); // waits for part 1
    await parts.abort();
    expect(writer.aborted).toBe(1);
    expect(writer.partSizes).toEqual([]); // part 1 has not landed yet
    await abandoned;
    await new Promise((r) => setTimeout(r, 80));
    expect(writer.partSizes).toEqual([10]);
    expect(writer.aborted).toBe(2); // the late part is dropped by a second abort
    expect(writer.writesAfterAbort).toBe(0);
  });

  it('a stuck part does not hold the abort back; a failing late abort is reported', async () => {
    const late: unknown[] = [];
    let land: (() => void) | undefined;
    let aborts = 0;
    const stuck: ReturnType<typeof recordingWriter> = {
      ...recordingWriter(),
      writePart: () =>
        new Promise<void>((r) => {
          land = r;
        }),
      abort: async () => {
        aborts += 1;
        if (aborts === 2) throw new Error('late abort failed');
      },
    };
    const parts = createPartAssembler({
      partSizeBytes: 10,
      openWriter: async () => stuck,
      onFailure: () => {},
      onLateAbortFailure: (e) => late.push(e),
    });
    await parts.push(patternBytes(10));
    await parts.abort();
    expect(aborts).toBe(1);
    land?.();
    await settle();
    expect(aborts).toBe(2);
    expect(late).toHaveLength(1);
  });

  it('abort before any part opens nothing and aborts nothing', async () => {
    const { parts, writer, opened } = setup(1000);
    await parts.push(patternBytes(10));
    await parts.abort();
    expect(opened()).toBe(0);
    expect(writer.aborted).toBe(0);
  });
});
