import { describe, expect, it } from 'vitest';
import type { Hit } from '../../explorer/model/types.ts';
import { MappedLines } from '../../explorer/sources/mapped-lines.ts';

const hit = (source: string): Hit[] => [{ source, record: { message: source } }];
const bytes = (length: number, fill = 'x'): Buffer => Buffer.alloc(length, fill);

describe('mapped lines kept between lookups', () => {
  it('answers a line only while its bytes are the ones it was mapped from', () => {
    const lines = new MappedLines(1000);
    lines.set('a:1', bytes(10), hit('a:1'));
    expect(lines.get('a:1', bytes(10))).toEqual(hit('a:1'));
    expect(lines.get('a:1', bytes(10, 'y'))).toBeUndefined();
    expect(lines.get('a:2', bytes(10))).toBeUndefined();
  });

  it('drops the least recently used lines once their bytes pass the cap, and never keeps one over it', () => {
    const lines = new MappedLines(100);
    lines.set('a', bytes(20), hit('a'));
    lines.set('b', bytes(20), hit('b'));
    expect(lines.get('a', bytes(20))).toBeDefined();
    lines.set('c', bytes(20), hit('c'));
    expect(lines.heldBytes).toBeLessThanOrEqual(100);
    expect(lines.get('b', bytes(20))).toBeUndefined();
    expect(lines.get('a', bytes(20))).toBeDefined();
    expect(lines.get('c', bytes(20))).toBeDefined();
    lines.set('huge', bytes(51), hit('huge'));
    expect(lines.get('huge', bytes(51))).toBeUndefined();
    expect(lines.heldBytes).toBe(80);
  });

  it('does not keep the chunk a line was a view of', () => {
    const chunk = Buffer.from('{"a":1}\n{"b":2}\n');
    const lines = new MappedLines(1000);
    lines.set('f:1', chunk.subarray(0, 7), hit('f:1'));
    chunk.write('{"z":9}');
    expect(lines.get('f:1', Buffer.from('{"a":1}'))).toEqual(hit('f:1'));
  });
});
