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

/** The canonical JSON text of a parsed JSON value. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    // undefined (absent body) is written as null so "no body" has a fingerprint too.
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const entries = Object.keys(value)
    .filter((k) => (value as Record<string, unknown>)[k] !== undefined)
    .sort()
    .map((k) => `${JSON.stringify(k)}:${canonicalJson((value as Record<string, unknown>)[k])}`);
  return `{${entries.join(',')}}`;
}

/** Hex SHA-256 of the canonical JSON of a body. */
export function fingerprintBody(body: unknown): string {
  return createHash('sha256').update(canonicalJson(body)).digest('hex');
}
