/**
 * The pipeline under test with defaults (64 KiB parts, 4 KiB head, 10 MiB limit, real timers) and the
 * scan decision the tests use: only `clean` passes.
 */
import { systemClock } from '../../src/core/clock.js';
import { UploadRejectedError } from '../../src/uploads/errors.js';
import { type PipelineOptions, runUploadPipeline } from '../../src/uploads/stream-pipeline.js';
import type { ScanVerdict } from '../../src/uploads/types.js';
import { patternBytes, type RecordingWriter, recordingWriter } from './stream-helpers.js';

export const KiB = 1024;

/** Runs the pipeline on `body` with `overrides`; counts heads checked and writers opened. */
export function setup(
  body: unknown,
  overrides: Partial<PipelineOptions> = {},
  writer: RecordingWriter = recordingWriter(),
) {
  const heads: number[] = [];
  let opened = 0;
  const options: PipelineOptions = {
    body,
    clock: systemClock,
    idleTimeoutMs: 5_000,
    totalTimeoutMs: 60_000,
    maxBytes: 10 * 1024 * KiB,
    headBytes: 4 * KiB,
    onHead: (head) => void heads.push(head.byteLength),
    partSizeBytes: 64 * KiB,
    openWriter: async () => {
      opened += 1;
      return writer;
    },
    ...overrides,
  };
  const run = runUploadPipeline(options);
  return { run, writer, heads, opened: () => opened };
}

/** An endless (or `total`-byte) source that counts how many bytes were pulled from it. */
export function countingSource(
  chunkBytes: number,
  stats: { pulled: number },
  total = Number.POSITIVE_INFINITY,
) {
  return (async function* () {
    const chunk = patternBytes(chunkBytes);
    while (stats.pulled < total) {
      stats.pulled += chunkBytes;
      yield chunk;
    }
  })();
}

/** The tests' scan decision: infected is ERR_UPLOAD_INFECTED, anything but clean ERR_UPLOAD_SCAN_UNAVAILABLE. */
export const rejectUnlessClean = (verdict: ScanVerdict) => {
  if (verdict.status === 'infected') throw new UploadRejectedError('ERR_UPLOAD_INFECTED', 'infected');
  if (verdict.status !== 'clean')
    throw new UploadRejectedError('ERR_UPLOAD_SCAN_UNAVAILABLE', verdict.status);
};
