/**
 * Parsing the Idempotency-Key request header. The IETF draft
 * (draft-ietf-httpapi-idempotency-key-header) makes the value a Structured Field string
 * (`"8e03978e-..."`); Stripe and most clients send the bare token. Both are accepted and mean
 * the same key. Anything that is not 1..255 printable ASCII characters is refused with 400,
 * never stored and never logged raw.
 */

/** The request header, lowercase as Node presents it. */
export const IDEMPOTENCY_KEY_HEADER = 'idempotency-key';

/** Longest key accepted (Stripe's limit). */
export const IDEMPOTENCY_KEY_MAX_LENGTH = 255;

/** A parsed header: the key, or why it was refused (safe to echo: it never quotes the value). */
export type ParsedIdempotencyKey =
  | { readonly ok: true; readonly key: string | undefined }
  | { readonly ok: false; readonly reason: string };

const PRINTABLE_ASCII = /^[\x20-\x7e]+$/;

/**
 * Read the key from the raw header list (Node's `rawHeaders`), so that a repeated header is
 * noticed instead of being silently joined with ", " as `headers[name]` would do.
 */
export function parseIdempotencyKey(rawHeaders: readonly string[]): ParsedIdempotencyKey {
  const values: string[] = [];
  for (let i = 0; i + 1 < rawHeaders.length; i += 2) {
    if (rawHeaders[i]?.toLowerCase() === IDEMPOTENCY_KEY_HEADER) values.push(rawHeaders[i + 1] ?? '');
  }
  if (values.length === 0) return { ok: true, key: undefined };
  if (values.length > 1) return { ok: false, reason: `it was sent ${values.length} times, send it once` };
  return parseIdempotencyKeyValue(values[0] ?? '');
}

/** Validate one header value (surrounding whitespace already trimmed by the HTTP parser). */
export function parseIdempotencyKeyValue(raw: string): ParsedIdempotencyKey {
  const value = raw.trim();
  if (value.length === 0) return { ok: false, reason: 'it is empty' };
  const key = value.startsWith('"') ? unquoteStructuredString(value) : value;
  if (typeof key !== 'string') return key;
  if (key.length === 0) return { ok: false, reason: 'it is empty' };
  if (key.length > IDEMPOTENCY_KEY_MAX_LENGTH) {
    return { ok: false, reason: `it has ${key.length} characters, at most ${IDEMPOTENCY_KEY_MAX_LENGTH} are allowed` };
  }
  // Node decodes header bytes as latin1, so UTF-8 arrives as characters above 0x7e and
  // control characters that survived the parser (e.g. 0x01) are below 0x20: both refused.
  if (!PRINTABLE_ASCII.test(key)) {
    return { ok: false, reason: 'it contains characters outside printable ASCII (control or non-ASCII characters)' };
  }
  return { ok: true, key };
}

/** RFC 8941 sf-string: DQUOTE *( unescaped / "\" ( DQUOTE / "\" ) ) DQUOTE. */
function unquoteStructuredString(value: string): string | { ok: false; reason: string } {
  if (value.length < 2 || !value.endsWith('"')) return { ok: false, reason: 'its opening quote is not closed' };
  let out = '';
  for (let i = 1; i < value.length - 1; i++) {
    const ch = value[i] as string;
    if (ch === '\\') {
      const next = value[i + 1];
      if ((next !== '"' && next !== '\\') || i + 1 === value.length - 1) {
        return { ok: false, reason: 'it has a backslash that escapes neither a quote nor a backslash' };
      }
      out += next;
      i++;
    } else if (ch === '"') {
      return { ok: false, reason: 'it has an unescaped quote inside a quoted string' };
    } else {
      out += ch;
    }
  }
  return out;
}
