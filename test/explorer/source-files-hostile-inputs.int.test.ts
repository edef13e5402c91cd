import { execFileSync } from 'node:child_process';
import { appendFileSync, mkdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrace } from '../../explorer/load-trace.ts';
import type { Trace } from '../../explorer/model/types.ts';
import { FileSource, type FileSourceOptions } from '../../explorer/sources/files.ts';
import { T0 } from './fixtures.ts';
import { tempLogDirs } from './helpers.ts';

const { fixtureDir } = tempLogDirs();

async function traceOf(dir: string, options?: FileSourceOptions): Promise<{ trace: Trace; source: FileSource }> {
  const source = new FileSource(dir, options);
  const { trace } = await loadTrace(source, { correlationId: 'req-dlq-1' }, () => T0 + 60_000);
  return { trace, source };
}

describe('the file source on hostile --logs inputs', () => {
  it('streams files many times larger than its chunk and gives the same trace', async () => {
    const dir = fixtureDir();
    const { trace: whole } = await traceOf(dir);
    const { trace: streamed } = await traceOf(dir, { chunkBytes: 64, maxLineBytes: 4096 });
    expect(streamed).toEqual(whole);
  });

  it('counts a line over the cap as malformed without keeping it, even when it carries the id', async () => {
    const dir = fixtureDir();
    const pad = 'x'.repeat(10_000);
    appendFileSync(
      join(dir, 'worker-1.ndjson'),
      `{"@timestamp":"2026-11-22T10:15:24.000Z","correlation_id":"req-dlq-1","pad":"${pad}"}\n`,
    );
    const { trace, source } = await traceOf(dir, { chunkBytes: 1024, maxLineBytes: 4096 });
    expect(source.malformedLines()).toBe(1);
    expect(trace.lines.some((line) => JSON.stringify(line).includes(pad))).toBe(false);
    expect(trace.warnings).toContain('1 malformed line(s) in the logs were skipped (not JSON)');
    expect(trace.tasks[0]?.outcome).toBe('dead_lettered');
  });

  it('skips a FIFO with a warning instead of waiting for a writer, for as long as it is there', async () => {
    const dir = fixtureDir();
    execFileSync('mkfifo', [join(dir, 'worker-9.ndjson')]);
    const { trace, source } = await traceOf(dir);
    expect(trace.tasks[0]?.outcome).toBe('dead_lettered');
    expect(trace.warnings).toContain('worker-9.ndjson: a FIFO, skipped (pipe logs with --logs - instead)');
    rmSync(join(dir, 'worker-9.ndjson'));
    const { trace: later } = await loadTrace(source, { correlationId: 'req-dlq-1' }, () => T0 + 60_000);
    expect(later.warnings).toEqual([]);
  });

  it('skips a symlink loop with a warning and reads every file once', async () => {
    const dir = fixtureDir();
    const { trace: before } = await traceOf(dir);
    symlinkSync(dir, join(dir, 'again'));
    symlinkSync(join(dir, 'loop.ndjson'), join(dir, 'loop.ndjson'));
    const { trace } = await traceOf(dir);
    expect(trace.lines).toHaveLength(before.lines.length);
    expect(trace.warnings).toEqual([
      'again: symlink loop (leads back to .), skipped',
      'loop.ndjson: symlink loop, skipped',
    ]);
  });

  it('reads a directory named x.ndjson as a directory', async () => {
    const dir = fixtureDir();
    mkdirSync(join(dir, 'x.ndjson'));
    writeFileSync(
      join(dir, 'x.ndjson', 'late.ndjson'),
      '{"@timestamp":"2026-11-22T10:15:30.000Z","correlation_id":"req-dlq-1","message":"from a subfolder"}\n',
    );
    const { trace } = await traceOf(dir);
    expect(trace.lines.some((line) => line.source === 'x.ndjson/late.ndjson:1')).toBe(true);
    expect(trace.warnings).toEqual([]);
  });

  it('skips a truncated gzip file with a warning and keeps what the other files say', async () => {
    const dir = fixtureDir();
    writeFileSync(join(dir, 'worker-1.ndjson.1.gz'), Buffer.from([0x1f, 0x8b, 0x08, 0x00, 0x01, 0x02]));
    const { trace } = await traceOf(dir);
    expect(trace.tasks[0]?.outcome).toBe('dead_lettered');
    expect(trace.warnings).toContain('worker-1.ndjson.1.gz: not a complete gzip file, skipped');
  });
});
