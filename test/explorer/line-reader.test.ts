import { closeSync, fstatSync, mkdtempSync, openSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { LineSplitter, type RawLine, readFileLines, readHead } from '../../explorer/sources/line-reader.ts';

function split(chunks: readonly string[], maxLineBytes: number, ended = false): RawLine[] {
  const lines: RawLine[] = [];
  const splitter = new LineSplitter({ maxLineBytes });
  for (const chunk of chunks) splitter.push(Buffer.from(chunk), (line) => lines.push(line));
  if (ended) splitter.end((line) => lines.push(line));
  return lines;
}

const texts = (lines: readonly RawLine[]) => lines.map((l) => (l.overLong ? '<over-long>' : l.bytes.toString()));

describe('splitting a byte stream into lines', () => {
  it('joins a line cut across chunks and numbers lines from 1', () => {
    const lines = split(['{"a"', ':1}\n{"b":', '2}\n\n{"c":3}\n'], 100);
    expect(texts(lines)).toEqual(['{"a":1}', '{"b":2}', '', '{"c":3}']);
    expect(lines.map((l) => l.number)).toEqual([1, 2, 3, 4]);
  });

  it('drops the CR of a CRLF line ending', () => {
    expect(texts(split(['one\r\ntwo\r\n'], 100))).toEqual(['one', 'two']);
  });

  it('leaves text after the last newline unless the stream has ended for good', () => {
    expect(texts(split(['done\nhalf-writ'], 100))).toEqual(['done']);
    expect(texts(split(['done\nlast line'], 100, true))).toEqual(['done', 'last line']);
  });

  it('flags a line longer than the cap instead of keeping it, and goes on with the next', () => {
    const long = 'x'.repeat(25);
    const lines = split([long.slice(0, 10), long.slice(10), '\nok\n', long], 16, true);
    expect(texts(lines)).toEqual(['<over-long>', 'ok', '<over-long>']);
    expect(lines.map((l) => l.number)).toEqual([1, 2, 3]);
  });

  it('hands on as text exactly the lines it hands on as bytes, decoded, however the stream is cut', () => {
    // Bytes that make lines: text, newlines, CRs, multi-byte characters and invalid UTF-8
    // (a lone continuation byte, a sequence cut short by a newline).
    const piece = fc.constantFrom(
      ...['{"a":1}', 'é', '€', '\n', '\r', '\r\n', ' ', 'xyz'].map((t) => Buffer.from(t)),
      Buffer.from([0x80]),
      Buffer.from([0xe2, 0x82]),
      Buffer.from([0xf0, 0x9f, 0x98]),
    );
    fc.assert(
      fc.property(
        fc.array(piece, { maxLength: 60 }),
        fc.array(fc.integer({ min: 1, max: 40 }), { minLength: 1, maxLength: 20 }),
        fc.integer({ min: 1, max: 30 }),
        fc.boolean(),
        (pieces, cuts, maxLineBytes, ended) => {
          const stream = Buffer.concat(pieces);
          const chunks: Buffer[] = [];
          for (let at = 0, i = 0; at < stream.length; i++) {
            const size = cuts[i % cuts.length] as number;
            chunks.push(stream.subarray(at, at + size));
            at += size;
          }
          const bytes = new LineSplitter({ maxLineBytes });
          const text = new LineSplitter({ maxLineBytes });
          const expected: [string | undefined, number][] = [];
          const got: [string | undefined, number][] = [];
          for (const chunk of chunks) {
            bytes.push(chunk, (l) => expected.push([l.overLong ? undefined : l.bytes.toString('utf8'), l.number]));
            text.pushText(chunk, (t, n) => got.push([t, n]));
            expect(text.completeBytes).toBe(bytes.completeBytes);
          }
          if (ended) {
            bytes.end((l) => expected.push([l.overLong ? undefined : l.bytes.toString('utf8'), l.number]));
            text.endText((t, n) => got.push([t, n]));
          }
          expect(got).toEqual(expected);
          expect(text.completeBytes).toBe(bytes.completeBytes);
        },
      ),
      { numRuns: 2000 },
    );
  });

  it('keeps a line exactly at the cap', () => {
    expect(texts(split(['0123456789abcdef\n'], 16))).toEqual(['0123456789abcdef']);
  });

  it('says where the last whole line ends, and numbers on from where a resumed read starts', () => {
    const splitter = new LineSplitter({ maxLineBytes: 100, firstNumber: 8 });
    const numbers: number[] = [];
    splitter.push(Buffer.from('ab\ncd'), (line) => numbers.push(line.number));
    splitter.push(Buffer.from('e\nfg'), (line) => numbers.push(line.number));
    expect(numbers).toEqual([8, 9]);
    expect(splitter.completeBytes).toBe(7);
    expect(splitter.lastNumber).toBe(9);
  });

  it('marks as candidates exactly the lines that may hold a needle, a line cut across chunks always', () => {
    const lines: RawLine[] = [];
    const splitter = new LineSplitter({ maxLineBytes: 100, needles: [Buffer.from('id-7'), Buffer.from('id-9')] });
    for (const chunk of ['a id-7\nb\nc id-9 id-7\nd i', 'd-9\ne\n'])
      splitter.push(Buffer.from(chunk), (line) => lines.push(line));
    expect(lines.map((l) => [l.bytes.toString(), l.candidate])).toEqual([
      ['a id-7', true],
      ['b', false],
      ['c id-9 id-7', true],
      ['d id-9', true],
      ['e', false],
    ]);
  });

  it('hands on a line that fits in a chunk without copying it, and copies one that waits for the next', () => {
    const chunk = Buffer.alloc(10, 'whole\npart'); // not from the shared pool small Buffer.from uses
    const lines: RawLine[] = [];
    const splitter = new LineSplitter();
    splitter.push(chunk, (line) => lines.push(line));
    splitter.push(Buffer.from('ial\n'), (line) => lines.push(line));
    expect(lines[0]?.bytes.buffer).toBe(chunk.buffer);
    expect(lines[1]?.bytes.toString()).toBe('partial');
    expect(lines[1]?.bytes.buffer).not.toBe(chunk.buffer);
  });
});

describe('reading a file that a caller stops early', () => {
  it('stops after the chunk in which the signal was aborted, and leaves a borrowed descriptor open', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-reader-'));
    const path = join(dir, 'big.ndjson');
    writeFileSync(path, '{"n":1}\n'.repeat(10_000));
    const fd = openSync(path, 'r');
    try {
      const stop = new AbortController();
      const seen: number[] = [];
      const end = await readFileLines(
        path,
        { size: fstatSync(fd).size, gzip: false, complete: true, fd, chunkBytes: 64, signal: stop.signal },
        (line) => {
          seen.push(line.number);
          if (line.number === 3) stop.abort();
        },
      );
      // 64-byte chunks hold 8 lines: the rest of the first chunk arrives, nothing after it.
      expect(seen).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
      expect(end).toEqual({ offset: 64, lastLine: 8 });
      // The descriptor is the caller's: still open, and a whole read through it works.
      let lines = 0;
      await readFileLines(path, { size: fstatSync(fd).size, gzip: false, complete: true, fd }, () => lines++);
      expect(lines).toBe(10_000);
    } finally {
      closeSync(fd);
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('reading the start of a file', () => {
  it('gives the first bytes of a plain or compressed file, and says whether its content ended there', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'dtq-head-'));
    try {
      const text = Buffer.from(`${'{"a":1}\n'.repeat(2000)}`);
      const plain = join(dir, 'a.ndjson');
      const gz = join(dir, 'a.ndjson.gz');
      const cut = join(dir, 'b.ndjson.gz');
      const compressed = gzipSync(text);
      writeFileSync(plain, text);
      writeFileSync(gz, compressed);
      writeFileSync(cut, compressed.subarray(0, compressed.length - 8));
      const options = (path: string, gzip: boolean) => ({ size: statSync(path).size, gzip });
      expect(await readHead(plain, options(plain, false), 100)).toEqual({ bytes: text.subarray(0, 100), ended: false });
      expect(await readHead(gz, options(gz, true), 100)).toEqual({ bytes: text.subarray(0, 100), ended: false });
      expect(await readHead(gz, options(gz, true), 100_000)).toEqual({ bytes: text, ended: true });
      const short = await readHead(cut, options(cut, true), 100_000);
      expect(short.ended).toBe(false);
      expect(text.subarray(0, short.bytes.length).equals(short.bytes)).toBe(true);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
