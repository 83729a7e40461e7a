/**
 * Cheap checks on a compact JWS before any crypto or JSON parsing of the payload: size, alphabet, shape,
 * and a strict reading of the protected header. Anything odd is rejected here, so jose only ever sees
 * tokens that could be ours.
 */
import { TokenInvalidError } from './errors.js';

/** The protected header fields we accept. */
export interface CheckedHeader {
  readonly alg: string;
  readonly kid: string;
  readonly typ: string;
}

// Three base64url segments, nothing else: no padding, whitespace, or non-ASCII. The signature may be
// empty here so that `alg: none` (whose signature is empty) is reported as the algorithm error it is;
// an empty signature under an allowed `alg` is refused after the header checks.
const COMPACT_JWS = /^[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*$/;
const KID = /^[A-Za-z0-9._-]{1,128}$/;
const MAX_HEADER_CHARS = 1024;
// Headers that would let the token choose its own key, or change how it is processed (`cty`: a nested
// JWT or a typed payload, which a verifier that reads the payload as claims must not accept).
const FORBIDDEN_HEADERS = ['crit', 'jku', 'jwk', 'x5u', 'x5c', 'b64', 'zip', 'enc', 'cty'];

const invalid = (message: string, reason: TokenInvalidError['reason']) =>
  new TokenInvalidError(message, { reason });

/** Normalises a `typ` the way RFC 7515 §4.1.9 allows (`application/` prefix optional, case-insensitive). */
export const normaliseTyp = (typ: string) => typ.toLowerCase().replace(/^application\//, '');

/**
 * Checks size and shape and decodes the header. Throws `ERR_TOKEN_INVALID` with reason `too-large`,
 * `malformed`, `header`, `crit`, `alg`, `signature` (empty), `kid` or `typ`.
 */
export function checkCompact(
  token: unknown,
  maxTokenBytes: number,
  allowedAlgorithms: readonly string[],
  expectedTyp: string | undefined,
): CheckedHeader {
  if (typeof token !== 'string') throw invalid('token must be a string', 'malformed');
  // Every accepted character is ASCII, so UTF-16 length is the byte length of anything that passes below.
  if (token.length > maxTokenBytes) throw invalid(`token is larger than ${maxTokenBytes} bytes`, 'too-large');
  if (!COMPACT_JWS.test(token)) throw invalid('token is not a compact JWS', 'malformed');
  const encodedHeader = token.slice(0, token.indexOf('.'));
  if (encodedHeader.length > MAX_HEADER_CHARS) throw invalid('token header is too large', 'header');
  let header: unknown;
  try {
    header = JSON.parse(Buffer.from(encodedHeader, 'base64url').toString('utf8'));
  } catch {
    throw invalid('token header is not JSON', 'header');
  }
  if (typeof header !== 'object' || header === null || Array.isArray(header)) {
    throw invalid('token header is not a JSON object', 'header');
  }
  const fields = header as Record<string, unknown>;
  if ('crit' in fields) throw invalid('token header has `crit`, which is not supported', 'crit');
  for (const name of FORBIDDEN_HEADERS) {
    if (name in fields) throw invalid(`token header \`${name}\` is not accepted`, 'header');
  }
  const { alg, kid, typ } = fields;
  if (typeof alg !== 'string' || !allowedAlgorithms.includes(alg)) {
    throw invalid('token `alg` is not allowed', 'alg');
  }
  if (token.endsWith('.')) throw invalid('token signature is empty', 'signature');
  if (typeof kid !== 'string' || !KID.test(kid)) throw invalid('token `kid` is missing or malformed', 'kid');
  if (expectedTyp !== undefined && (typeof typ !== 'string' || normaliseTyp(typ) !== expectedTyp)) {
    throw invalid('token `typ` is not the expected kind', 'typ');
  }
  return { alg, kid, typ: typeof typ === 'string' ? typ : '' };
}
