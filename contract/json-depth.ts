/**
 * How deeply arrays and objects nest, measured without recursion, so a hostile value nested
 * thousands of levels deep is refused before any recursive code (structuredClone, canonical
 * JSON, schema validation) can overflow the stack on it.
 */

/**
 * True when JSON `text` nests arrays and objects more than `limit` levels deep. Linear, one
 * pass; a string is skipped with `indexOf` to its closing quote (one not preceded by an odd
 * run of backslashes), since strings are most of a log line's bytes.
 */
export function jsonTextTooDeep(text: string, limit: number): boolean {
  let depth = 0;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (ch === 0x22) {
      const end = closingQuote(text, i + 1);
      if (end === -1) return false; // an unterminated string: nothing after it counts
      i = end;
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > limit) return true;
    } else if ((ch === 0x5d || ch === 0x7d) && depth > 0) {
      // Clamped: stray closers first (`]]]…[[[`) must not buy room for deeper opening later.
      depth--;
    }
  }
  return false;
}

/** Index of the quote that closes a string opened before `from`, or -1. */
function closingQuote(text: string, from: number): number {
  for (let end = text.indexOf('"', from); end !== -1; end = text.indexOf('"', end + 1)) {
    let backslashes = 0;
    for (let j = end - 1; j >= from && text.charCodeAt(j) === 0x5c; j--) backslashes++;
    if ((backslashes & 1) === 0) return end;
  }
  return -1;
}

/** True when `value` nests arrays and objects more than `limit` levels deep (the value itself is level 1). */
export function valueTooDeep(value: unknown, limit: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 1]];
  while (stack.length > 0) {
    const [current, depth] = stack.pop() as [unknown, number];
    if (current === null || typeof current !== 'object') continue;
    if (depth > limit) return true;
    const children: readonly unknown[] = Array.isArray(current) ? current : Object.values(current as object);
    for (let i = 0; i < children.length; i++) {
      const child = children[i];
      if (child !== null && typeof child === 'object') stack.push([child, depth + 1]);
    }
  }
  return false;
}
