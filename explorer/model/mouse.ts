/**
 * Mouse input in the SGR encoding (`ESC [ < button ; column ; row M`, `m` on release), the
 * form xterm, iTerm2, kitty, WezTerm, GNOME Terminal, Windows Terminal and tmux send once
 * asked with `?1000h` and `?1006h` (output/mouse-mode.ts). Pure: text in, events out.
 */

/** What the explorer reacts to: the wheel, and a press of the left button. Positions are 0-based. */
export type MouseEvent =
  | { readonly kind: 'wheel'; readonly delta: 1 | -1; readonly x: number; readonly y: number }
  | { readonly kind: 'click'; readonly x: number; readonly y: number };

const ESC = '\u001b';
const SGR = new RegExp(`${ESC}\\[<(\\d+);(\\d+);(\\d+)([Mm])`, 'g');
/** Button-code bits: motion while a button is held, and the wheel (64 up, 65 down). */
const MOTION = 32;
const WHEEL = 64;

/** The wheel turns and left-button presses in a chunk of terminal input, in order; anything else is ignored. */
export function parseMouse(chunk: string): MouseEvent[] {
  const events: MouseEvent[] = [];
  for (const match of chunk.matchAll(SGR)) {
    const button = Number(match[1]);
    const x = Number(match[2]) - 1;
    const y = Number(match[3]) - 1;
    const press = match[4] === 'M';
    if (!press || (button & MOTION) !== 0 || x < 0 || y < 0) continue;
    if ((button & WHEEL) !== 0) {
      // Modifier bits (4 shift, 8 meta, 16 ctrl) may be set; the low bits say which way.
      const direction = button & 3;
      if (direction === 0 || direction === 1) events.push({ kind: 'wheel', delta: direction === 0 ? -1 : 1, x, y });
    } else if ((button & 3) === 0) events.push({ kind: 'click', x, y });
  }
  return events;
}

/** Rows the wheel moves the cursor per notch, as most terminals scroll their own history. */
export const WHEEL_ROWS = 3;

/**
 * The row index under screen line `y` (0-based) when the rows start on line `firstLine` and
 * `top` is the first one shown; undefined above or below them.
 */
export function rowAt(y: number, firstLine: number, top: number, shown: number): number | undefined {
  const offset = y - firstLine;
  return offset < 0 || offset >= shown ? undefined : top + offset;
}
