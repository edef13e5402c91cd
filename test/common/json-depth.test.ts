/** jsonTextTooDeep counts nesting in raw text; closers never take the count below zero. */
import { describe, expect, it } from 'vitest';
import { jsonTextTooDeep } from '../../contract/json-depth.ts';

describe('jsonTextTooDeep', () => {
  it('measures nesting, ignoring brackets inside strings', () => {
    expect(jsonTextTooDeep('[[[1]]]', 3)).toBe(false);
    expect(jsonTextTooDeep('[[[[1]]]]', 3)).toBe(true);
    expect(jsonTextTooDeep('{"a":"[[[[[\\"[[["}', 1)).toBe(false);
    expect(jsonTextTooDeep('[[1],[2],[3]]', 2)).toBe(false);
  });

  it('ends a string only at a quote after an even run of backslashes', () => {
    // "\\\\" is two escaped backslashes: the string ends there and the brackets after it count.
    expect(jsonTextTooDeep('["\\\\",[[1]]]', 2)).toBe(true);
    // \\\" is an escaped backslash then an escaped quote: the brackets are still inside the string.
    expect(jsonTextTooDeep('["\\\\\\"[[[[", 1]', 1)).toBe(false);
    expect(jsonTextTooDeep('[""]', 1)).toBe(false);
  });

  it('counts nothing after an unterminated string', () => {
    expect(jsonTextTooDeep('["abc[[[[[', 1)).toBe(false);
    expect(jsonTextTooDeep('[[["abc', 2)).toBe(true);
  });

  it('does not let stray closers first buy room for deeper nesting later', () => {
    expect(jsonTextTooDeep(`${']'.repeat(100)}${'['.repeat(65)}`, 64)).toBe(true);
    expect(jsonTextTooDeep(`${'}'.repeat(10)}${'{"a":'.repeat(5)}`, 4)).toBe(true);
  });
});
