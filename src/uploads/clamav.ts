/**
 * `backend-patterns/uploads/clamav`: the virus scanner on clamd (ClamAV's daemon), INSTREAM over TCP or a
 * Unix socket. No dependency: it speaks clamd's protocol with `node:net`. See docs/uploads.md, Scanning.
 */

export {
  type ClamavScannerOptions,
  DEFAULT_CHUNK_BYTES,
  DEFAULT_CLAMD_PORT,
  DEFAULT_MAX_SCAN_BYTES,
  MAX_SCAN_BYTES_LIMIT,
} from './clamav-options.js';
export { type ClamavScanner, createClamavScanner } from './clamav-scanner.js';
