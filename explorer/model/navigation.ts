/**
 * Pure helpers behind the keys: which row is next for a search or an error, and which slice
 * of rows fits the screen. Kept out of the components so they are tested without Ink.
 */

/** Index of the next row (wrapping) after `from` in `direction` that satisfies `test`, or -1. */
export function findNext<T>(
  items: readonly T[],
  from: number,
  direction: 1 | -1,
  test: (item: T, index: number) => boolean,
): number {
  const n = items.length;
  for (let step = 1; step <= n; step++) {
    const index = (((from + direction * step) % n) + n) % n;
    const item = items[index];
    if (item !== undefined && test(item, index)) return index;
  }
  return -1;
}

/** First visible index so that `selected` stays on screen, moving as little as possible. */
export function scrollTop(selected: number, count: number, height: number, top: number): number {
  if (height <= 0 || count <= height) return 0;
  let next = top;
  if (selected < next) next = selected;
  if (selected >= next + height) next = selected - height + 1;
  return Math.max(0, Math.min(next, count - height));
}

/** Case-insensitive match of a query against any of the texts. */
export function matchesQuery(query: string, ...texts: (string | undefined)[]): boolean {
  const q = query.trim().toLowerCase();
  if (q === '') return false;
  return texts.some((text) => text?.toLowerCase().includes(q));
}

/** What `o` needs of a row: its depth, and the original it points at when it is a duplicate. */
interface JumpRow {
  readonly depth: number;
  readonly original?: { readonly correlationId: string | undefined; readonly taskId: string | undefined } | undefined;
}

/**
 * The original `o` jumps to from row `index`: the row's own, or, on a row that groups
 * duplicates (a "duplicates blocked pointing here" header, a task whose lock was contended),
 * the first one among the rows under it. Undefined when no row there names one.
 */
export function originalFor<T extends JumpRow>(rows: readonly T[], index: number): T['original'] {
  const row = rows[index];
  if (row === undefined) return undefined;
  if (row.original !== undefined) return row.original;
  for (let i = index + 1; i < rows.length; i++) {
    const child = rows[i] as T;
    if (child.depth <= row.depth) return undefined;
    if (child.original !== undefined) return child.original;
  }
  return undefined;
}

/**
 * `text` cut into lines of at most `width` characters, at spaces where it can be; at most
 * `maxLines`, the last ending in `…` when text is left over. Counts code points: callers pass
 * printable text.
 */
export function wrapText(text: string, width: number, maxLines: number): string[] {
  const lines: string[] = [];
  let rest = text;
  while (rest !== '' && lines.length < maxLines) {
    const chars = [...rest];
    if (chars.length <= width) {
      lines.push(rest);
      rest = '';
      break;
    }
    let cut = chars.lastIndexOf(' ', width);
    if (cut <= 0) cut = width;
    lines.push(chars.slice(0, cut).join('').trimEnd());
    rest = chars.slice(cut).join('').trimStart();
  }
  if (rest !== '' && lines.length > 0) {
    const last = [...(lines.at(-1) as string)];
    lines[lines.length - 1] = `${last.slice(0, Math.max(0, width - 1)).join('')}…`;
  }
  return lines;
}
