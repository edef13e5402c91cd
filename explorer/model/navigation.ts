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
