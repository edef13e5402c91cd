/**
 * The compiled mapping (explorer/mapping/) against the mapping written plainly
 * (mapping-reference.ts), on random specs and random lines — dotted, nested and mixed keys,
 * `__proto__` and prototype names, empty and null values, OTLP exports with kvlists and
 * malformed parts: the same records, the same fields, in the same key order.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { PROFILES } from '../../explorer/mapping/load.ts';
import { compileMapping } from '../../explorer/mapping/mapping.ts';
import type { MappingSpec } from '../../explorer/mapping/spec.ts';
import { referenceMap } from './mapping-reference.ts';

/** Fixed seed and a bounded number of cases: a failure replays, and the lane stays fast. */
const RUNS = { seed: 13, numRuns: 400 } as const;

/** Names that overlap as keys and as dotted paths, contract fields, and prototype names. */
const NAMES = [
  'a',
  'a.b',
  'a.b.c',
  'b.c',
  'c',
  '.a',
  'a..b',
  'trace.id',
  'trace',
  'id',
  'service.name',
  'service.node.name',
  'service',
  'node.name',
  'body',
  'traceId',
  'timeUnixNano',
  'severityText',
  'spanId',
  'event.name',
  F.TIMESTAMP,
  F.MESSAGE,
  F.CORRELATION_ID,
  F.TASK_ID,
  F.EVENT_ACTION,
  F.SERVICE_INSTANCE,
  F.HTTP_METHOD,
  F.HTTP_ROUTE,
  F.URL_PATH,
  '__proto__',
  'constructor',
  'toString',
];

const leaf: fc.Arbitrary<unknown> = fc.oneof(
  fc.constantFrom('', 'x', 'api', 'worker-1', 'GET', 'POST', '/v2/jobs/j-1', '/v2/jobs/a%2Fb', 'job j-7 failed'),
  fc.constantFrom(...Object.values(EVENTS), 'task.succeeded', 'constructor', '__proto__'),
  fc.constantFrom('1796115600040123456', '1796115600040', '2026-12-01T09:00:00.010Z', '123'),
  fc.constantFrom(null, true, 0, -1, 1e30, 1796115600.017, Number.MAX_SAFE_INTEGER),
  fc.constantFrom([], ['x'], [{ a: 1 }]),
);

/** JSON text of an object with `keys` (duplicates and `__proto__` allowed, as in a real line). */
function objectText(entries: readonly (readonly [string, string])[]): string {
  return `{${entries.map(([key, text]) => `${JSON.stringify(key)}:${text}`).join(',')}}`;
}

/** A record as JSON.parse gives it: nested objects, dotted keys, both at once. */
const recordText: fc.Arbitrary<string> = fc.letrec<{ value: string; object: string }>((tie) => ({
  value: fc.oneof(
    { weight: 4, arbitrary: leaf.map((v) => JSON.stringify(v) ?? 'null') },
    { weight: 1, arbitrary: tie('object') },
  ),
  object: fc
    .array(fc.tuple(fc.constantFrom(...NAMES), tie('value')), { maxLength: 6, depthIdentifier: 'record' })
    .map(objectText),
})).object;

/** An OTLP AnyValue as JSON text: scalars, arrays, shapes that are none of these, and kvlists when `nested`. */
function anyValueText(nested: boolean): fc.Arbitrary<string> {
  return fc.letrec<{ any: string }>((tie) => ({
    any: fc.oneof(
      { weight: 4, arbitrary: leaf.map((v) => `{"stringValue":${JSON.stringify(typeof v === 'string' ? v : 'x')}}`) },
      { weight: 1, arbitrary: fc.constantFrom('{"intValue":"42"}', '{"doubleValue":1.5}', '{"boolValue":false}') },
      { weight: 1, arbitrary: fc.constantFrom('null', '{}', '"raw"', '{"bytesValue":"AQI="}') },
      {
        weight: nested ? 1 : 0,
        arbitrary: fc
          .array(fc.tuple(fc.constantFrom(...NAMES), tie('any')), { maxLength: 3, depthIdentifier: 'any' })
          .map(
            (kvs) =>
              `{"kvlistValue":{"values":[${kvs.map(([k, v]) => `{"key":${JSON.stringify(k)},"value":${v}}`).join(',')}]}}`,
          ),
      },
      {
        weight: 1,
        arbitrary: fc
          .array(tie('any'), { maxLength: 2, depthIdentifier: 'any' })
          .map((items) => `{"arrayValue":{"values":[${items.join(',')}]}}`),
      },
    ),
  })).any;
}

function attributesText(nested: boolean): fc.Arbitrary<string> {
  return fc
    .array(fc.tuple(fc.constantFrom(...NAMES), anyValueText(nested)), { maxLength: 6 })
    .map((kvs) => `[${kvs.map(([k, v]) => `{"key":${JSON.stringify(k)},"value":${v}}`).join(',')}]`);
}

