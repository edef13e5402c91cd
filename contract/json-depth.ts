/**
 * How deeply arrays and objects nest, measured without recursion, so a hostile value nested
 * thousands of levels deep is refused before any recursive code (structuredClone, canonical
 * JSON, schema validation) can overflow the stack on it.
 */

/** True when JSON `text` nests arrays and objects more than `limit` levels deep. Linear, one pass. */
export function jsonTextTooDeep(text: string, limit: number): boolean {
  let depth = 0;
  let inString = false;
  for (let i = 0; i < text.length; i++) {
    const ch = text.charCodeAt(i);
    if (inString) {
      if (ch === 0x5c)
        i++; // backslash: the next character is escaped, whatever it is
      else if (ch === 0x22) inString = false;
    } else if (ch === 0x22) {
      inString = true;
    } else if (ch === 0x5b || ch === 0x7b) {
      if (++depth > limit) return true;
    } else if ((ch === 0x5d || ch === 0x7d) && depth > 0) {
      // Clamped: stray closers first (`]]]…[[[`) must not buy room for deeper opening later.
      depth--;
    }
  }
  return false;
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
