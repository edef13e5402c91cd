/**
 * The real dtq-explore binary on paths a client chose: `GET /api/v1/tasks/%c0%ae` (invalid
 * UTF-8, which decodeURIComponent refuses with a URIError) and a path nginx decoded into ESC, BEL,
 * CR, LF, a C1 CSI and an OSC 8 link. Every view still works, and none writes a control
 * character it did not put there itself.
 */
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { ensureBuilt, runExplore } from './binary.ts';
import { removeDir, writeLogDir } from './helpers.ts';
import { controls, HOSTILE_PATH, hostileLogs, INVALID_UTF8_MARKER } from './hostile-fixtures.ts';

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
