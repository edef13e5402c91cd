/**
 * Quoting a client's value inside an error message or a log line: in double quotes, cut to a
 * few dozen characters, with control characters (C0, DEL, C1) and quotes written visibly as
 * escapes, so a hostile key (300 KB, ESC sequences, forged newlines) can neither flood a log
 * nor reach a terminal raw.
 */

/** Characters of a client's value kept in a message (before escaping). */
export const MAX_QUOTED_CHARACTERS = 64;

// C0 controls, DEL, C1 controls, the Unicode line and paragraph separators, quote, backslash.
// biome-ignore lint/suspicious/noControlCharactersInRegex: matching control characters is this regex's job
const UNSAFE = /[\x00-\x1f\x7f-\x9f\u2028\u2029"\\]/g;

function escapeCharacter(ch: string): string {
  if (ch === '"' || ch === '\\') return `\\${ch}`;
  const code = ch.charCodeAt(0);
  return code <= 0xff ? `\\x${code.toString(16).padStart(2, '0')}` : `\\u${code.toString(16).padStart(4, '0')}`;
}

/**
 * `value` in double quotes, at most `max` characters of it, control characters as `\xNN`; a cut
 * value ends with `…` and its full length, e.g. `"aaaa…" (300000 characters)`.
 */
export function quoteValue(value: string, max = MAX_QUOTED_CHARACTERS): string {
  const cut = value.length > max;
  const shown = (cut ? value.slice(0, max) : value).replace(UNSAFE, escapeCharacter);
  return cut ? `"${shown}…" (${value.length} characters)` : `"${shown}"`;
}

const PLAIN_KEY = /^[A-Za-z_][A-Za-z0-9_]{0,63}$/;

/** A key appended to a dotted field path: `.name` for a plain identifier, else `["quoted"]`. */
export function pathKey(key: string): string {
  return PLAIN_KEY.test(key) ? `.${key}` : `[${quoteValue(key)}]`;
}
