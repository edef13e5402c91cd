import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { formatDuration } from '../../explorer/model/fields.ts';

describe('formatDuration', () => {
  it.each([
    [0.4, '0.40 ms'],
    [0.994, '0.99 ms'],
    [0.996, '1.0 ms'],
    [9.94, '9.9 ms'],
    [9.96, '10 ms'],
    [340, '340 ms'],
    [999.4, '999 ms'],
    [999.6, '1.00 s'],
    [1240, '1.24 s'],
    [9_994, '9.99 s'],
    [9_996, '10.0 s'],
    [59_940, '59.9 s'],
    [59_960, '1 m 00 s'],
    [123_000, '2 m 03 s'],
    [119_400, '1 m 59 s'],
    [119_600, '2 m 00 s'],
    [3_599_400, '59 m 59 s'],
    [3_599_600, '1 h 00 m'],
    [3_900_000, '1 h 05 m'],
    [7_199_000, '2 h 00 m'],
    [-999.6, '-1.00 s'],
  ])('rounds %d ms before choosing the unit: %s', (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it('never shows a figure that belongs to the next unit, and stays within rounding of the value', () => {
    // The value a text shows and the half step its rounding may have moved the value by.
    const parse = (text: string): { value: number; halfStep: number } => {
      const h = /^(\d+) h (\d\d) m$/.exec(text);
      if (h) return { value: Number(h[1]) * 3_600_000 + Number(h[2]) * 60_000, halfStep: 30_000 };
      const m = /^(\d+) m (\d\d) s$/.exec(text);
      if (m) return { value: Number(m[1]) * 60_000 + Number(m[2]) * 1000, halfStep: 500 };
      const s = /^\d+\.(\d+) s$/.exec(text);
      if (s) return { value: Number.parseFloat(text) * 1000, halfStep: 500 / 10 ** (s[1] ?? '').length };
      const ms = /^\d+(?:\.(\d+))? ms$/.exec(text);
      if (ms) return { value: Number.parseFloat(text), halfStep: 0.5 / 10 ** (ms[1] ?? '').length };
      throw new Error(`unexpected format: ${text}`);
    };
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e8, noNaN: true }), (ms) => {
        const text = formatDuration(ms);
        expect(text).not.toMatch(/^(1000 ms|10\.0 ms|1\.00 ms|10\.00 s|60\.0 s)$/);
        expect(text).not.toMatch(/ 60 [sm]$/);
        const shown = parse(text);
        expect(Math.abs(shown.value - ms)).toBeLessThanOrEqual(shown.halfStep * (1 + 1e-9));
      }),
    );
  });
});
