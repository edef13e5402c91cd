/**
 * OTLP JSON (the OpenTelemetry Collector's file exporter: one `ExportLogsServiceRequest` per
 * line) → one flat record per log record: resource attributes, then the record's attributes,
 * then its own fields (`timeUnixNano`, `observedTimeUnixNano`, `severityText`, `body`,
 * `traceId`, `spanId`, `eventName`). Pure; anything not in that shape is skipped.
 */
import type { LogRecord } from '../../contract/vocabulary.ts';
import { isPlainObject } from './field-path.ts';
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

/** Receives a flat record's fields in order; a key given twice keeps its first place and its last value. */
type Put = (key: string, value: unknown) => void;

/** The fields of every log record of one OTLP JSON export, in the flat record's order; `next` starts each record. */
function eachRecord(exported: LogRecord, next: () => Put): void {
  for (const resourceLogs of arrayOf(exported, 'resourceLogs')) {
    const resource = attributes(arrayOf(readKey(resourceLogs, 'resource'), 'attributes'), {});
    const resourceKeys = Object.keys(resource);
    for (const scopeLogs of arrayOf(resourceLogs, 'scopeLogs')) {
      for (const logRecord of arrayOf(scopeLogs, 'logRecords')) {
        if (logRecord === null || typeof logRecord !== 'object') continue;
        const r = logRecord as Record<string, unknown>;
        const put = next();
        for (const key of resourceKeys) put(key, resource[key]);
        if (Array.isArray(r.attributes))
          for (const kv of r.attributes) {
            if (kv === null || typeof kv !== 'object') continue;
            const { key, value } = kv as { key?: unknown; value?: unknown };
            if (typeof key === 'string') put(key, anyValue(value));
          }
        for (const key of RECORD_FIELDS) if (r[key] !== undefined && r[key] !== '') put(key, r[key]);
        if (r.body !== undefined) put('body', anyValue(r.body));
      }
    }
  }
}

/** The flat records of one OTLP JSON export. */
export function otlpRecords(exported: LogRecord): LogRecord[] {
  const records: LogRecord[] = [];
  eachRecord(exported, () => {
    const flat: LogRecord = {};
    records.push(flat);
    return (key, value) => setField(flat, key, value);
  });
  return records;
}

/** One flat record in two parts: the fields a mapping keeps, and the ones it reads and drops. */
export interface SplitRecord {
  readonly kept: LogRecord;
  readonly aside: LogRecord;
}

/**
 * The flat records of one OTLP JSON export, each split as it is built: fields named in `aside`
 * go to `aside`, the rest to `kept`, in the flat record's order. Undefined when a record holds
 * a nested object (a kvlist value, or a record field that is an object) or a `__proto__` key:
 * dotted names then read across both parts, so such an export takes {@link otlpRecords}.
 */
export function otlpSplitRecords(exported: LogRecord, aside: ReadonlySet<string>): SplitRecord[] | undefined {
  const records: SplitRecord[] = [];
  let flat = true;
  eachRecord(exported, () => {
    const record = { kept: {} as LogRecord, aside: {} as LogRecord };
    records.push(record);
    return (key, value) => {
      if (key === '__proto__' || isPlainObject(value)) flat = false;
      else (aside.has(key) ? record.aside : record.kept)[key] = value;
    };
  });
  return flat ? records : undefined;
}
