/**
 * Reading a dotted field (`trace.id`) from a record that may hold it as one key, nested
 * (`{"trace":{"id"}}`) or mixed (`{"http":{"request.method"}}`). Pure.
 */

/** A record's value as JSON.parse gives it: a plain object, not null, not an array. */
export function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

/** Reads one dotted field of a record (see {@link compilePath}). */
export type PathReader = (record: Record<string, unknown>) => unknown;

/**
 * A reader of `name`: the key as written first, then each split at a dot, left to right
 * (`a` then `a.b` for `a.b.c`), into a nested object. Compiled once per name: the splits
 * and the readers of their rests are found here, so reading a record cuts no strings. Rests
 * are shared through `memo`, so a name with k dots costs k + 1 readers.
 */
export function compilePath(name: string, memo: Map<string, PathReader> = new Map()): PathReader {
  const known = memo.get(name);
  if (known !== undefined) return known;
  const heads: string[] = [];
  const rests: PathReader[] = [];
  for (let dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) {
    heads.push(name.slice(0, dot));
    rests.push(compilePath(name.slice(dot + 1), memo));
  }
  const reader: PathReader =
    heads.length === 0
      ? (record) => record[name]
      : (record) => {
          const value = record[name];
          if (value !== undefined) return value;
          for (let i = 0; i < heads.length; i++) {
            const head = record[heads[i] as string];
            if (isPlainObject(head)) {
              const found = (rests[i] as PathReader)(head);
              if (found !== undefined) return found;
            }
          }
          return undefined;
        };
  memo.set(name, reader);
  return reader;
}

/** A dotted field of a record (see {@link compilePath}); for one-off reads. */
export function readPath(record: Record<string, unknown>, name: string): unknown {
  return compilePath(name)(record);
}
