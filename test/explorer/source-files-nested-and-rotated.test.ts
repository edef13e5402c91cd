import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { gzipSync } from 'node:zlib';
import { afterEach, describe, expect, it } from 'vitest';
import type { DtqError } from '../../contract/dtq-error.ts';
import { loadTrace } from '../../explorer/load-trace.ts';
import type { Trace } from '../../explorer/model/types.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { deadLettered, happyPath, type LogWriter, T0 } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';

const dirs: string[] = [];
afterEach(() => {
  for (const dir of dirs.splice(0)) removeDir(dir);
});

function tempDir(): string {
  const dir = mkdtempSync(join(tmpdir(), 'dtq-nested-'));
  dirs.push(dir);
  return dir;
}

function scenario(): LogWriter {
  const w = happyPath();
  deadLettered(w);
  return w;
}

/**
 * The same lines laid out as a host would keep them: one folder per process, the older half
 * of each file rotated to `<name>.1` (and gzipped for workers, `.2.gz` being older still).
 */
function rotatedDir(w: LogWriter): string {
  const root = tempDir();
  for (const [name, text] of w.files()) {
    const host = join(root, name.replace(/\.ndjson$/, ''));
    mkdirSync(host);
    const lines = text.split('\n').filter((l) => l !== '');
    const half = Math.floor(lines.length / 2);
    const older = `${lines.slice(0, half).join('\n')}\n`;
    if (name.startsWith('worker')) writeFileSync(join(host, `${name}.2.gz`), gzipSync(older));
    else writeFileSync(join(host, `${name}.1`), older);
    writeFileSync(join(host, name), `${lines.slice(half).join('\n')}\n`);
  }
  return root;
}

/** A trace without where its lines came from: the same lines in other files give the same trace. */
function comparable(trace: Trace): unknown {
  return JSON.parse(JSON.stringify(trace).replace(/"source":"[^"]*"/g, '"source":""'));
}

const load = async (source: FileSource, correlationId: string) =>
  (await loadTrace(source, { correlationId }, () => T0 + 60_000)).trace;

describe('the file source on logs as hosts keep them', () => {
  it('gives the same traces from nested, rotated and gzipped files as from the flat directory', async () => {
    const w = scenario();
    const flat = writeLogDir(w);
    dirs.push(flat);
    const nested = rotatedDir(w);
    for (const id of ['req-happy-1', 'req-dlq-1']) {
      const expected = await load(new FileSource(flat), id);
      const source = new FileSource(nested);
      const actual = await load(source, id);
      expect(comparable(actual)).toEqual(comparable(expected));
      expect(source.malformedLines()).toBe(0);
      expect(actual.lines.some((line) => /^(worker-\d+)\/\1\.ndjson\.2\.gz:\d+$/.test(line.source))).toBe(true);
    }
  });

  it('reads the files a glob names, and only those', async () => {
    const root = rotatedDir(scenario());
    const all = await load(new FileSource(join(root, '**/*.ndjson*')), 'req-dlq-1');
    const onlyCurrent = await load(new FileSource(join(root, '*/*.ndjson')), 'req-dlq-1');
    expect(onlyCurrent.lines.length).toBeGreaterThan(0);
    expect(onlyCurrent.lines.length).toBeLessThan(all.lines.length);
    expect(onlyCurrent.lines.every((line) => /\.ndjson:\d+$/.test(line.source))).toBe(true);
  });

  it('reads a single file passed as --logs FILE', async () => {
    const w = scenario();
    const root = tempDir();
    const file = join(root, 'everything.log');
    writeFileSync(file, [...w.files().values()].join(''));
    const flat = writeLogDir(w);
    dirs.push(flat);
    const source = new FileSource(file);
    expect(source.description).toBe(`files in ${file}`);
    expect(comparable(await load(source, 'req-dlq-1'))).toEqual(
      comparable(await load(new FileSource(flat), 'req-dlq-1')),
    );
  });

  it('reads standard input once, plain or gzipped, and answers several lookups from it', async () => {
    const w = scenario();
    const text = [...w.files().values()].join('');
    const flat = writeLogDir(w);
    dirs.push(flat);
    const expected = comparable(await load(new FileSource(flat), 'req-dlq-1'));
    for (const bytes of [Buffer.from(text), gzipSync(text)]) {
      const source = new FileSource('-', { stdin: Readable.from([bytes]) });
      expect(source.description).toBe('standard input');
      expect(comparable(await load(source, 'req-dlq-1'))).toEqual(expected);
      // The pipe is drained: a second trace comes from the spooled copy.
      expect((await load(source, 'req-happy-1')).requests[0]?.nginx?.status).toBe(202);
      await source.close();
    }
  });

  it('says when --logs - meets a terminal instead of a pipe', async () => {
    const stdin = Object.assign(Readable.from([]), { isTTY: true });
    const error = (await load(new FileSource('-', { stdin }), 'x').catch((e: unknown) => e)) as DtqError;
    expect(error.code).toBe('DTQ_ERR_EXPLORE_USAGE');
    expect(error.message).toContain('pipe the logs in');
  });

  it('says what it looked for when a glob matches nothing or a directory holds no log file', async () => {
    const root = tempDir();
    writeFileSync(join(root, 'notes.txt'), 'hello');
    const glob = (await load(new FileSource(join(root, '**/*.json')), 'x').catch((e: unknown) => e)) as DtqError;
    expect(glob.code).toBe('DTQ_ERR_EXPLORE_NO_LOG_FILES');
    expect(glob.message).toContain(`no file matches ${join(root, '**/*.json')}`);
    const dir = (await load(new FileSource(root), 'x').catch((e: unknown) => e)) as DtqError;
    expect(dir.message).toContain('holds no *.ndjson, *.jsonl, *.json, *.log');
  });
});
