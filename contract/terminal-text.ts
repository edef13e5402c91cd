/**
 * Text from logs (paths, messages, header values) shown on a terminal. A logged value is
 * attacker-controlled: ESC and BEL start sequences that retitle the window, clear the screen
 * or plant OSC 8 links, and a newline forges a whole new log line. Every such character is
 * shown as a visible escape instead of being written raw.
 */

/**
 * `text` with every C0 control (U+0000–U+001F, newlines and tabs included), DEL (U+007F) and
 * C1 control (U+0080–U+009F) written as `\xNN`, and the line and paragraph separators
 * (U+2028, U+2029) and bidirectional overrides and isolates (U+202A–U+202E, U+2066–U+2069,
 * which reorder what is shown) as `\uNNNN`. Everything else, backslashes included, is left as
 * is. With `maxLength`, the result is at most that many characters, ending in `…` when cut
 * (never inside an escape or a surrogate pair). Pure.
 */
export function printable(text: string, maxLength?: number): string {
  const limit = maxLength === undefined ? Number.POSITIVE_INFINITY : Math.max(1, Math.floor(maxLength));
  // Fast answer for the common case: nothing to escape and short enough.
  if (text.length <= limit && isPrintable(text)) return text;
  let out = '';
  let from = 0;
  for (let i = 0; i < text.length; i++) {
    const code = text.charCodeAt(i);
    const replacement = escapeOf(code);
    if (replacement === undefined) continue;
    out += text.slice(from, i);
    from = i + 1;
    if (out.length > limit) break;
    out += replacement;
  }
  if (from < text.length && out.length <= limit) out += text.slice(from);
  return out.length <= limit ? out : cut(out, limit);
}

function isPrintable(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (escapeOf(text.charCodeAt(i)) !== undefined) return false;
  return true;
}

function escapeOf(code: number): string | undefined {
  if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return `\\x${code.toString(16).padStart(2, '0')}`;
  if (code === 0x2028 || code === 0x2029 || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069))
    return `\\u${code.toString(16)}`;
  return undefined;
}

/** `escaped` cut to `limit` characters ending in `…`, without splitting an escape or a surrogate pair. */
function cut(escaped: string, limit: number): string {
  let end = limit - 1;
  // An escape starts with a backslash at most 5 characters back (`\u2028`); an escape is only
  // ever produced whole, so a backslash in that window followed by x or u plus hex is one.
  const tail = escaped.slice(Math.max(0, end - 5), end + 6);
  const base = Math.max(0, end - 5);
  const pattern = /\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g;
  for (let match = pattern.exec(tail); match !== null; match = pattern.exec(tail)) {
    const start = base + match.index;
    if (start < end && start + match[0].length > end) end = start;
  }
  const code = escaped.charCodeAt(end - 1);
  if (code >= 0xd800 && code <= 0xdbff) end--;
  return `${escaped.slice(0, end)}…`;
}
