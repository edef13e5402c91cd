import { describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { createOutput } from '../../workload/stack/output.ts';
import { COLOUR_PALETTE, linePrefix, rawLine, summarizeLine } from '../../workload/stack/pretty.ts';

/**
 * A path a client sent with %1b, %07, %9b, %0d and %0a (a title change, an OSC 8 link, a C1
 * CSI and a forged line), as nginx decodes it into its access line.
 */
const HOSTILE_PATH =
  '/api/v1/tasks/\u001b]0;owned\u0007\u001b]8;;http://evil.example\u001b\\x\u001b]8;;\u001b\\\u009b2J\r\n14:40:00.000 INFO  task.completed FAKE LINE';
/** That access line as nginx writes it (escape=json escapes C0 itself; C1 stays raw). */
const hostileNginxLine = JSON.stringify({
  [F.TIMESTAMP]: '2026-11-22T10:15:23+00:00',
  [F.SERVICE_NAME]: 'nginx',
  [F.EVENT_ACTION]: 'nginx.access',
  [F.LOG_LEVEL]: 'info',
  [F.MESSAGE]: `GET ${HOSTILE_PATH} 404`,
  [F.URL_PATH]: HOSTILE_PATH,
  [F.HTTP_STATUS]: '404',
  [F.CORRELATION_ID]: 'c\u001b[2Jid',
  [F.NGINX_MSEC]: '1795342523.012',
});

/** The control characters a terminal acts on in `text` (C0 with newlines, DEL, C1), as code points. */
function controls(text: string): number[] {
  return [...text]
    .map((char) => char.codePointAt(0) ?? 0)
    .filter((code) => code < 0x20 || (code >= 0x7f && code <= 0x9f));
}

/** The palette's own colour sequences (SGR). */
const SGR = new RegExp(`${String.fromCharCode(0x1b)}\\[[0-9;]*m`, 'g');

describe('summarizeLine', () => {
  it('turns a vocabulary JSON line into time, level, event, message and the ids', () => {
    const line = JSON.stringify({
      [F.TIMESTAMP]: '2026-11-22T10:15:23.012Z',
      [F.LOG_LEVEL]: 'info',
      [F.EVENT_ACTION]: 'task.enqueued',
      [F.MESSAGE]: 'queued calculate_var',
      [F.CORRELATION_ID]: 'ULTIMATE-SUCCESS-123',
      [F.TASK_ID]: 'abc',
      [F.HTTP_STATUS]: 202,
    });
    expect(summarizeLine(line)).toBe(
      '10:15:23.012 INFO  task.enqueued queued calculate_var status=202 cid=ULTIMATE-SUCCESS-123 task=abc',
    );
  });

  it('shortens ids longer than 20 characters for the eye', () => {
    const line = JSON.stringify({ [F.CORRELATION_ID]: '0123456789abcdef0123456789abcdef' });
    expect(summarizeLine(line)).toContain('cid=01234567…cdef');
  });

  it('passes through lines that are not JSON objects unchanged', () => {
    expect(summarizeLine('Ready to accept connections')).toBe('Ready to accept connections');
    expect(summarizeLine('{not json')).toBe('{not json');
  });
});

describe('summarizeLine on a logged path a client chose', () => {
  it('shows escape sequences, C1 controls and newlines as escapes, on one line', () => {
    const summary = summarizeLine(hostileNginxLine);
    expect(controls(summary)).toEqual([]);
    expect(summary).toContain('\\x1b]0;owned\\x07');
    expect(summary).toContain('\\x9b2J\\x0d\\x0a14:40:00.000 INFO  task.completed FAKE LINE');
    expect(summary).toContain('cid=c\\x1b[2Jid');
  });

  it('writes only its own colour escapes, never one from the line', () => {
    const summary = summarizeLine(hostileNginxLine, COLOUR_PALETTE);
    // Every ESC left is the start of one of the palette's SGR sequences.
    expect(controls(summary.replace(SGR, ''))).toEqual([]);
  });

  it('makes a line that is not JSON printable too', () => {
    expect(summarizeLine('plain \u001b]0;title\u0007 text\u009b')).toBe('plain \\x1b]0;title\\x07 text\\x9b');
  });

  it('leaves no control character from a child in the console, pretty or raw', () => {
    for (const mode of ['pretty', 'raw'] as const) {
      let written = '';
      const output = createOutput(
        mode,
        (text) => {
          written += text;
        },
        false,
      );
      output.line('nginx', hostileNginxLine, 'stdout');
      output.line('api-1', 'boot \u001b[2J\u0007\u009b done', 'stderr');
      const lines = written.split('\n');
      expect(lines, mode).toHaveLength(3);
      expect(lines.at(-1)).toBe('');
      expect(controls(written.replaceAll('\n', '')), mode).toEqual([]);
    }
  });
});

describe('rawLine', () => {
  it('keeps a JSON line valid JSON with the same values, its C1 controls as \\u escapes', () => {
    const shown = rawLine(hostileNginxLine);
    expect(controls(shown)).toEqual([]);
    expect(shown).toContain('\\u009b2J');
    expect(JSON.parse(shown)).toEqual(JSON.parse(hostileNginxLine));
  });

  it('escapes DEL and bidi controls in a JSON line as \\u escapes, and leaves a clean one and astral characters as they are', () => {
    expect(rawLine('{"m":"a\u202eb\u007f😀"}')).toBe('{"m":"a\\u202eb\\u007f😀"}');
    expect(rawLine('{"m":"plain 😀"}')).toBe('{"m":"plain 😀"}');
  });

  it('makes any other line printable', () => {
    expect(rawLine('boot \u001b[2J\u0007')).toBe('boot \\x1b[2J\\x07');
  });
});

describe('linePrefix', () => {
  it('pads the process name so output columns line up', () => {
    expect(linePrefix('api-1', 9, 0)).toBe('api-1     | ');
  });
});
