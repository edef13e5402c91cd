/**
 * Property tests of the shipper's line handling against hostile lines: whatever a log file
 * holds, preparing a line never throws, never names an index outside the indexable years, and
 * the fast path agrees with the full parse whenever it answers. Pure (no servers); a fixed seed
 * and a bounded number of runs keep it deterministic and quick.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { dailyIndexNamer, isIndexableTimestamp, timestampRange } from '../../contract/indices.ts';
import { F, type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import {
  fastTimestampMs,
  type PreparedLine,
  prepareLine,
  prepareParsedLine,
  REJECT_REASONS,
  type SourceLine,
} from '../../shipper/line.ts';

const RUNS = { seed: 42, numRuns: 1000 } as const;
const PREFIX = 'fuzz';
const indexFor = dailyIndexNamer(PREFIX);
const range = timestampRange();
const DAILY_INDEX = /^fuzz-\d{4}\.\d{2}\.\d{2}$/;

function sourceLine(text: string, invalidUtf8 = false): SourceLine {
  return { fingerprint: 'f'.repeat(32), path: 'fuzz.ndjson', offset: 0, end: text.length + 1, text, invalidUtf8 };
}

/** What must hold of any prepared line. */
function expectSound(line: SourceLine, prepared: PreparedLine): void {
  if (prepared.kind !== 'doc') return;
  expect(prepared.index).toMatch(DAILY_INDEX);
  expect(isIndexableTimestamp(prepared.timestampMs, range)).toBe(true);
  if (line.invalidUtf8) {
    const parsed = JSON.parse(prepared.source) as LogRecord;
    expect(parsed[F.SHIPPER_INVALID_UTF8]).toBe(true);
  }
}

/** Prepare, check soundness, and hold the fast path to the full parse. */
function check(text: string, invalidUtf8 = false): void {
  const line = sourceLine(text, invalidUtf8);
  const prepared = prepareLine(line, indexFor);
  expectSound(line, prepared);
  if (invalidUtf8 || fastTimestampMs(text) === undefined) return;
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    return; // Not JSON: the fast path ships it and Elasticsearch's parser dead-letters it.
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return;
  expect(prepared).toEqual(prepareParsedLine(line, indexFor));
}

/** Any UTF-16 code unit, lone surrogates and controls included. */
const anyChar = fc.integer({ min: 0, max: 0xffff }).map((code) => String.fromCharCode(code));
const controlChar = fc.integer({ min: 0, max: 0x9f }).map((code) => String.fromCharCode(code));
const anyString = fc.string({ unit: anyChar, maxLength: 80 });

const keys = fc.oneof(
  fc.constantFrom(
    F.TIMESTAMP,
    F.SERVICE_NAME,
    F.NGINX_MSEC,
    F.NGINX_REQUEST_TIME,
    F.HTTP_STATUS,
    '__proto__',
    'constructor',
    'prototype',
    'toString',
    '@timestamp ',
    'x@timestamp',
  ),
  fc.string({ maxLength: 12 }),
  fc.string({ unit: controlChar, maxLength: 4 }),
);

const timestamps = fc.oneof(
  fc.date({ min: new Date(-8.64e15), max: new Date(8.64e15), noInvalidDate: true }).map((d) => d.toISOString()),
  fc
    .date({ min: new Date('1960-01-01'), max: new Date('2100-01-01'), noInvalidDate: true })
    .map((d) => d.toISOString()),
  fc.constantFrom(
    '99999-01-01T00:00:00.000Z',
    '+099999-01-01T00:00:00.000Z',
    '-000001-01-01T00:00:00.000Z',
    '0099-12-31T23:59:59.999Z',
    '1969-12-31T23:59:59.999Z',
    '9999-12-31T23:59:59.999Z',
    '2026-02-29T00:00:00.000Z',
    '2026-13-01T00:00:00.000Z',
    '2026-01-01T24:00:00.000Z',
    '2026-01-01',
    'Thu, 01 Jan 2026 00:00:00 GMT',
    '2026-01-01T00:00:00+14:00',
  ),
  anyString,
);

/** Raw JSON text of a value, including what JSON.stringify never writes (1e400, 400 digits). */
const rawValues = fc.oneof(
  fc.jsonValue({ maxDepth: 3 }).map((value) => JSON.stringify(value)),
  timestamps.map((value) => JSON.stringify(value)),
  anyString.map((value) => JSON.stringify(value)),
  fc.constantFrom('1e400', '-1e400', '1'.repeat(400), '-0', '1e-400', '"1e20"', '"-"', '"Infinity"', 'NaN', '"NaN"'),
  fc.double().map(String),
);

/** A JSON-ish object line: keys in any order, duplicates, odd values, sometimes an nginx line. */
const objectLines = fc
  .tuple(fc.array(fc.tuple(keys, rawValues), { maxLength: 8 }), fc.option(timestamps), fc.boolean())
  .map(([entries, timestamp, nginx]) => {
    const parts = entries.map(([key, value]) => `${JSON.stringify(key)}:${value}`);
    if (timestamp !== null) parts.unshift(`"@timestamp":${JSON.stringify(timestamp)}`);
    if (nginx) parts.push(`"service.name":"nginx"`);
    return `{${parts.join(',')}}`;
  });

/** An object line damaged in one place: a cut, an inserted character or a spliced string. */
const damagedLines = fc
  .tuple(objectLines, fc.nat(), fc.oneof(anyChar, fc.constantFrom('"', '\\', '{', '}', '[', ']', ',', ':', '/', '//')))
  .map(([text, at, insert]) => {
    const position = at % (text.length + 1);
    return at % 3 === 0 ? text.slice(0, position) : text.slice(0, position) + insert + text.slice(position);
  });