/** One OTLP log record, its own fields sometimes empty, missing or of the wrong kind (objects only when `nested`). */
function logRecordText(nested: boolean): fc.Arbitrary<string> {
  const ofKind = (flat: string[], objects: string[]) => fc.constantFrom(...flat, ...(nested ? objects : []));
  return fc.oneof(
    {
      weight: 8,
      arbitrary: fc
        .tuple(
          attributesText(nested),
          fc.constantFrom('"1796115600040123456"', '""', '1796115600040', 'null'),
          ofKind(['"INFO"', '""'], ['{"x":1}']),
          ofKind(['"5b8efff798038103d269b633813fc60c"', '""', '["t"]'], ['{"a":"b"}']),
          anyValueText(nested),
          fc.boolean(),
        )
        .map(([attributes, time, severity, traceId, body, withBody]) =>
          objectText([
            ['attributes', attributes],
            ['timeUnixNano', time],
            ['severityText', severity],
            ['traceId', traceId],
            ...(withBody ? ([['body', body]] as const) : []),
          ]),
        ),
    },
    { weight: 1, arbitrary: fc.constantFrom('null', '"x"') },
  );
}

/** One OTLP JSON export: resources of scopes of records, with malformed parts among them. */
function exportText(nested: boolean): fc.Arbitrary<string> {
  return fc
    .array(
      fc.oneof(
        {
          weight: 6,
          arbitrary: fc
            .tuple(
              attributesText(nested),
              fc.array(fc.array(logRecordText(nested), { minLength: 1, maxLength: 3 }), { minLength: 1, maxLength: 2 }),
            )
            .map(
              ([resource, scopes]) =>
                `{"resource":{"attributes":${resource}},"scopeLogs":[${scopes.map((records) => `{"logRecords":[${records.join(',')}]}`).join(',')}]}`,
            ),
        },
        { weight: 1, arbitrary: fc.constantFrom('null', '{}', '{"scopeLogs":[null,{"logRecords":null}]}') },
      ),
      { maxLength: 3 },
    )
    .map((resourceLogs) => `{"resourceLogs":[${resourceLogs.join(',')}]}`);
}

/** A user spec: field rules over overlapping names, services, events, patterns, a route. */
const userSpec: fc.Arbitrary<MappingSpec> = fc.record(
  {
    name: fc.constant('random'),
    lines: fc.constantFrom('record' as const, 'otlp' as const),
    fields: fc.dictionary(
      fc.constantFrom(
        F.TIMESTAMP,
        F.CORRELATION_ID,
        F.TASK_ID,
        F.EVENT_ACTION,
        F.SERVICE_NAME,
        F.SERVICE_INSTANCE,
        F.MESSAGE,
        F.HTTP_METHOD,
        F.URL_PATH,
        'custom',
      ),
      fc.array(fc.constantFrom(...NAMES), { minLength: 1, maxLength: 3 }),
    ),
    services: fc.dictionary(
      fc.constantFrom('x', 'api', 'worker-1', 'constructor'),
      fc.constantFrom('api' as const, 'worker' as const, 'nginx' as const, 'other' as const),
    ),
    events: fc.dictionary(
      fc.constantFrom('task.succeeded', 'x', 'constructor'),
      fc.constantFrom(...Object.values(EVENTS)),
    ),
    messages: fc.array(
      fc.record({
        match: fc.constantFrom('^job (?<task_id>\\S+) failed', 'x', '(?<correlation_id>api)'),
        event: fc.constantFrom(EVENTS.TASK_FAILED, EVENTS.TASK_STARTED),
      }),
      { maxLength: 2 },
    ),
    unknownServices: fc.constantFrom('by-event' as const, 'as-is' as const),
    statusRoute: fc.constantFrom('/v2/jobs/:task_id', '/api/v1/tasks/:task_id'),
  },
  { requiredKeys: ['name'] },
);

/** A value with its key order made visible: objects become lists of entries, prototypes named. */
function ordered(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(ordered);
  if (value === null || typeof value !== 'object') return value;
  const proto = Object.getPrototypeOf(value) === Object.prototype ? 'Object' : 'other';
  return [proto, Object.keys(value).map((key) => [key, ordered((value as Record<string, unknown>)[key])])];
}

function expectSame(spec: MappingSpec, text: string): void {
  const compiled = compileMapping(spec);
  expect(ordered(compiled.map(JSON.parse(text) as LogRecord))).toEqual(
    ordered(referenceMap(spec, JSON.parse(text) as LogRecord)),
  );
}

const ecs = PROFILES.ecs as MappingSpec;
const otel = PROFILES.otel as MappingSpec;

describe('the compiled mapping gives what the plain one gives', () => {
  it('for the ecs profile, on records nested, dotted and mixed', () => {
    fc.assert(
      fc.property(recordText, (text) => expectSame(ecs, text)),
      RUNS,
    );
  });

  it('for the otel profile, on OTLP exports with kvlists, malformed parts and hostile keys', () => {
    fc.assert(
      fc.property(exportText(true), (text) => expectSame(otel, text)),
      RUNS,
    );
  });

  it('for the otel profile, on OTLP exports without nested values, whose records are split as they are built', () => {
    fc.assert(
      fc.property(exportText(false), (text) => expectSame(otel, text)),
      RUNS,
    );
  });

  it('for user specs, on records and OTLP exports alike', () => {
    fc.assert(
      fc.property(userSpec, fc.oneof(recordText, exportText(true), exportText(false)), (spec, text) =>
        expectSame(spec, text),
      ),
      RUNS,
    );
  });
});
