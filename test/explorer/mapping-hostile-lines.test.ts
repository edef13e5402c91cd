/**
 * The mapping step on lines built to break it: nesting deep enough to overflow a recursive
 * walk, and `__proto__` keys that would replace a record's prototype.
 */
import { describe, expect, it } from 'vitest';
import { PROFILES } from '../../explorer/mapping/load.ts';
import { compileMapping } from '../../explorer/mapping/mapping.ts';
import { MAX_NESTING, TOO_DEEP } from '../../explorer/mapping/safe-record.ts';
import { timestampOf } from '../../explorer/model/fields.ts';

const ecs = compileMapping(PROFILES.ecs as NonNullable<(typeof PROFILES)['ecs']>);
const otel = compileMapping(PROFILES.otel as NonNullable<(typeof PROFILES)['otel']>);

/** A line as JSON.parse gives it: `{"d":{"d":…{"leaf":1}}}`, `depth` objects deep. */
function nested(depth: number): Record<string, unknown> {
  return JSON.parse(`${'{"d":'.repeat(depth)}{"leaf":1}${'}'.repeat(depth)}`);
}

/** One OTLP export whose single log record has `attributes`. */
function otlpLine(attributes: unknown[], resource: unknown[] = []): Record<string, unknown> {
  return {
    resourceLogs: [
      {
        resource: { attributes: resource },
        scopeLogs: [{ logRecords: [{ timeUnixNano: '1796115600040123456', attributes }] }],
      },
    ],
  };
}

const kvlist = (values: unknown[]) => ({ kvlistValue: { values } });
const hostile = { key: '__proto__', value: kvlist([{ key: 'injected', value: { stringValue: 'yes' } }]) };

describe('mapping a hostile line', () => {
  it('maps a line nested 10k objects deep (a 1 MiB line), the part past the cap replaced by a marker', () => {
    const [line] = ecs.map({ '@timestamp': '2026-12-01T09:00:00.010Z', 'trace.id': 'abc', deep: nested(10_000) });
    expect(line?.correlation_id).toBe('abc');
    const cut = `deep${'.d'.repeat(MAX_NESTING - 1)}`;
    expect(line?.[cut]).toBe(TOO_DEEP);
    // What the mapping step hands on can be printed by --json and the details view.
    expect(() => JSON.stringify(line)).not.toThrow();
  });

  it('keeps a line whose time is a number no Date can hold, as a line without a time', () => {
    for (const time of [1e30, -1e20, 1e300]) {
      const [line] = ecs.map({ '@timestamp': time, 'trace.id': 'abc' });
      expect(line?.correlation_id).toBe('abc');
      expect(timestampOf(line ?? {})).toBeUndefined();
    }
    expect(ecs.map({ '@timestamp': 1796115600040 })[0]?.['@timestamp']).toBe('2026-12-01T09:00:00.040Z');
  });

  it('skips the null entries of an OTLP export and maps the records beside them', () => {
    const [good] = otlpLine([{ key: 'event.name', value: { stringValue: 'task.started' } }]).resourceLogs as unknown[];
    const records = otel.map({ resourceLogs: [null, good, { scopeLogs: [null, { logRecords: [null] }] }] });
    expect(records).toHaveLength(1);
    expect(records[0]?.['event.action']).toBe('task.started');
  });

  it('flattens shallow nesting to dotted keys', () => {
    const [line] = ecs.map({ a: { b: { c: 1 } }, 'x.y': 2 });
    expect(line).toMatchObject({ 'a.b.c': 1, 'x.y': 2 });
  });

  it('keeps a `__proto__` key of an ECS line as a field, lending nothing to the record', () => {
    const [line] = ecs.map(JSON.parse('{"trace.id":"abc","__proto__":["x"],"meta":{"__proto__":{"polluted":1}}}'));
    expect(Object.getPrototypeOf(line)).toBe(Object.prototype);
    expect(line?.polluted).toBeUndefined();
    expect(Object.keys(line ?? {})).toEqual(expect.arrayContaining(['__proto__', 'meta.__proto__.polluted']));
  });

  it('keeps an OTLP attribute named `__proto__` with a kvlist value as a field of its record only', () => {
    const records = otel.map(
      otlpLine([hostile, { key: 'event.name', value: { stringValue: 'task.started' } }], [hostile]),
    );
    expect(records).toHaveLength(1);
    const [record] = records;
    expect(Object.getPrototypeOf(record)).toBe(Object.prototype);
    expect(record?.injected).toBeUndefined();
    const inherited: string[] = [];
    for (const key in record) if (!Object.hasOwn(record as object, key)) inherited.push(key);
    expect(inherited).toEqual([]);
    expect(record?.['event.action']).toBe('task.started');
  });

  it('maps an OTLP attribute nested as deep as a 1 MiB line allows, the part past the cap a marker', () => {
    // Built as text: JSON.stringify itself overflows on a value this deep.
    const depth = 20_000;
    const deep = `${'{"kvlistValue":{"values":[{"key":"k","value":'.repeat(depth)}{"stringValue":"leaf"}${'}]}}'.repeat(depth)}`;
    const text = `{"resourceLogs":[{"scopeLogs":[{"logRecords":[{"attributes":[{"key":"deep","value":${deep}}]}]}]}]}`;
    expect(text.length).toBeLessThan(1 << 20);
    const [record] = otel.map(JSON.parse(text));
    const cut = Object.entries(record ?? {}).filter(([key]) => key.startsWith('deep'));
    expect(cut).toHaveLength(1);
    const [key, value] = cut[0] ?? [];
    expect(value).toBe(TOO_DEEP);
    expect(key?.split('.').length).toBeLessThanOrEqual(MAX_NESTING);
    expect(() => JSON.stringify(record)).not.toThrow();
  });
});
