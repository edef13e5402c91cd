import { appendFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import type { DtqError } from '../../contract/dtq-error.ts';
import { loadTrace } from '../../explorer/load-trace.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { T0 } from './fixtures.ts';
import { tempLogDirs } from './helpers.ts';

const { fixtureDir, track } = tempLogDirs();

async function errorOf(promise: Promise<unknown>): Promise<DtqError> {
  try {
    await promise;
  } catch (error) {
    return error as DtqError;
  }
  throw new Error('expected a rejection');
}

describe('the NDJSON file source', () => {
  it('builds the trace from the per-process files, nginx lines normalised', async () => {
    const { trace } = await loadTrace(
      new FileSource(fixtureDir()),
      { correlationId: 'req-happy-1' },
      () => T0 + 60_000,
    );
    expect(trace.requests[0]?.nginx?.status).toBe(202);
    expect(trace.requests[0]?.nginx?.endedAt).toBe(T0 + 5);
    expect(trace.tasks[0]?.polls).toHaveLength(2);
  });

  it('skips and counts malformed lines, and reports them as a warning', async () => {
    const dir = fixtureDir();
    appendFileSync(join(dir, 'worker-1.ndjson'), 'not json at all\n{"correlation_id":"req-dlq-1", torn\n');
    const source = new FileSource(dir);
    const { trace } = await loadTrace(source, { correlationId: 'req-dlq-1' }, () => T0 + 60_000);
    expect(source.malformedLines()).toBe(2);
    expect(trace.warnings).toContain('2 malformed line(s) in the logs were skipped (not JSON)');
    expect(trace.tasks[0]?.outcome).toBe('dead_lettered');
  });

  it('leaves a line still being written for the next read', async () => {
    const dir = fixtureDir();
    appendFileSync(
      join(dir, 'worker-9.ndjson'),
      '{"@timestamp":"2026-11-22T10:15:23.000Z","correlation_id":"req-dlq-1"',
    );
    const source = new FileSource(dir);
    await loadTrace(source, { correlationId: 'req-dlq-1' }, () => T0 + 60_000);
    expect(source.malformedLines()).toBe(0);
  });

  it('names the nearest ids and the time range when an id is unknown', async () => {
    const error = await errorOf(loadTrace(new FileSource(fixtureDir()), { correlationId: 'req-dlq-2' }));
    expect(error.code).toBe('DTQ_ERR_EXPLORE_NOT_FOUND');
    expect(error.message).toContain('Nearest correlation ids: req-dlq-1');
    expect(error.message).toMatch(/searched 2026-11-22T10:15:23\.001Z to 2026-11-22T10:15:26\.\d{3}Z/);
  });

  it('bounds the range by the last whole line of a file whose unfinished tail spans later chunks', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-nearest-'));
    track(dir);
    const line = (ms: number) => `${JSON.stringify({ '@timestamp': new Date(T0 + ms).toISOString() })}\n`;
    // 128-byte chunks: both whole lines are in the first, and the unfinished tail fills the
    // second and then the first's buffer again.
    writeFileSync(join(dir, 'api-1.ndjson'), `${line(0)}${line(1)}{"@timestamp":"${'x'.repeat(300)}`);
    const range = (await new FileSource(dir, { chunkBytes: 128 }).nearest('req-9', 'correlation_id')).range;
    expect(range).toEqual({ from: T0, to: T0 + 1 });
  });

  it('says what to do when the log directory is missing or empty', async () => {
    const missing = await errorOf(loadTrace(new FileSource('/nonexistent/dtq-logs'), { correlationId: 'x' }));
    expect(missing.code).toBe('DTQ_ERR_EXPLORE_NO_LOGS_DIR');
    expect(missing.message).toContain('/nonexistent/dtq-logs does not exist');
    const empty = mkdtempSync(join(tmpdir(), 'dtq-empty-'));
    track(empty);
    writeFileSync(join(empty, 'notes.txt'), 'hello');
    const none = await errorOf(loadTrace(new FileSource(empty), { correlationId: 'x' }));
    expect(none.code).toBe('DTQ_ERR_EXPLORE_NO_LOG_FILES');
  });
});
