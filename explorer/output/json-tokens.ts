/**
 * One line of pretty-printed JSON (JSON.stringify(value, null, 2)) cut into the pieces the
 * details view colours: keys, strings, numbers, literals and the rest. Pure and forgiving: a
 * line cut short at the screen's edge still splits, its last piece unfinished.
 */

/** What a piece of a JSON line is. */
export type JsonTokenKind = 'key' | 'string' | 'number' | 'literal' | 'plain';

/** A piece of a line and what it is. */
export interface JsonToken {
  readonly text: string;
  readonly kind: JsonTokenKind;
}

const TOKEN = /("(?:[^"\\]|\\.)*"?)(\s*:)?|(-?\d+(?:\.\d+)?(?:[eE][+-]?\d+)?)|\b(true|false|null)\b/g;

/** The pieces of `line`, in order; joined they give `line` back. */
export function jsonTokens(line: string): JsonToken[] {
  const tokens: JsonToken[] = [];
  let last = 0;
  for (const match of line.matchAll(TOKEN)) {
    const at = match.index;
    if (at > last) tokens.push({ text: line.slice(last, at), kind: 'plain' });
    if (match[1] !== undefined) {
      tokens.push({ text: match[1], kind: match[2] !== undefined ? 'key' : 'string' });
      if (match[2] !== undefined) tokens.push({ text: match[2], kind: 'plain' });
    } else if (match[3] !== undefined) tokens.push({ text: match[3], kind: 'number' });
    else tokens.push({ text: match[0], kind: 'literal' });
    last = at + match[0].length;
  }
  if (last < line.length) tokens.push({ text: line.slice(last), kind: 'plain' });
  return tokens;
}
