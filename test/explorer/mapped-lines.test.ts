import { describe, expect, it } from 'vitest';
import type { Hit } from '../../explorer/model/types.ts';
import { MappedLines } from '../../explorer/sources/mapped-lines.ts';

const hit = (source: string): Hit[] => [{ source, record: { message: source } }];
const bytes = (length: number, fill = 'x'): Buffer => Buffer.alloc(length, fill);
const a = { name: 'a.ndjson', dev: 1, ino: 10 };

describe('mapped lines kept between lookups', () => {
  it('answers a line only while its bytes are the ones it was mapped from', () => {
    const lines = new MappedLines(1000);
    lines.set(a, 1, bytes(10), hit('a:1'));
    expect(lines.get(a, 1, bytes(10))).toEqual(hit('a:1'));
    expect(lines.get(a, 1, bytes(10, 'y'))).toBeUndefined();
    expect(lines.get(a, 2, bytes(10))).toBeUndefined();
  });

  it('tells files apart by name, device and inode, whichever object names them', () => {
    const lines = new MappedLines(1000);
    lines.set(a, 1, bytes(10), hit('a:1'));
    expect(lines.get({ ...a }, 1, bytes(10))).toEqual(hit('a:1'));
    // A rotation renames the file: same inode and bytes, but its sources say another name.
    expect(lines.get({ ...a, name: 'a.ndjson.1' }, 1, bytes(10))).toBeUndefined();
    expect(lines.get({ ...a, ino: 11 }, 1, bytes(10))).toBeUndefined();
    expect(lines.get({ ...a, dev: 2 }, 1, bytes(10))).toBeUndefined();
    expect(lines.get(a, 1, bytes(10))).toEqual(hit('a:1'));
  });

  it('drops the oldest lines first once their bytes pass the cap, and never keeps one over it', () => {
    const lines = new MappedLines(100);
    const b = { name: 'b.ndjson', dev: 1, ino: 20 };
    lines.set(a, 1, bytes(20), hit('a:1'));
    lines.set(b, 1, bytes(20), hit('b:1'));
    lines.set(a, 2, bytes(20), hit('a:2'));
    expect(lines.heldBytes).toBe(120 - 40);
    expect(lines.get(a, 1, bytes(20))).toBeUndefined();
    expect(lines.get(b, 1, bytes(20))).toBeDefined();
    expect(lines.get(a, 2, bytes(20))).toBeDefined();
    lines.set(a, 3, bytes(51), hit('huge'));
    expect(lines.get(a, 3, bytes(51))).toBeUndefined();
    expect(lines.heldBytes).toBe(80);
  });

  it('counts a line set again once, at its new size, and drops it in its new turn', () => {
    const lines = new MappedLines(100);
    lines.set(a, 1, bytes(20), hit('old'));
    lines.set(a, 2, bytes(10), hit('a:2'));
    lines.set(a, 1, bytes(10, 'y'), hit('new'));
    expect(lines.heldBytes).toBe(40);
    expect(lines.get(a, 1, bytes(10, 'y'))).toEqual(hit('new'));
    // a:1's first place is stale: the next to go is a:2, then a:1 in its new place.
    lines.set(a, 3, bytes(40), hit('a:3'));
    expect(lines.heldBytes).toBe(100);
    expect(lines.get(a, 2, bytes(10))).toBeUndefined();
    expect(lines.get(a, 1, bytes(10, 'y'))).toEqual(hit('new'));
    lines.set(a, 4, bytes(10), hit('a:4'));
    expect(lines.get(a, 1, bytes(10, 'y'))).toBeUndefined();
    expect(lines.get(a, 3, bytes(40))).toEqual(hit('a:3'));
    expect(lines.heldBytes).toBe(100);
  });

  it('keeps answering after many files came and went', () => {
    const lines = new MappedLines(100);
    for (let ino = 1; ino <= 5000; ino++) lines.set({ name: 'r.ndjson', dev: 1, ino }, 1, bytes(10), hit(`${ino}`));
    expect(lines.heldBytes).toBe(100);
    expect(lines.get({ name: 'r.ndjson', dev: 1, ino: 5000 }, 1, bytes(10))).toEqual(hit('5000'));
    expect(lines.get({ name: 'r.ndjson', dev: 1, ino: 4995 }, 1, bytes(10))).toBeUndefined();
    expect(lines.get({ name: 'r.ndjson', dev: 1, ino: 4996 }, 1, bytes(10))).toEqual(hit('4996'));
  });

  it('does not keep the chunk a line was a view of', () => {
    const chunk = Buffer.from('{"a":1}\n{"b":2}\n');
    const lines = new MappedLines(1000);
    lines.set(a, 1, chunk.subarray(0, 7), hit('f:1'));
    chunk.write('{"z":9}');
    expect(lines.get(a, 1, Buffer.from('{"a":1}'))).toEqual(hit('f:1'));
  });
});

describe('a whole file kept between lookups', () => {
  const end = { offset: 30, lastLine: 3, malformed: 1 };

  it('gives every line of a file, in order, while its stamp is the one they were kept under', () => {
    const lines = new MappedLines(1000);
    lines.set(a, 1, bytes(10), hit('a:1'));
    lines.set(a, 3, bytes(10, 'y'), hit('a:3'));
    lines.keepWhole(a, 'stamp-1', [1, 3], end);
    const whole = lines.wholeOf({ ...a }, 'stamp-1');
    expect(whole?.end).toEqual(end);
    expect(whole?.lines.map((line) => [line.number, line.bytes.toString(), line.hits])).toEqual([
      [1, 'x'.repeat(10), hit('a:1')],
      [3, 'y'.repeat(10), hit('a:3')],
    ]);
    expect(lines.wholeOf(a, 'stamp-2')).toBeUndefined();
    expect(lines.wholeOf({ ...a, name: 'a.ndjson.1' }, 'stamp-1')).toBeUndefined();
  });

  it('marks nothing when one of the lines is not kept', () => {
    const lines = new MappedLines(1000);
    lines.set(a, 1, bytes(10), hit('a:1'));
    lines.keepWhole(a, 'stamp-1', [1, 2], end);
    expect(lines.wholeOf(a, 'stamp-1')).toBeUndefined();
    lines.keepWhole({ ...a, ino: 11 }, 'stamp-1', [], end);
    expect(lines.wholeOf({ ...a, ino: 11 }, 'stamp-1')).toBeUndefined();
  });

  it('forgets the whole file once any of its lines is set again or dropped', () => {
    const lines = new MappedLines(100);
    const b = { name: 'b.ndjson', dev: 1, ino: 20 };
    lines.set(a, 1, bytes(20), hit('a:1'));
    lines.keepWhole(a, 'stamp-1', [1], end);
    lines.set(a, 1, bytes(20, 'y'), hit('a:1 again'));
    expect(lines.wholeOf(a, 'stamp-1')).toBeUndefined();
    lines.keepWhole(a, 'stamp-1', [1], end);
    expect(lines.wholeOf(a, 'stamp-1')).toBeDefined();
    lines.set(b, 1, bytes(20), hit('b:1'));
    lines.set(b, 2, bytes(20), hit('b:2'));
    // Over the cap: a's line 1, the oldest, goes, and with it the whole of a.
    expect(lines.get(a, 1, bytes(20, 'y'))).toBeUndefined();
    expect(lines.wholeOf(a, 'stamp-1')).toBeUndefined();
  });
});
