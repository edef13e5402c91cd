/**
 * A listing while files are rotated away: a file or directory that stat saw and that is gone
 * when its real path is read is skipped with a notice, and the rest is still listed.
 */
import { mkdirSync, mkdtempSync, readdirSync, realpathSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { type ListingFs, listLogFiles } from '../../explorer/sources/log-files.ts';
import { tempLogDirs } from './helpers.ts';

const { track } = tempLogDirs();

/** The real file system, except that the real path of `gone` is looked up after it vanished. */
function vanishingAtRealpath(gone: string): ListingFs {
  return {
    statSync,
    readdirSync: (path) => readdirSync(path),
    realpathSync: (path) => {
      if (path === gone)
        throw Object.assign(new Error(`ENOENT: no such file or directory, realpath '${path}'`), { code: 'ENOENT' });
      return realpathSync(path);
    },
  };
}

describe('a listing during rotation', () => {
  it('skips a file rotated away between its stat and its real path, with a notice, and lists the rest', () => {
    const root = track(mkdtempSync(join(tmpdir(), 'dtq-vanishing-')));
    writeFileSync(join(root, 'api.ndjson'), '{}\n');
    writeFileSync(join(root, 'worker.ndjson'), '{}\n');
    const listing = listLogFiles({ kind: 'path', path: root }, vanishingAtRealpath(join(root, 'api.ndjson')));
    expect(listing.files.map((file) => file.name)).toEqual(['worker.ndjson']);
    expect(listing.notices).toEqual(['api.ndjson: vanished while reading (rotated or deleted), skipped']);
  });

  it('skips a directory removed between its stat and its real path, with a notice, and lists the rest', () => {
    const root = track(mkdtempSync(join(tmpdir(), 'dtq-vanishing-')));
    mkdirSync(join(root, 'old'));
    writeFileSync(join(root, 'old', 'api.ndjson'), '{}\n');
    writeFileSync(join(root, 'worker.ndjson'), '{}\n');
    const listing = listLogFiles({ kind: 'path', path: root }, vanishingAtRealpath(join(root, 'old')));
    expect(listing.files.map((file) => file.name)).toEqual(['worker.ndjson']);
    expect(listing.notices).toEqual(['old: vanished while reading (rotated or deleted), skipped']);
  });
});
