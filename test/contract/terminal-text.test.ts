import { describe, expect, it } from 'vitest';
import { printable } from '../../contract/terminal-text.ts';

/** True when a character printable() must escape is in `text`. */
function hasControl(text: string): boolean {
  for (const char of text) {
    const code = char.codePointAt(0) as number;
    if (code < 0x20 || (code >= 0x7f && code <= 0x9f)) return true;
    if (code === 0x2028 || code === 0x2029 || (code >= 0x202a && code <= 0x202e) || (code >= 0x2066 && code <= 0x2069))
      return true;
  }
  return false;
}

describe('printable', () => {
  it('returns plain text unchanged, backslashes included', () => {
    expect(printable('GET /api/v1/tasks 202 — ok')).toBe('GET /api/v1/tasks 202 — ok');
    expect(printable('C:\\logs\\api.ndjson')).toBe('C:\\logs\\api.ndjson');
  });

  it('shows ESC, BEL and an OSC title sequence as visible escapes', () => {
    expect(printable('\x1b]0;pwned\x07/path')).toBe('\\x1b]0;pwned\\x07/path');
    expect(printable('\x1b[2J\x1b[H')).toBe('\\x1b[2J\\x1b[H');
  });

  it('shows newlines, carriage returns and tabs, so no log line can be forged', () => {
    expect(printable('/x\n14:40:00.000 INFO task.completed FAKE LINE\r\t')).toBe(
      '/x\\x0a14:40:00.000 INFO task.completed FAKE LINE\\x0d\\x09',
    );
  });

  it('shows NUL, DEL and C1 controls (CSI U+009B is ESC [ on some terminals)', () => {
    expect(printable('a\x00b\x7fc\u009b31md\u0085')).toBe('a\\x00b\\x7fc\\x9b31md\\x85');
  });

  it('shows line separators and bidirectional overrides as \\u escapes', () => {
    expect(printable('a\u2028b\u2029c\u202ed\u2066e')).toBe('a\\u2028b\\u2029c\\u202ed\\u2066e');
  });

  it('cuts to maxLength characters with an ellipsis, never inside an escape', () => {
    expect(printable('abcdefghij', 5)).toBe('abcd…');
    expect(printable('abcdefghij', 10)).toBe('abcdefghij');
    expect(printable('abc\x1bdef', 6)).toBe('abc…');
    expect(printable('abc\x1bdef', 8)).toBe('abc\\x1b…');
    expect(printable('abc\x1bdef', 10)).toBe('abc\\x1bdef');
    for (let limit = 1; limit < 40; limit++) {
      const shown = printable('\x1b\u2028\x07abc\n'.repeat(4), limit);
      expect(shown.length).toBeLessThanOrEqual(limit);
      expect(hasControl(shown)).toBe(false);
      expect(shown.replace(/\\x[0-9a-f]{2}|\\u[0-9a-f]{4}/g, '')).not.toContain('\\');
    }
  });

  it('does not split a surrogate pair when cutting', () => {
    expect(printable('ab😀cd', 4)).toBe('ab…');
    expect(printable('ab😀cd', 5)).toBe('ab😀…');
  });

  it('never lets a control character through, whatever the input', () => {
    let all = '';
    for (let code = 0; code < 0x2100; code++) all += String.fromCharCode(code);
    expect(hasControl(all)).toBe(true);
    expect(hasControl(printable(all))).toBe(false);
    expect(hasControl(printable(all, 300))).toBe(false);
  });
});
