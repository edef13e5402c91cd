/**
 * fast-check arbitraries of hostile task requests, shared by the pure property tests of the
 * validators and the bounded property run against a real API: valid sample tasks with a few
 * fields replaced by hostile values (extreme or non-finite numbers, control characters, long
 * strings, prototype-named keys, deep nesting), and hostile header values.
 */
import fc from 'fast-check';
import { PRIORITIES, TASK_TYPES, type TaskType } from '../../contract/vocabulary.ts';
import { sampleTaskData } from '../../workload/stack/sample-tasks.ts';

/** Strings an attacker would try: any UTF-16, control characters, prototype names, long runs. */
export const hostileString: fc.Arbitrary<string> = fc.oneof(
  fc.string({ unit: 'binary', maxLength: 80 }),
  fc.constantFrom('__proto__', 'constructor', 'toString', 'prototype', 'hasOwnProperty', '\u001b[2J', '\u0000', 'é'),
  fc.string({ unit: 'binary-ascii', minLength: 200, maxLength: 3000 }),
);

/** Numbers at and past every edge: NaN, ±Infinity, -0, huge, tiny, the schema's own limits. */
export const hostileNumber: fc.Arbitrary<number> = fc.oneof(
  fc.double(),
  // Plausible magnitudes, so some replacements are still valid and reach the later checks.
  fc.double({ min: 0, max: 1e16, noNaN: true }),
  fc.double({ min: -1, max: 1, noNaN: true }),
  fc.integer(),
  fc.constantFrom(1e300, -1e300, 1e15, 1e16, Number.MAX_VALUE, Number.MIN_VALUE, 5, 3650, 1_000_000, 0, -1, 1),
);

/** JSON text of arrays nested `depth` levels deep (built as text: JSON.stringify would recurse). */
export function nestedText(depth: number): string {
  return `${'['.repeat(depth)}1${']'.repeat(depth)}`;
}

/** Arrays nested `depth` levels deep around a number. */
export function nested(depth: number): unknown {
  let value: unknown = 1;
  for (let i = 0; i < depth; i++) value = [value];
  return value;
}

/** A replacement for one field of a sample task. */
export const hostileValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileNumber,
  hostileString,
  fc.jsonValue({ maxDepth: 3, stringUnit: 'binary' }),
  fc.integer({ min: 0, max: 200 }).map(nested),
  fc.dictionary(hostileString, fc.jsonValue({ maxDepth: 1 }), { maxKeys: 3 }),
  fc.constant(undefined),
);

type Path = (string | number)[];

function paths(value: unknown, prefix: Path = []): Path[] {
  if (value === null || typeof value !== 'object') return [prefix];
  const entries = Array.isArray(value) ? value.map((v, i) => [i, v] as const) : Object.entries(value);
  return [prefix, ...entries.flatMap(([key, child]) => paths(child, [...prefix, key]))];
}

function setAt(root: Record<string, unknown>, path: Path, value: unknown): void {
  let target = root as Record<string | number, unknown>;
  for (const key of path.slice(0, -1)) target = target[key] as Record<string | number, unknown>;
  const last = path.at(-1);
  // JSON cannot give an array a named property: such a value never reaches a validator.
  if (last === undefined || (Array.isArray(target) && typeof last === 'string')) return;
  if (value === undefined) delete target[last];
  else define(target, last, value);
}

/** An own property even for a key such as `__proto__` (assignment would set the prototype instead). */
function define(target: object, key: string | number, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** Task `data`: a valid sample of the type with up to three fields (or new keys) replaced. */
export const hostileData: fc.Arbitrary<{ taskType: TaskType; data: Record<string, unknown> }> = fc
  .tuple(
    fc.constantFrom(...TASK_TYPES),
    fc.nat(1000),
    // A third of the tasks stay valid, so the accepting path is exercised as well.
    fc.oneof(
      { weight: 1, arbitrary: fc.constant([]) },
      {
        weight: 2,
        arbitrary: fc.array(fc.tuple(fc.nat(), fc.option(hostileString, { nil: undefined }), hostileValue), {
          minLength: 1,
          maxLength: 3,
        }),
      },
    ),
  )
  .map(([taskType, variant, mutations]) => {
    const data = structuredClone(sampleTaskData(taskType, variant));
    for (const [pick, newKey, value] of mutations) {
      const all = paths(data);
      const path = all[pick % all.length] as Path;
      // Either replace what is there, or add a (hostile) key beside it.
      setAt(data, newKey === undefined ? path : [...path.slice(0, -1), newKey], value);
    }
    return { taskType, data };
  });

/** A whole request body: the task, sometimes with a wrong type, priority or an extra field. */
export const hostileBody: fc.Arbitrary<unknown> = fc
  .tuple(
    hostileData,
    fc.oneof(
      { weight: 6, arbitrary: fc.constantFrom(...PRIORITIES) },
      { weight: 2, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: hostileValue },
    ),
    fc.oneof(
      { weight: 9, arbitrary: fc.constant(undefined) },
      { weight: 1, arbitrary: fc.tuple(hostileString, hostileValue) },
    ),
    fc.oneof({ weight: 9, arbitrary: fc.constant(undefined) }, { weight: 1, arbitrary: hostileValue }),
  )
  .map(([{ taskType, data }, priority, extra, wrongType]) => {
    const body: Record<string, unknown> = { task_type: wrongType ?? taskType, data };
    if (priority !== undefined) body.priority = priority;
    if (extra !== undefined) define(body, extra[0], extra[1]);
    return body;
  });
