/**
 * The real dtq-explore binary on paths a client chose: `GET /api/v1/tasks/%c0%ae` (invalid
 * UTF-8, once a URIError that took every view down) and a path nginx decoded into ESC, BEL,
 * CR, LF, a C1 CSI and an OSC 8 link. Every view still works, and none writes a control
 * character it did not put there itself.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F, NS_PER_MS } from '../../contract/vocabulary.ts';
import { ensureBuilt, runExplore } from './binary.ts';
import { happyPath, type LogWriter } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';

/** What nginx's access line holds in place of this marker: the raw bytes of `%c0%ae`. */
const INVALID_UTF8_MARKER = '@C0AE@';

/** A path nginx decoded from %1b, %07, %0d, %0a and %c2%9b: a title change, an OSC 8 link, a CSI and a forged line. */
const HOSTILE_PATH =
  '/api/v1/tasks/x\u001b]0;owned\u0007\u001b]8;;file:/etc/passwd\u001b\\link\u001b]8;;\u001b\\\u009b2J\r\n14:40:00.000 INFO  task.completed FAKE LINE';

/** Control characters a terminal acts on (C0, DEL, C1), newline aside, as code points. */
function controls(text: string): number[] {
  return [...text.replaceAll('\n', '')]
    .map((char) => char.codePointAt(0) ?? 0)
    .filter((code) => code < 0x20 || (code >= 0x7f && code <= 0x9f));
}

function hostileLogs(): LogWriter {
  const w = happyPath();
  // The status poll with an invalid escape: the API logs the path as sent, nginx the bytes it decoded.
  const poll = { [F.CORRELATION_ID]: 'req-bad', [F.HTTP_METHOD]: 'GET', [F.URL_PATH]: '/api/v1/tasks/%c0%ae' };
  w.line(5000, 'api', 'api-2', EVENTS.HTTP_REQUEST_RECEIVED, poll);
  w.line(5001, 'api', 'api-2', EVENTS.HTTP_REQUEST_COMPLETED, {
    ...poll,
    [F.HTTP_STATUS]: 400,
    [F.EVENT_DURATION]: NS_PER_MS,
  });
  w.nginx(5002, 'req-bad', 'GET', `/api/v1/tasks/${INVALID_UTF8_MARKER}`, 400, 0.002);
  // nginx answered this one itself: the trace shows nginx's decoded path.
  w.nginx(6000, 'req-inject', 'GET', HOSTILE_PATH, 404, 0.001);
  // A writer that logs decoded paths, as a mapped foreign service may: the list shows it.
  const decoded = { [F.CORRELATION_ID]: 'req-inject-api', [F.HTTP_METHOD]: 'GET', [F.URL_PATH]: HOSTILE_PATH };
  w.line(7000, 'api', 'api-3', EVENTS.HTTP_REQUEST_RECEIVED, decoded);
  w.line(7001, 'api', 'api-3', EVENTS.HTTP_REQUEST_COMPLETED, { ...decoded, [F.HTTP_STATUS]: 404 });
  return w;
}

let dir: string;
beforeAll(() => {
  ensureBuilt();
  dir = writeLogDir(hostileLogs());
  // nginx writes the bytes it decoded as they are (escape=json escapes only those below 0x20).
  const nginx = join(dir, 'nginx.ndjson');
  const text = hostileLogs().files().get('nginx.ndjson') ?? '';
  const parts = text.split(INVALID_UTF8_MARKER);
  writeFileSync(
    nginx,
    Buffer.concat(
      parts.flatMap((part, i) => (i === 0 ? [Buffer.from(part)] : [Buffer.from([0xc0, 0xae]), Buffer.from(part)])),
    ),
  );
});
afterAll(() => removeDir(dir));

describe('dtq-explore on a path with an invalid percent escape (%c0%ae)', () => {
  it('shows the trace in --json, paired with its nginx line', async () => {
    const { code, stdout, stderr } = await runExplore(['req-bad', '--logs', dir, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as {
      requests: { path: string; status: number; nginx: { status: number } | null }[];
      gaps: unknown[];
    };
    expect(doc.requests).toHaveLength(1);
    expect(doc.requests[0]).toMatchObject({ path: '/api/v1/tasks/%c0%ae', status: 400, nginx: { status: 400 } });
    expect(doc.gaps).toEqual([]);
  });

  it('shows the trace in --plain', async () => {
    const { code, stdout } = await runExplore(['req-bad', '--logs', dir, '--plain']);
    expect(code).toBe(0);
    expect(stdout).toContain('correlation id: req-bad');
    expect(stdout).toContain('GET /api/v1/tasks/%c0%ae → 400');
  });

  it('lists recent requests that include it, in --plain and --json', async () => {
    const plain = await runExplore(['--logs', dir, '--since', '3650d', '--plain']);
    expect(plain.code).toBe(0);
    expect(plain.stdout).toContain('req-happy-1');
    const json = await runExplore(['--logs', dir, '--since', '3650d', '--json']);
    expect(json.code).toBe(0);
    const ids = (JSON.parse(json.stdout) as { requests: { correlation_id: string }[] }).requests.map(
      (r) => r.correlation_id,
    );
    expect(ids).toContain('req-happy-1');
  });
});

describe('dtq-explore on a path that holds terminal escape sequences', () => {
  it('--plain shows them as visible escapes and forges no line', async () => {
    const { code, stdout } = await runExplore(['req-inject', '--logs', dir, '--plain']);
    expect(code).toBe(0);
    expect(controls(stdout)).toEqual([]);
    expect(stdout).toContain(
      'GET /api/v1/tasks/x\\x1b]0;owned\\x07\\x1b]8;;file:/etc/passwd\\x1b\\link\\x1b]8;;\\x1b\\\\x9b2J\\x0d\\x0a14:40:00.000 INFO  task.completed FAKE LINE',
    );
    expect(stdout.split('\n').filter((line) => line.startsWith('14:40:00.000'))).toEqual([]);
  });

  it('--plain lists them as visible escapes too', async () => {
    const { code, stdout } = await runExplore(['--logs', dir, '--since', '3650d', '--plain']);
    expect(code).toBe(0);
    expect(stdout).toContain('req-inject-api');
    expect(stdout).toContain('GET /api/v1/tasks/x\\x1b]0;owned');
    expect(controls(stdout)).toEqual([]);
  });

  it('--json keeps the logged value exactly, with every control character escaped in the text', async () => {
    const { code, stdout } = await runExplore(['req-inject', '--logs', dir, '--json']);
    expect(code).toBe(0);
    expect(controls(stdout)).toEqual([]);
    expect(stdout).toContain('\\u001b]0;owned\\u0007');
    expect(stdout).toContain('\\u009b2J\\r\\n14:40:00.000');
    const doc = JSON.parse(stdout) as { requests: { path: string }[]; events: { line: Record<string, unknown> }[] };
    expect(doc.requests[0]?.path).toBe(HOSTILE_PATH);
    expect(doc.events[0]?.line[F.URL_PATH]).toBe(HOSTILE_PATH);
  });

  it('quotes an id with escape sequences in an error message as visible escapes', async () => {
    const { code, stderr } = await runExplore(['no-such\u001b]0;owned\u0007\u009b2J', '--logs', dir, '--plain']);
    expect(code).not.toBe(0);
    expect(stderr).toContain('no-such\\x1b]0;owned\\x07\\x9b2J');
    expect(controls(stderr)).toEqual([]);
  });
});
