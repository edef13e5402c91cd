/**
 * Canonical JSON (the JSON Canonicalization Scheme, RFC 8785, for values JSON.parse can
 * produce): object keys sorted by UTF-16 code units at every depth, no insignificant
 * whitespace, numbers and strings as ECMAScript's JSON.stringify writes them (so `1.0`, `1`
 * and `1e0` are the same number). Equal data gives equal text, so hashes of it can serve as
 * idempotency fingerprints, cache keys and ground-truth body hashes alike. Not normalised:
 * Unicode forms (NFC vs NFD differ) and integers beyond 2^53, already rounded by JSON.parse.
 */

/** The canonical JSON text of a value; `undefined` (an absent body) is written as null. */
export function canonicalJson(value: unknown): string {
  if (value === null || typeof value !== 'object') {
    return value === undefined ? 'null' : JSON.stringify(value);
  }
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`;
  const record = value as Record<string, unknown>;
  const entries = Object.keys(record)
    .filter((key) => record[key] !== undefined)
    .sort()
    .map((key) => `${JSON.stringify(key)}:${canonicalJson(record[key])}`);
  return `{${entries.join(',')}}`;
}
