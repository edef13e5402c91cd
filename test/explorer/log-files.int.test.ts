import { execFileSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import {
  globToRegExp,
  isLogFileName,
  type LogInput,
  listLogFiles,
  parseLogInput,
} from '../../explorer/sources/log-files.ts';
import { tempLogDirs } from './helpers.ts';

const { track } = tempLogDirs();

function tempDir(): string {
  return track(mkdtempSync(join(tmpdir(), 'dtq-log-files-')));
}

function write(root: string, files: readonly string[]): void {
  for (const file of files) {
    mkdirSync(join(root, file, '..'), { recursive: true });
    writeFileSync(join(root, file), '{}\n');
  }
}

const names = (input: Exclude<LogInput, { kind: 'stdin' }>) => listLogFiles(input).files.map((f) => f.name);
const noEntry = () => false;

describe('which files --logs reads', () => {
  it('reads NDJSON, JSON and .log files, rotated and gzipped, but not other names', () => {
    for (const name of [
      'api-1.ndjson',
      'worker-3.ndjson.1',
      'worker-3.ndjson.2.gz',
      'app.log',
      'app.log-20261122.gz',
      'events.json',
      'events.jsonl',
    ])
      expect(isLogFileName(name), name).toBe(true);
    for (const name of ['notes.txt', 'ndjson', 'app.log.swp', 'core.gz']) expect(isLogFileName(name), name).toBe(false);
  });

  it('walks subdirectories, one per host or service, in name order', () => {
    const root = tempDir();
    write(root, ['host-b/worker-1.ndjson', 'host-a/api-1.ndjson', 'host-a/deep/nginx.log.1', 'top.ndjson', 'x.txt']);
    expect(names({ kind: 'path', path: root })).toEqual([
      'host-a/api-1.ndjson',
      'host-a/deep/nginx.log.1',
      'host-b/worker-1.ndjson',
      'top.ndjson',
    ]);
  });

  it('reads a single file whatever its name', () => {
    const root = tempDir();
    write(root, ['app.txt']);
    expect(names({ kind: 'path', path: join(root, 'app.txt') })).toEqual(['app.txt']);
  });

  it('tells a glob from a path, and a path that exists from a glob', () => {
    expect(parseLogInput('-', noEntry)).toEqual({ kind: 'stdin' });
    expect(parseLogInput('/var/log/**/*.json', noEntry)).toEqual({
      kind: 'glob',
      pattern: '/var/log/**/*.json',
      base: '/var/log',
      rest: '**/*.json',
    });
    expect(parseLogInput('/logs/[weird]', () => true)).toEqual({ kind: 'path', path: '/logs/[weird]' });
  });

  it('matches *, ? and [] within a segment and ** across any number of them', () => {
    const re = globToRegExp('**/worker-?.ndjson*');
    expect(re.test('worker-1.ndjson')).toBe(true);
    expect(re.test('a/b/worker-2.ndjson.1')).toBe(true);
    expect(re.test('worker-10.ndjson')).toBe(false);
    expect(globToRegExp('*/app.[lj]og').test('h1/app.log')).toBe(true);
    expect(globToRegExp('*/app.[lj]og').test('h1/h2/app.log')).toBe(false);
    expect(globToRegExp('app.[!l]og').test('app.log')).toBe(false);
    expect(globToRegExp('a.b+(c)').test('a.b+(c)')).toBe(true);
    expect(globToRegExp('a.b').test('axb')).toBe(false);
  });

  it('lists the files a glob names, and says a directory matching it is not a log file', () => {
    const root = tempDir();
    write(root, ['var/log/h1/app.json', 'var/log/h2/sub/app.json', 'var/log/app.ndjson', 'var/other/app.json']);
    mkdirSync(join(root, 'var/log/h3/dir.json'), { recursive: true });
    const listing = listLogFiles(
      parseLogInput(join(root, 'var/log/**/*.json'), noEntry) as Exclude<LogInput, { kind: 'stdin' }>,
    );
    expect(listing.files.map((f) => f.name)).toEqual(['h1/app.json', 'h2/sub/app.json']);
    expect(listing.notices).toEqual(['h3/dir.json: a directory, not a log file, skipped']);
  });

  it('skips a symlink loop and a self-referencing link with a notice, and reads the rest', () => {
    const root = tempDir();
    write(root, ['host/api-1.ndjson']);
    symlinkSync(root, join(root, 'host', 'back-to-root'));
    symlinkSync(join(root, 'self.ndjson'), join(root, 'self.ndjson'));
    const listing = listLogFiles({ kind: 'path', path: root });
    expect(listing.files.map((f) => f.name)).toEqual(['host/api-1.ndjson']);
    expect(listing.notices).toEqual([
      'host/back-to-root: symlink loop (leads back to .), skipped',
      'self.ndjson: symlink loop, skipped',
    ]);
  });

  it('reads a directory named like a log file as a directory', () => {
    const root = tempDir();
    write(root, ['x.ndjson/worker-1.ndjson']);
    expect(names({ kind: 'path', path: root })).toEqual(['x.ndjson/worker-1.ndjson']);
    expect(names({ kind: 'path', path: join(root, 'x.ndjson') })).toEqual(['worker-1.ndjson']);
  });

  it('skips a FIFO with a notice instead of opening it', () => {
    const root = tempDir();
    write(root, ['api-1.ndjson']);
    execFileSync('mkfifo', [join(root, 'worker-1.ndjson')]);
    const listing = listLogFiles({ kind: 'path', path: root });
    expect(listing.files.map((f) => f.name)).toEqual(['api-1.ndjson']);
    expect(listing.notices).toEqual(['worker-1.ndjson: a FIFO, skipped (pipe logs with --logs - instead)']);
    const alone = listLogFiles({ kind: 'path', path: join(root, 'worker-1.ndjson') });
    expect(alone.files).toEqual([]);
    expect(alone.notices[0]).toContain('a FIFO, skipped');
  });

  it('says a path that names nothing does not exist, unless it is a glob', () => {
    expect(listLogFiles({ kind: 'path', path: '/nonexistent/dtq' }).exists).toBe(false);
    expect(
      listLogFiles({ kind: 'glob', pattern: '/nonexistent/*.log', base: '/nonexistent', rest: '*.log' }).exists,
    ).toBe(true);
  });
});
