/**
 * URLs as they may be printed or logged: DTQ_ES_URL, DTQ_KIBANA_URL and DTQ_REDIS_URL may carry
 * credentials (`https://user:pass@host`), and every message, log line and error that names the
 * URL would otherwise copy them into terminals, CI logs and Elasticsearch itself.
 */

/** What stands in for a user name or password. */
export const REDACTED = '***';

/**
 * `url` with its user name and password replaced by {@link REDACTED}; scheme, host, port, path
 * and query are kept as written. Works on the text, so a string that does not parse as a URL is
 * masked the same way (`//user:pass@` → `//***:***@`).
 */
export function redactUrl(url: string | URL): string {
  const text = typeof url === 'string' ? url : url.href;
  const slashes = text.indexOf('//');
  const authorityStart = slashes === -1 ? 0 : slashes + 2;
  let authorityEnd = text.length;
  for (const delimiter of ['/', '?', '#']) {
    const at = text.indexOf(delimiter, authorityStart);
    if (at !== -1 && at < authorityEnd) authorityEnd = at;
  }
  // The last @ ends the user info, as in the WHATWG URL parser.
  const at = text.lastIndexOf('@', authorityEnd - 1);
  if (at < authorityStart) return text;
  const userInfo = text.slice(authorityStart, at);
  const masked = userInfo.includes(':') ? `${REDACTED}:${REDACTED}` : REDACTED;
  return `${text.slice(0, authorityStart)}${masked}${text.slice(at)}`;
}
