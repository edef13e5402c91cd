/**
 * Waterfall bars as text, shared by --plain and the TUI: a row's span scaled into a fixed
 * number of cells. Points get a diamond so an instant event is visible at any scale.
 */
import { printable } from '../../contract/terminal-text.ts';
import type { Row } from '../model/types.ts';

/** Characters of a bar; plain ASCII is available for terminals without Unicode. */
export interface BarGlyphs {
  readonly fill: string;
  readonly point: string;
  readonly empty: string;
}

/** Default glyphs. */
export const UNICODE_GLYPHS: BarGlyphs = { fill: '█', point: '◆', empty: '·' };

/** Cells [from, to) a row occupies in a bar of `width` cells over `totalMs`. */
export function barCells(
  row: Pick<Row, 'start' | 'end'>,
  totalMs: number,
  width: number,
): { from: number; to: number } {
  if (width <= 0) return { from: 0, to: 0 };
  const scale = totalMs > 0 ? width / totalMs : 0;
  const from = Math.min(width - 1, Math.max(0, Math.floor(row.start * scale)));
  const to = Math.min(width, Math.max(from + 1, Math.ceil(row.end * scale)));
  return { from, to };
}

/** The bar of one row as a string of exactly `width` characters. */
export function renderBar(
  row: Pick<Row, 'start' | 'end'>,
  totalMs: number,
  width: number,
  glyphs: BarGlyphs = UNICODE_GLYPHS,
): string {
  const { from, to } = barCells(row, totalMs, width);
  const isPoint = row.end <= row.start;
  let out = glyphs.empty.repeat(from);
  out += isPoint ? glyphs.point : glyphs.fill.repeat(to - from);
  out += glyphs.empty.repeat(Math.max(0, width - out.length));
  return out;
}

/**
 * Cut text to `width` columns, marking the cut. Every TUI line passes through here, and most
 * hold logged values: control characters are shown as escapes (contract/terminal-text.ts),
 * never written raw, so a logged path cannot retitle the window or forge a line.
 */
export function clip(text: string, width: number): string {
  return width <= 0 ? '' : printable(text, width);
}
