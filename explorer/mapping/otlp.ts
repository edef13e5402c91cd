/**
 * OTLP JSON (the OpenTelemetry Collector's file exporter: one `ExportLogsServiceRequest` per
 * line) → one flat record per log record: resource attributes, then the record's attributes,
 * then its own fields (`timeUnixNano`, `observedTimeUnixNano`, `severityText`, `body`,
 * `traceId`, `spanId`, `eventName`). Pure; anything not in that shape is skipped.
 */
import type { LogRecord } from '../../contract/vocabulary.ts';
import { MAX_NESTING, setField, TOO_DEEP } from './safe-record.ts';

/**
 * An OTLP `AnyValue` as a plain JSON value (`intValue` is a string in OTLP JSON); a list or
 * kvlist nested deeper than {@link MAX_NESTING} levels becomes {@link TOO_DEEP}.
 */
export function anyValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if ((v.arrayValue !== undefined || v.kvlistValue !== undefined) && depth >= MAX_NESTING) return TOO_DEEP;
  if (v.arrayValue !== undefined) return arrayOf(v.arrayValue, 'values').map((item) => anyValue(item, depth + 1));
  if (v.kvlistValue !== undefined) return attributes(arrayOf(v.kvlistValue, 'values'), {}, depth + 1);
  return v.bytesValue;
}

/** `holder[key]` when `holder` is an object, else undefined (a logged value may be null). */
function readKey(holder: unknown, key: string): unknown {
  return holder === null || typeof holder !== 'object' ? undefined : (holder as Record<string, unknown>)[key];
}

function arrayOf(holder: unknown, key: string): unknown[] {
  const list = readKey(holder, key);
  return Array.isArray(list) ? list : [];
}

/** An OTLP key/value list into `out`, under the keys as written. */
function attributes(list: readonly unknown[], out: LogRecord, depth = 0): LogRecord {
  for (const kv of list) {
    if (kv === null || typeof kv !== 'object') continue;
    const { key, value } = kv as { key?: unknown; value?: unknown };
    if (typeof key === 'string') setField(out, key, anyValue(value, depth));
  }
  return out;
}

const RECORD_FIELDS = ['timeUnixNano', 'observedTimeUnixNano', 'severityText', 'traceId', 'spanId', 'eventName'];

/** The flat records of one OTLP JSON export. */
export function otlpRecords(exported: LogRecord): LogRecord[] {
  const records: LogRecord[] = [];
  for (const resourceLogs of arrayOf(exported, 'resourceLogs')) {
    const resource = attributes(arrayOf(readKey(resourceLogs, 'resource'), 'attributes'), {});
    for (const scopeLogs of arrayOf(resourceLogs, 'scopeLogs')) {
      for (const logRecord of arrayOf(scopeLogs, 'logRecords')) {
        if (logRecord === null || typeof logRecord !== 'object') continue;
        const r = logRecord as Record<string, unknown>;
        const flat: LogRecord = {};
        for (const key of Object.keys(resource)) setField(flat, key, resource[key]);
        attributes(Array.isArray(r.attributes) ? r.attributes : [], flat);
        for (const key of RECORD_FIELDS) if (r[key] !== undefined && r[key] !== '') flat[key] = r[key];
        if (r.body !== undefined) flat.body = anyValue(r.body);
        records.push(flat);
      }
    }
  }
  return records;
}
