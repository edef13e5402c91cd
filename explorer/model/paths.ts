/**
 * URL paths as the two writers of an HTTP request log them. The API logs the path as the
 * client sent it (`/api/v1/tasks/caf%C3%A9`); nginx logs `$uri`, which it has decoded and
 * normalised (`/api/v1/tasks/café`, `%2F%2F` merged into one `/`, dot segments resolved).
 * Comparisons happen in nginx's form. Pure, and never throws: a path is client input.
 */

const UTF8 = new TextDecoder('utf-8', { fatal: false });
const ENCODER = new TextEncoder();

function hexValue(code: number): number {
  if (code >= 0x30 && code <= 0x39) return code - 0x30;
  const lower = code | 0x20;
  return lower >= 0x61 && lower <= 0x66 ? lower - 0x61 + 10 : -1;
}

/**
 * `text` with every `%XX` escape decoded as a byte and the bytes read as UTF-8, the way nginx
 * decodes a path and a reader then reads its raw bytes back: invalid UTF-8 (`%c0%ae`) becomes
 * U+FFFD, and a `%` not followed by two hex digits stays as written. Unlike
 * `decodeURIComponent`, it never throws.
 */
export function percentDecode(text: string): string {
  if (!text.includes('%')) return text;
  const bytes: number[] = [];
  let from = 0;
  const flush = (to: number): void => {
    if (to > from) for (const byte of ENCODER.encode(text.slice(from, to))) bytes.push(byte);
  };
  for (let i = 0; i < text.length; i++) {
    if (text.charCodeAt(i) !== 0x25) continue;
    const high = hexValue(text.charCodeAt(i + 1));
    const low = hexValue(text.charCodeAt(i + 2));
    if (high < 0 || low < 0) continue;
    flush(i);
    bytes.push(high * 16 + low);
    i += 2;
    from = i + 1;
  }
  flush(text.length);
  return UTF8.decode(Uint8Array.from(bytes));
}

/**
 * A path as sent by a client, in the form nginx logs it: decoded ({@link percentDecode}),
 * runs of `/` merged and `.`/`..` segments resolved (never above the root).
 */
export function nginxFormOf(rawPath: string): string {
  const decoded = percentDecode(rawPath);
  if (!decoded.startsWith('/') || (!decoded.includes('//') && !decoded.includes('/.'))) return decoded;
  const segments: string[] = [];
  const parts = decoded.split('/');
  parts.forEach((segment, i) => {
    const last = i === parts.length - 1;
    if (segment === '..') segments.pop();
    if (segment === '.' || segment === '..') {
      if (last) segments.push('');
      return;
    }
    if (segment !== '' || last) segments.push(segment);
  });
  return `/${segments.join('/')}`;
}
