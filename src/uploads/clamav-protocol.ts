/**
 * clamd's INSTREAM wire format and the reading of its replies (clamd(8)): the command `zINSTREAM\0`, then
 * chunks framed as a 4-byte big-endian length and the bytes, then a zero-length chunk; one NUL-terminated
 * reply. Only `stream: OK` is clean; anything clamd says that this module does not recognise is
 * `unavailable`, never clean.
 */
import type { ScanVerdict } from './types.js';

/** The INSTREAM command, `z` form (NUL-terminated command and reply). */
export const INSTREAM_COMMAND = Buffer.from('zINSTREAM\0', 'latin1');
/** The PING command, `z` form. */
export const PING_COMMAND = Buffer.from('zPING\0', 'latin1');
/** The zero-length chunk that ends a stream. */
export const END_OF_STREAM = Buffer.alloc(4);
/** A reply longer than this without its NUL is not clamd talking. */
export const MAX_REPLY_BYTES = 4096;

/** The 4-byte big-endian length that precedes a chunk. */
export function chunkHeader(lengthBytes: number): Buffer {
  const header = Buffer.allocUnsafe(4);
  header.writeUInt32BE(lengthBytes, 0);
  return header;
}

/** Printable ASCII only, at most 120 characters: a reply quoted in a reason must not smuggle anything. */
export function quoteReply(text: string): string {
  const clean = text.replace(/[^\x20-\x7e]/g, '?');
  return JSON.stringify(clean.length > 120 ? `${clean.slice(0, 120)}...` : clean);
}

/** clamd's reply to a stream over `StreamMaxLength` (it closes the connection after it). */
const SIZE_LIMIT_REPLY = 'INSTREAM size limit exceeded. ERROR';
/** With `AlertExceedsMax yes`, a file over `MaxFileSize`/`MaxScanSize`/... is this "signature". */
const LIMITS_EXCEEDED = 'Heuristics.Limits.Exceeded';
/** `ExtendedDetectionInfo yes` appends `(md5:size)` to the signature name. */
const EXTENDED_INFO = /\([0-9a-f]{32,64}:\d+\)$/;

/**
 * The verdict of one reply (without its NUL). `limitBytes` is what a `too_large` verdict reports.
 * `complete` says whether the whole stream had been sent: `OK` before the end says nothing of the rest.
 */
export function verdictOfReply(reply: string, limitBytes: number, complete: boolean): ScanVerdict {
  const line = reply.trim();
  if (line === SIZE_LIMIT_REPLY) return { status: 'too_large', limitBytes };
  if (line === 'stream: OK') {
    return complete ? { status: 'clean' } : { status: 'unavailable', reason: 'clamd answered OK mid-stream' };
  }
  const found = /^stream: (\S(?:.*\S)?) FOUND$/.exec(line);
  if (found?.[1]) {
    const signature = found[1].replace(EXTENDED_INFO, '');
    // Limits exceeded means "not fully scanned": neither infected nor clean.
    if (signature.startsWith(LIMITS_EXCEEDED)) return { status: 'too_large', limitBytes };
    return { status: 'infected', signature };
  }
  if (line.endsWith(' ERROR')) return { status: 'unavailable', reason: `clamd error: ${quoteReply(line)}` };
  return { status: 'unavailable', reason: `clamd answered something unexpected: ${quoteReply(line)}` };
}
