import { describe, expect, it } from 'vitest';
import {
  type FileRead,
  HEAD_BYTES,
  headOf,
  planPass,
  probesHead,
  probesTail,
} from '../../explorer/sources/follow-plan.ts';

const read = (over: Partial<FileRead> = {}): FileRead => ({
  gzip: false,
  size: 100,
  offset: 100,
  head: 'first line of a',
  folded: true,
  torn: false,
  ...over,
});

const steps = (plan: ReturnType<typeof planPass>) => (plan.startOver ? plan.why : Object.fromEntries(plan.steps));

describe('the plan of a --follow pass over log files', () => {
  it('reads every file whole on the first pass, whatever their first lines', () => {
    const plan = planPass(new Map(), [
      { key: '1:1', gzip: false, size: 10, head: 'same' },
      { key: '1:2', gzip: false, size: 10, head: 'same' },
    ]);
    expect(steps(plan)).toEqual({ '1:1': 'whole', '1:2': 'whole' });
  });

  it('reads on from where it stopped in a file that grew or kept its size, renamed or not', () => {
    const plan = planPass(new Map([['1:1', read()]]), [{ key: '1:1', gzip: false, size: 150, tailKept: true }]);
    expect(steps(plan)).toEqual({ '1:1': 'resume' });
    expect(
      steps(planPass(new Map([['1:1', read()]]), [{ key: '1:1', gzip: false, size: 100, tailKept: true }])),
    ).toEqual({ '1:1': 'resume' });
  });

  it('reads a new file whose first line is no folded file’s from its start, beside the others', () => {
    const plan = planPass(new Map([['1:1', read()]]), [
      { key: '1:1', gzip: false, size: 100, tailKept: true },
      { key: '1:2', gzip: false, size: 40, head: 'first line of b' },
      { key: '1:3', gzip: false, size: 0 },
    ]);
    expect(steps(plan)).toEqual({ '1:1': 'resume', '1:2': 'whole', '1:3': 'whole' });
  });

  it('starts over when a folded file shrank, or its bytes before the old offset changed', () => {
    expect(planPass(new Map([['1:1', read()]]), [{ key: '1:1', gzip: false, size: 20 }]).startOver).toBe(true);
    expect(
      planPass(new Map([['1:1', read()]]), [{ key: '1:1', gzip: false, size: 300, tailKept: false }]).startOver,
    ).toBe(true);
  });

  it('reads a rewritten file from its start without starting over when none of its lines was folded', () => {
    const plan = planPass(new Map([['1:1', read({ folded: false })]]), [{ key: '1:1', gzip: false, size: 20 }]);
    expect(steps(plan)).toEqual({ '1:1': 'whole' });
  });

  it('starts over when a new file opens with the first line of a folded one (copytruncate’s copy, a .gz of it)', () => {
    const plan = planPass(new Map([['1:1', read()]]), [
      { key: '1:1', gzip: false, size: 100, tailKept: true },
      { key: '1:2', gzip: false, size: 100, head: 'first line of a' },
    ]);
    expect(plan).toEqual({ startOver: true, why: '1:2 opens with the first line of 1:1' });
    const gz = planPass(new Map([['1:1', read()]]), [
      { key: '1:1', gzip: false, size: 100, tailKept: true },
      { key: '1:9', gzip: true, size: 30, head: 'first line of a' },
    ]);
    expect(gz.startOver).toBe(true);
  });

  it('checks a file first read empty once its first line is whole', () => {
    const known = new Map([
      ['1:1', read()],
      ['1:2', read({ size: 0, offset: 0, head: undefined, folded: false })],
    ]);
    const plan = planPass(known, [
      { key: '1:1', gzip: false, size: 100, tailKept: true },
      { key: '1:2', gzip: false, size: 100, head: 'first line of a' },
    ]);
    expect(plan.startOver).toBe(true);
  });

  it('does not take a file for a copy of itself, nor of a file that folded nothing', () => {
    const known = new Map([
      ['1:1', read({ head: undefined })],
      ['1:2', read({ head: 'first line of b', folded: false })],
    ]);
    const plan = planPass(known, [
      { key: '1:1', gzip: false, size: 100, tailKept: true, head: 'first line of a' },
      { key: '1:2', gzip: false, size: 100, tailKept: true },
      { key: '1:3', gzip: false, size: 100, head: 'first line of b' },
    ]);
    expect(steps(plan)).toEqual({ '1:1': 'resume', '1:2': 'resume', '1:3': 'whole' });
  });

  it('starts over when a folded file is gone, not when a file that folded nothing is', () => {
    expect(planPass(new Map([['1:1', read()]]), []).startOver).toBe(true);
    expect(steps(planPass(new Map([['1:1', read({ folded: false })]]), []))).toEqual({});
  });

  it('skips a .gz, or a file whose read failed partway, while its size stays, and starts over when it changes', () => {
    for (const over of [{ gzip: true }, { torn: true }]) {
      const known = new Map([['1:1', read(over)]]);
      expect(steps(planPass(known, [{ key: '1:1', gzip: over.gzip === true, size: 100 }]))).toEqual({ '1:1': 'skip' });
      expect(planPass(known, [{ key: '1:1', gzip: over.gzip === true, size: 120 }]).startOver).toBe(true);
    }
  });

  it('starts over when a file that folded nothing is rewritten with a copy of a folded one', () => {
    const known = new Map([
      ['1:1', read()],
      ['1:2', read({ head: 'old line', folded: false })],
    ]);
    const plan = planPass(known, [
      { key: '1:1', gzip: false, size: 100, tailKept: true },
      { key: '1:2', gzip: false, size: 100, tailKept: false, head: 'first line of a' },
    ]);
    expect(plan.startOver).toBe(true);
  });

  it('probes only what it decides on: the tail of a plain file that did not shrink, the head of one read from its start', () => {
    expect(probesTail(undefined, { gzip: false, size: 10 })).toBe(false);
    expect(probesTail(read(), { gzip: false, size: 100 })).toBe(true);
    expect(probesTail(read(), { gzip: false, size: 99 })).toBe(false);
    expect(probesTail(read({ gzip: true }), { gzip: true, size: 100 })).toBe(false);
    expect(probesTail(read({ torn: true }), { gzip: false, size: 100 })).toBe(false);
    expect(probesHead(undefined, { gzip: false, size: 10 })).toBe(true);
    expect(probesHead(read({ offset: 0, head: undefined }), { gzip: false, size: 5 })).toBe(true);
    expect(probesHead(read(), { gzip: false, size: 150, tailKept: true })).toBe(false);
    // A folded file read from its start starts the pass over: its head does not matter.
    expect(probesHead(read(), { gzip: false, size: 150, tailKept: false })).toBe(false);
    expect(probesHead(read({ folded: false }), { gzip: false, size: 150, tailKept: true })).toBe(false);
    expect(probesHead(read({ folded: false }), { gzip: false, size: 150, tailKept: false })).toBe(true);
    expect(probesHead(read({ folded: false }), { gzip: false, size: 20 })).toBe(true);
    expect(probesHead(read({ folded: false, gzip: true }), { gzip: true, size: 120 })).toBe(true);
  });
});

describe('the first-line fingerprint', () => {
  it('is the first line, once it is whole', () => {
    expect(headOf(Buffer.from('{"a":1}\n{"b":2}\n'), false)).toBe('{"a":1}');
    expect(headOf(Buffer.from('{"a":1'), false)).toBeUndefined();
    expect(headOf(Buffer.from('{"a":1}'), true)).toBe('{"a":1}');
    expect(headOf(Buffer.alloc(0), true)).toBeUndefined();
  });

  it('is the first bytes of a line longer than it reads', () => {
    const long = Buffer.alloc(HEAD_BYTES, 0x61);
    expect(headOf(long, false)).toBe('a'.repeat(HEAD_BYTES));
  });
});
