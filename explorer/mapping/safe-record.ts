/**
 * What the mapping step does with a line built to break it. A line is client-controlled: it
 * may hold a `__proto__` key, and 1 MiB of JSON nests ~10k objects deep, enough to overflow
 * any recursive walk (and `JSON.stringify`, which `--json` and the details view use).
 */
import type { LogRecord } from '../../contract/vocabulary.ts';

/**
 * How many levels of nested objects the mapping step reads. No real log format nests
 * anywhere near this; a deeper value is replaced by {@link TOO_DEEP}, so the line still maps
 * and says what it lost.
 */
export const MAX_NESTING = 64;

/** What stands in for a value nested deeper than {@link MAX_NESTING} levels. */
export const TOO_DEEP = `[dropped: nested deeper than ${MAX_NESTING} levels]`;

/**
 * `out[name] = value`, except that a key named `__proto__` becomes an own field, as
 * `JSON.parse` makes it, instead of replacing the prototype of `out` and so lending its fields
 * to every later `for…in`.
 */
export function setField(out: LogRecord, name: string, value: unknown): void {
  if (name === '__proto__')
    Object.defineProperty(out, name, { value, enumerable: true, writable: true, configurable: true });
  else out[name] = value;
}
