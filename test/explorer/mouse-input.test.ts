import { describe, expect, it } from 'vitest';
import { parseMouse, rowAt } from '../../explorer/model/mouse.ts';

const sgr = (button: number, x: number, y: number, final = 'M') => `\u001b[<${button};${x};${y}${final}`;

describe('mouse reports in the SGR encoding', () => {
  it('reads wheel up and down and a left press, with 0-based positions', () => {
    expect(parseMouse(sgr(64, 10, 5) + sgr(65, 1, 1) + sgr(0, 3, 7))).toEqual([
      { kind: 'wheel', delta: -1, x: 9, y: 4 },
      { kind: 'wheel', delta: 1, x: 0, y: 0 },
      { kind: 'click', x: 2, y: 6 },
    ]);
  });

  it('reads the wheel and a click with Shift, Meta or Ctrl held', () => {
    expect(parseMouse(sgr(64 + 4, 2, 2) + sgr(65 + 16, 2, 2) + sgr(8, 4, 4))).toEqual([
      { kind: 'wheel', delta: -1, x: 1, y: 1 },
      { kind: 'wheel', delta: 1, x: 1, y: 1 },
      { kind: 'click', x: 3, y: 3 },
    ]);
  });

  it('ignores releases, the middle and right buttons, drags and horizontal wheels', () => {
    expect(parseMouse(sgr(0, 3, 7, 'm') + sgr(1, 3, 7) + sgr(2, 3, 7) + sgr(32, 3, 7) + sgr(66, 3, 7))).toEqual([]);
  });

  it('finds the reports among keys and leaves other escape sequences alone', () => {
    expect(parseMouse(`j\u001b[A${sgr(0, 200, 300)}k\u001b[<0;1M`)).toEqual([{ kind: 'click', x: 199, y: 299 }]);
  });
});

describe('the row under a screen line', () => {
  it('maps a line to the row shown there, from the first row shown', () => {
    expect(rowAt(3, 3, 0, 10)).toBe(0);
    expect(rowAt(5, 3, 20, 10)).toBe(22);
  });

  it('is undefined above the rows and below the last one shown', () => {
    expect(rowAt(2, 3, 0, 10)).toBeUndefined();
    expect(rowAt(13, 3, 0, 10)).toBeUndefined();
  });
});
