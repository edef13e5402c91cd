/**
 * The request fingerprint: SHA-256 of the canonical JSON of the parsed request body.
 *
 * Canonical form (the JSON Canonicalization Scheme, RFC 8785, for values JSON.parse can
 * produce): object keys sorted by UTF-16 code units at every depth, no insignificant
 * whitespace, numbers and strings as ECMAScript's JSON.stringify writes them (so `1.0`, `1`
 * and `1e0` are the same number; `"\u0041"` and `"A"` the same string). Not normalised:
 * Unicode forms (NFC vs NFD are different bodies) and integers beyond 2^53, which JSON.parse
 * has already rounded before we see them.
 */
import { createHash } from 'node:crypto';
import { canonicalJson } from '../common/canonical-json.ts';

/** Hex SHA-256 of the canonical JSON of a body. */
export function fingerprintBody(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