function nested(depth: number, open: string, close: string): string {
  return open.repeat(depth) + close.repeat(depth);
}

describe('line handling on hostile input', () => {
  it('never throws on arbitrary strings', () => {
    fc.assert(
      fc.property(anyString, fc.boolean(), (text, invalidUtf8) => check(text, invalidUtf8)),
      RUNS,
    );
  });

  it('never throws on JSON-ish object lines, and the fast path agrees with the full parse', () => {
    fc.assert(
      fc.property(objectLines, fc.boolean(), (text, invalidUtf8) => check(text, invalidUtf8)),
      RUNS,
    );
  });

  it('never throws on damaged object lines', () => {
    fc.assert(
      fc.property(damagedLines, fc.boolean(), (text, invalidUtf8) => check(text, invalidUtf8)),
      RUNS,
    );
  });

  it('survives 10,000 levels of nesting, also when the line must be re-serialised', () => {
    const ts = '"@timestamp":"2026-01-01T00:00:00.000Z"';
    const deepArray = nested(10_000, '[', ']');
    const deepObject = `${'{"a":'.repeat(10_000)}1${'}'.repeat(10_000)}`;
    for (const deep of [deepArray, deepObject]) {
      for (const text of [
        `{${ts},"x":${deep}}`,
        `{"service.name":"nginx","nginx.msec":"1767225600.000",${ts},"x":${deep}}`,
        `{"x":${deep},${ts}}`,
        deep,
        deep.slice(0, -1),
      ]) {
        for (const invalidUtf8 of [false, true]) {
          const line = sourceLine(text, invalidUtf8);
          const prepared = prepareLine(line, indexFor);
          expectSound(line, prepared);
          expect(['doc', 'reject']).toContain(prepared.kind);
        }
      }
    }
    // The ones that must be re-serialised are refused with a reason, not a crash.
    expect(prepareLine(sourceLine(`{"service.name":"nginx",${ts},"x":${deepArray}}`), indexFor)).toMatchObject({
      kind: 'reject',
      reason: REJECT_REASONS.NESTING_TOO_DEEP,
    });
  });

  it('refuses timestamps outside the indexable years before naming an index', () => {
    for (const timestamp of [
      '+099999-01-01T00:00:00.000Z',
      '-000001-01-01T00:00:00.000Z',
      '1969-12-31T23:59:59.999Z',
    ]) {
      for (const text of [
        `{"@timestamp":"${timestamp}","message":"m"}`,
        `{"message":"m","@timestamp":"${timestamp}","service.name":"api"}`,
      ]) {
        expect(prepareLine(sourceLine(text), () => expect.unreachable('no index for this line'))).toMatchObject({
          kind: 'reject',
          reason: REJECT_REASONS.TIMESTAMP_OUT_OF_RANGE,
        });
      }
    }
    const msec = (seconds: string) =>
      `{"service.name":"nginx","@timestamp":"2026-01-01T00:00:00+00:00","nginx.msec":"${seconds}"}`;
    // 1e11 s is the year 5138: in range. 1e12 s is the year 33658: out of range.
    expect(prepareLine(sourceLine(msec('100000000000')), indexFor)).toMatchObject({ kind: 'doc' });
    expect(prepareLine(sourceLine(msec('1000000000000')), indexFor)).toMatchObject({
      reason: REJECT_REASONS.TIMESTAMP_OUT_OF_RANGE,
    });
    // Past what a Date holds, nginx.msec is no date: the line keeps its own @timestamp.
    expect(prepareLine(sourceLine(msec('1e20')), indexFor)).toMatchObject({ kind: 'doc', index: 'fuzz-2026.01.01' });
  });
});

describe('normalizeNginxLine on hostile records', () => {
  const records = fc
    .tuple(fc.array(fc.tuple(keys, fc.oneof(fc.jsonValue({ maxDepth: 2 }), timestamps, anyString)), { maxLength: 8 }))
    .map(([entries]) => {
      // Built the way JSON.parse builds a record: every key an own property, "__proto__" too.
      const record: LogRecord = {};
      for (const [key, value] of entries)
        Object.defineProperty(record, key, { value, enumerable: true, writable: true, configurable: true });
      record[F.SERVICE_NAME] = 'nginx';
      return record;
    });

  it('never throws, never sets a prototype, and writes only valid dates and finite durations', () => {
    fc.assert(
      fc.property(records, (record) => {
        const out = normalizeNginxLine(record);
        expect(Object.getPrototypeOf(out)).toBe(Object.prototype);
        // Every field is kept, except the numeric ones that hold no number ('-', an object...).
        const numeric = new Set<string>([F.HTTP_STATUS, F.HTTP_RESPONSE_BYTES, F.HTTP_REQUEST_BYTES]);
        for (const key of Object.keys(record)) {
          if (!numeric.has(key)) expect(Object.hasOwn(out, key)).toBe(true);
          else if (Object.hasOwn(out, key)) expect(Number.isFinite(out[key])).toBe(true);
        }
        const timestamp = out[F.TIMESTAMP];
        if (timestamp !== record[F.TIMESTAMP]) expect(Number.isNaN(Date.parse(String(timestamp)))).toBe(false);
        if (out[F.EVENT_DURATION] !== record[F.EVENT_DURATION])
          expect(Number.isFinite(out[F.EVENT_DURATION] as number)).toBe(true);
        expect(({} as Record<string, unknown>).polluted).toBeUndefined();
      }),
      RUNS,
    );
  });
});
