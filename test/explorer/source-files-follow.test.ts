import {
  appendFileSync,
  closeSync,
  openSync,
  readFileSync,
  renameSync,
  truncateSync,
  writeFileSync,
  writeSync,
} from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { loadTrace } from '../../explorer/load-trace.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { T0 } from './fixtures.ts';
import { tempLogDirs } from './helpers.ts';

const { fixtureDir } = tempLogDirs();

const late = (n: number) =>
  `{"@timestamp":"2026-11-22T10:15:3${n}.000Z","correlation_id":"req-dlq-1","message":"late line ${n}"}\n`;

const load = async (source: FileSource) =>
  (await loadTrace(source, { correlationId: 'req-dlq-1' }, () => T0 + 60_000)).trace;
const lateLines = (trace: Awaited<ReturnType<typeof load>>) =>
  trace.lines.filter((line) => JSON.stringify(line.record).includes('late line')).map((line) => line.source);

describe('the file source under --follow', () => {
  it('reads only the bytes appended since the same lookup last ran', async () => {
    const dir = fixtureDir();
    const file = join(dir, 'worker-1.ndjson');
    const source = new FileSource(dir);
    const first = await load(source);
    const lines = readFileSync(file, 'utf8').split('\n').length - 1;
    // Spoil the first line in place: a reader that started over would count it as malformed.
    const fd = openSync(file, 'r+');
    writeSync(fd, 'X', 0);
    closeSync(fd);
    appendFileSync(file, late(1));
    const second = await load(source);
    expect(lateLines(second)).toEqual([`worker-1.ndjson:${lines + 1}`]);
    expect(second.lines).toHaveLength(first.lines.length + 1);
    expect(source.malformedLines()).toBe(0);
    const fresh = new FileSource(dir);
    await load(fresh);
    expect(fresh.malformedLines()).toBe(1);
  });

  it('reads a file whole again when it was truncated or replaced under its name', async () => {
    const dir = fixtureDir();
    const file = join(dir, 'worker-1.ndjson');
    const source = new FileSource(dir);
    await load(source);
    // copytruncate: the same file, shorter.
    truncateSync(file, 0);
    appendFileSync(file, late(2));
    expect(lateLines(await load(source))).toEqual(['worker-1.ndjson:1']);
    // A rename rotation: the old file moves to .1, a new one takes the name.
    renameSync(file, `${file}.1`);
    writeFileSync(file, late(3));
    expect(lateLines(await load(source)).sort()).toEqual(['worker-1.ndjson.1:1', 'worker-1.ndjson:1']);
  });

  it('reads a file whole again when it was rewritten in place, same inode, at least as long', async () => {
    const dir = fixtureDir();
    const file = join(dir, 'worker-1.ndjson');
    const source = new FileSource(dir);
    const first = await load(source);
    const before = readFileSync(file, 'utf8');
    // `cat other > file`: the inode stays, the size does not shrink, the bytes are all new.
    const fd = openSync(file, 'r+');
    writeSync(fd, `${late(4)}${' '.repeat(before.length)}\n`, 0);
    closeSync(fd);
    const second = await load(source);
    expect(lateLines(second)).toEqual(['worker-1.ndjson:1']);
    // The worker's old lines are gone from the file, so from the trace.
    const workerLines = (trace: typeof first) => trace.lines.filter((l) => l.source.startsWith('worker-1.ndjson'));
    expect(workerLines(first).length).toBeGreaterThan(1);
    expect(workerLines(second)).toHaveLength(1);
  });

  it('picks up a line whose end arrives after a read stopped before it', async () => {
    const dir = fixtureDir();
    const file = join(dir, 'worker-1.ndjson');
    const source = new FileSource(dir);
    const text = late(4);
    appendFileSync(file, text.slice(0, 30));
    expect(lateLines(await load(source))).toEqual([]);
    appendFileSync(file, text.slice(30));
    expect(lateLines(await load(source))).toHaveLength(1);
    expect(source.malformedLines()).toBe(0);
  });
});
