/**
 * Property tests of the explorer's model against random and hostile lines: any JSON value in
 * any field it reads, `__proto__`/`constructor` keys, control characters, malformed
 * percent-encoding, numbers and timestamps out of range, missing ids. The model promises never
 * to throw on a line and to build the same trace whatever order the hits arrive in.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENTS, F, type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { joinTaskIds, owningCorrelationIds } from '../../explorer/model/join.ts';
import { ParsedLines } from '../../explorer/model/lines.ts';
import { summariseRequests } from '../../explorer/model/request-list.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import type { Hit } from '../../explorer/model/types.ts';
import { jsonText, listToJson, traceToJson } from '../../explorer/output/json.ts';
import { renderListPlain, renderTracePlain } from '../../explorer/output/plain.ts';
import { T0 } from './fixtures.ts';

/** Fixed seed and a bounded number of cases: a failure replays, and the lane stays fast. */
const RUNS = { seed: 42, numRuns: 300 } as const;

const CIDS = ['cid-a', 'cid-b', '', '-', '__proto__', 'constructor', '\u001b]0;x\u0007'];
const TASK_IDS = ['task-1', 'task-2', '%c0%ae', '0', '__proto__', 'toString'];

const hostileString = fc.oneof(
  fc.constantFrom(
    '',
    '-',
    'NaN',
    'Infinity',
    '-Infinity',
    '1e999',
    '0x10',
    '__proto__',
    'constructor',
    'toString',
    '%',
    '%zz',
    '%c0%ae',
    '%E0%A4%A',
    '%ed%a0%80',
    '\u001b[2J\u001b]0;title\u0007',
    '\u009b31m',
    'line\n14:40:00.000 INFO task.completed FAKE LINE\r',
    '\ud800',
    '+275760-09-13T00:00:00.001Z',
    '-271821-04-20T00:00:00.000Z',
    '99999-01-01T00:00:00Z',
    '2026-11-22T10:15:23.000Z',
    '2026-11-22T10:15:23+00:00',
  ),
  fc.string({ unit: 'binary', maxLength: 12 }),
);

const hostileNumber = fc.oneof(
  fc.constantFrom(0, -0, 1, -1, 1e300, -1e300, 8.64e15, 8.64e15 + 1, -8.64e15 - 1, Number.MAX_SAFE_INTEGER, 5e-324),
  fc.integer(),
  fc.double({ noNaN: true, noDefaultInfinity: true }),
);

const anyValue: fc.Arbitrary<unknown> = fc.oneof(
  hostileString,
  hostileNumber,
  fc.constantFrom(null, true, false, [], {}),
  fc.jsonValue({ maxDepth: 2 }),
);

/** Well-formed-looking values per field, so hostile lines also pair, join and time each other. */
const plausible: Readonly<Record<string, fc.Arbitrary<unknown>>> = {
  [F.TIMESTAMP]: fc.oneof(
    fc.integer({ min: 0, max: 5000 }).map((ms) => new Date(T0 + ms).toISOString()),
    fc.integer({ min: 0, max: 5000 }).map((ms) => T0 + ms),
  ),
  [F.EVENT_ACTION]: fc.constantFrom(...Object.values(EVENTS)),
  [F.CORRELATION_ID]: fc.constantFrom(...CIDS),
  [F.TASK_ID]: fc.constantFrom(...TASK_IDS),
  [F.SERVICE_NAME]: fc.constantFrom('api', 'worker', 'nginx'),
  [F.SERVICE_INSTANCE]: fc.constantFrom('api-1', 'api-2', 'worker-1', 'nginx', '__proto__'),
  [F.HTTP_METHOD]: fc.constantFrom('GET', 'POST', 'FOO'),
  [F.URL_PATH]: fc.constantFrom(
    '/api/v1/tasks',
    '/api/v1/tasks/task-1',
    '/api/v1/tasks/%c0%ae',
    '/api/v1/tasks/\ufffd\ufffd',
    '/api/v1/tasks/%',
    '/api/v1/tasks/caf%C3%A9',
    '/api/v1/tasks/café',
    '/api/v1/tasks/a%2F%2Fb',
    '/api/v1/tasks/\u001b[2J\n',
  ),
  [F.HTTP_ROUTE]: fc.constantFrom('/api/v1/tasks', '/api/v1/tasks/:task_id'),
  [F.HTTP_STATUS]: fc.constantFrom(200, 202, 404, 500, 502, '502', 'x'),
  [F.EVENT_SEQUENCE]: fc.integer({ min: 0, max: 20 }),
  [F.TASK_ATTEMPT]: fc.integer({ min: 0, max: 4 }),
};

/** Every field the vocabulary declares, plus keys that name Object.prototype's members. */
const KEYS = [...Object.values(F), '__proto__', 'constructor', 'toString', 'hasOwnProperty'];

