import { appendFileSync, copyFileSync, mkdtempSync, renameSync, rmSync, truncateSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { SourceLine } from '../../shipper/line.ts';
import { Tailer } from '../../shipper/tailer.ts';

function drain(tailer: Tailer): SourceLine[] {
  const lines: SourceLine[] = [];
  for (let line = tailer.nextLine(); line !== undefined; line = tailer.nextLine()) lines.push(line);
  return lines;
}

describe('tailer', () => {
  let dir: string;
  let resume: Map<string, number>;
  let tailer: Tailer;

  beforeEach(() => {
    dir = mkdtempSync(join(tmpdir(), 'dtq-tailer-'));
    resume = new Map();
    tailer = new Tailer({ dir, maxLineBytes: 1024, resumeOffset: (fp) => resume.get(fp) ?? 0 });
  });
  afterEach(() => {
    tailer.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('hands out complete lines only, with byte offsets, and waits for the rest of a partial one', () => {
    const file = join(dir, 'a.ndjson');
    writeFileSync(file, 'first line\nsecond é\nthird, not yet ended');
    tailer.scan();
    const lines = drain(tailer);
    expect(lines.map((l) => [l.text, l.offset, l.end])).toEqual([
      ['first line', 0, 11],
      ['second é', 11, 21],
    ]);
    appendFileSync(file, ' now ended\n');
    expect(drain(tailer).map((l) => l.text)).toEqual(['third, not yet ended now ended']);
  });

  it('ignores files that are not NDJSON sources and the state directory', () => {
    writeFileSync(join(dir, 'notes.txt'), 'x\n');
    writeFileSync(join(dir, 'a.ndjson.gz'), 'x\n');
    writeFileSync(join(dir, 'b.ndjson.3'), 'rotated\n');
    tailer.scan();
    expect(drain(tailer).map((l) => l.text)).toEqual(['rotated']);
  });

  it('resumes a file from its acknowledged offset, recognised by content after a rename', () => {
    const file = join(dir, 'a.ndjson');
    writeFileSync(file, 'one\ntwo\nthree\n');
    tailer.scan();
    const [first] = drain(tailer);
    tailer.close();
    renameSync(file, `${file}.1`);
    resume.set(first?.fingerprint as string, 8);
    tailer = new Tailer({ dir, maxLineBytes: 1024, resumeOffset: (fp) => resume.get(fp) ?? 0 });
    tailer.scan();
    expect(drain(tailer).map((l) => l.text)).toEqual(['three']);
  });

  it('keeps reading a renamed file and picks up the new one at the old name', () => {
    const file = join(dir, 'a.ndjson');
    writeFileSync(file, 'old 1\n');
    tailer.scan();
    expect(drain(tailer).map((l) => l.text)).toEqual(['old 1']);
    renameSync(file, `${file}.1`);
    appendFileSync(`${file}.1`, 'old 2\n');
    writeFileSync(file, 'new 1\n');
    tailer.scan();
    expect(
      drain(tailer)
        .map((l) => l.text)
        .sort(),
    ).toEqual(['new 1', 'old 2']);
  });

  it('starts over on truncation with a new identity, and resumes the copytruncate copy where it was', () => {
    const file = join(dir, 'a.ndjson');
    writeFileSync(file, 'gen1 a\ngen1 b\n');
    tailer.scan();
    const before = drain(tailer);
    copyFileSync(file, `${file}.1`);
    truncateSync(file, 0);
    writeFileSync(file, 'gen2 a\n');
    tailer.scan();
    const after = drain(tailer);
    expect(after.map((l) => l.text)).toEqual(['gen2 a']);
    expect(after[0]?.fingerprint).not.toBe(before[0]?.fingerprint);
    // The copy carries gen1's identity and was read to its end already: nothing is read twice.
    tailer.scan();
    expect(drain(tailer)).toEqual([]);
  });

  it('skips a line over the limit without buffering it, reporting its length', () => {
    const file = join(dir, 'a.ndjson');
    writeFileSync(file, `small\n${'y'.repeat(5000)}\nafter\n`);
    tailer.scan();
    const lines = drain(tailer);
    expect(lines.map((l) => l.truncatedFrom)).toEqual([undefined, 5000, undefined]);
    expect(lines[1]?.offset).toBe(6);
    expect(lines[1]?.end).toBe(5007);
    expect(lines[2]?.text).toBe('after');
  });
});
