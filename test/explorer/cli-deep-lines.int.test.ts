/**
 * The real dtq-explore binary on a log line nested 10,000 levels deep that carries the trace's
 * correlation id. JSON.parse accepts it, but --json (and the details view) would overflow the
 * stack serialising it: the file source counts it as malformed instead, and every view works.
 */
import { appendFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ensureBuilt, runExplore } from './binary.ts';
import { happyPath } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';

const DEPTH = 10_000;
const CID = 'req-happy-1';
let dir: string;

beforeAll(() => {
  ensureBuilt();
  dir = writeLogDir(happyPath());
  const deep = `${'{"a":'.repeat(DEPTH)}1${'}'.repeat(DEPTH)}`;
  appendFileSync(
    join(dir, 'api-1.ndjson'),
    `{"@timestamp":"2026-01-01T00:00:00.000Z","service.name":"api","event.action":"http.request.received","correlation_id":"${CID}","x":${deep}}\n`,
  );
});
afterAll(() => removeDir(dir));

describe('dtq-explore with a line nested 10,000 levels deep', () => {
  it('answers --json with the trace and a malformed-line warning', async () => {
    const { code, stdout, stderr } = await runExplore([CID, '--logs', dir, '--json']);
    expect(stderr).toBe('');
    expect(code).toBe(0);
    const doc = JSON.parse(stdout) as { correlation_id: string; warnings: string[] };
    expect(doc.correlation_id).toBe(CID);
    expect(doc.warnings.join('\n')).toMatch(/malformed/i);
  });

  it('answers --plain', async () => {
    const { code, stdout } = await runExplore([CID, '--logs', dir, '--plain']);
    expect(code).toBe(0);
    expect(stdout).toContain(`correlation id: ${CID}`);
  });
});