const fieldValue = (key: string): fc.Arbitrary<unknown> => {
  // An own-property check: `plausible.constructor` is Object, the very mistake under test.
  const good = Object.hasOwn(plausible, key) ? plausible[key] : undefined;
  return good === undefined ? anyValue : fc.oneof({ weight: 3, arbitrary: good }, { weight: 1, arbitrary: anyValue });
};

/**
 * A record as a source hands it over: parsed from JSON text, so `__proto__` is an own key.
 * The fields the joins and pairing read are each present most of the time; any other field
 * of the vocabulary, or a prototype key, may join them.
 */
const record: fc.Arbitrary<LogRecord> = fc
  .uniqueArray(fc.constantFrom(...KEYS), { maxLength: 8 })
  .chain((extra) =>
    fc.tuple(
      ...[...new Set([...Object.keys(plausible), ...extra])].map((key) =>
        fc.option(fieldValue(key), { freq: 4 }).map((value) => [key, value] as const),
      ),
    ),
  )
  .map((entries) => {
    const text = `{${entries
      .filter(([, value]) => value !== null)
      .map(([key, value]) => `${JSON.stringify(key)}:${JSON.stringify(value)}`)
      .join(',')}}`;
    return normalizeNginxLine(JSON.parse(text) as LogRecord);
  });

/** Hits with distinct sources (`file:line` in real life), sometimes with a store-parsed time. */
const hits: fc.Arbitrary<Hit[]> = fc
  .array(fc.tuple(record, fc.option(hostileNumber, { freq: 6 })), { maxLength: 30, size: 'medium' })
  .map((pairs) => pairs.map(([r, at], i) => ({ source: `f:${i}`, record: r, ...(at === null ? {} : { at }) })));

const source = { kind: 'files', description: 'fuzz' };

/** Control characters a terminal acts on (C0, DEL, C1), newline aside, as code points. */
function controls(text: string): number[] {
  return [...text.replaceAll('\n', '')]
    .map((char) => char.codePointAt(0) ?? 0)
    .filter((code) => code < 0x20 || (code >= 0x7f && code <= 0x9f));
}

/**
 * What `--json`, `--plain` and the TUI's rows would print for `cid` (the --json text). Neither
 * printed form may hold a control character, whatever the lines held.
 */
function everyView(input: readonly Hit[], cid: string, order: 'raw' | 'parsed'): string {
  const parsed = order === 'parsed' ? new ParsedLines(cid).add(input) : input;
  const trace = buildTrace(parsed, { correlationId: cid, now: T0 + 60_000, source: 'files' });
  traceToRows(trace);
  const plain = renderTracePlain(trace);
  const json = jsonText(traceToJson(trace, source));
  expect(controls(plain)).toEqual([]);
  expect(controls(json)).toEqual([]);
  return json;
}

describe('the model on hostile lines', () => {
  it('never throws, in the trace, its rows, --plain and --json, and prints no control character', () => {
    fc.assert(
      fc.property(hits, fc.constantFrom(...CIDS, 'task-1'), fc.boolean(), (input, cid, parsedFirst) => {
        expect(() => everyView(input, cid, parsedFirst ? 'parsed' : 'raw')).not.toThrow();
        expect(() =>
          joinTaskIds(
            input.map((hit) => hit.record),
            cid,
          ),
        ).not.toThrow();
        expect(() =>
          owningCorrelationIds(
            input.map((hit) => hit.record),
            'task-1',
          ),
        ).not.toThrow();
      }),
      RUNS,
    );
  });

  it('builds the same --json whatever order the hits arrive in', () => {
    fc.assert(
      fc.property(
        hits.chain((input) => fc.tuple(fc.constant(input), fc.shuffledSubarray(input, { minLength: input.length }))),
        fc.constantFrom(...CIDS),
        ([input, shuffled], cid) => {
          expect(everyView(shuffled, cid, 'raw')).toBe(everyView(input, cid, 'raw'));
        },
      ),
      RUNS,
    );
  });

  it('never throws in the request list, plain or JSON, with any filter', () => {
    fc.assert(
      fc.property(
        hits,
        fc.record({
          sinceMs: fc.option(hostileNumber, { nil: undefined }),
          service: fc.option(fc.constantFrom('api', 'nginx', '__proto__', 'worker-2'), { nil: undefined }),
          status: fc.option(fc.constantFrom('failed', '5xx', '202', 'x', '__proto__'), { nil: undefined }),
          limit: fc.option(fc.integer({ min: -1, max: 40 }), { nil: undefined }),
        }),
        (input, filter) => {
          const list = summariseRequests(input, filter);
          expect(controls(renderListPlain(list))).toEqual([]);
          expect(controls(jsonText(listToJson(list, source)))).toEqual([]);
        },
      ),
      RUNS,
    );
  });
});
