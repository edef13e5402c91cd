/**
 * Duplicate keys in a JSON text. `JSON.parse` keeps the last of two equal keys without a word,
 * but Elasticsearch refuses the whole document ("Duplicate field"), so a log line with a key
 * twice is a line lost to the dashboards. pino writes a child logger's bound fields and the
 * line's own fields side by side without merging them, which is how such lines arise.
 */

/** Keys that occur more than once in one object of `text` (which must be valid JSON), dotted by nesting. */
export function duplicateKeys(text: string): string[] {
  const found: string[] = [];
  // One entry per open container: the keys seen so far for an object, null for an array.
  const open: (Set<string> | null)[] = [];
  const path: string[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i];
    if (c === '"') {
      const end = stringEnd(text, i);
      const top = open.at(-1);
      if (top) {
        let next = end + 1;
        while (/\s/.test(text[next] ?? '')) next++;
        if (text[next] === ':') {
          const key = JSON.parse(text.slice(i, end + 1)) as string;
          if (top.has(key)) found.push([...path.slice(0, open.length - 1), key].join('.'));
          top.add(key);
          path[open.length - 1] = key;
        }
      }
      i = end + 1;
      continue;
    }
    if (c === '{') open.push(new Set());
    else if (c === '[') path[open.push(null) - 1] = '[]';
    else if (c === '}' || c === ']') {
      open.pop();
      path.length = open.length;
    }
    i++;
  }
  return found;
}

/** Index of the quote that closes the string opening at `start`. */
function stringEnd(text: string, start: number): number {
  let i = start + 1;
  while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
  return i;
}
