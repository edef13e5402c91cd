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

/** Where {@link eachField} puts one record's fields: everything in `kept`, or `aside`'s names apart. */
interface Target {
  readonly kept: LogRecord;
  readonly aside: LogRecord;
  /** Names put in `aside`; undefined when the record is not split. */
  readonly names: ReadonlySet<string> | undefined;
}

/**
 * Put one field in the flat record (a key given twice keeps its first place and its last
 * value); false when a split record cannot hold it (see {@link otlpSplitRecords}).
 */
function put(target: Target, key: string, value: unknown): boolean {
  if (target.names === undefined) setField(target.kept, key, value);
  else if (key === '__proto__' || isPlainObject(value)) return false;
  else if (target.names.has(key)) target.aside[key] = value;
  else target.kept[key] = value;
  return true;
}

/** One log record's fields, in the flat record's order; false when `put` refused one. */
function eachField(
  target: Target,
  resource: LogRecord,
  resourceKeys: readonly string[],
  r: Record<string, unknown>,
): boolean {
  for (let i = 0; i < resourceKeys.length; i++) {
    const key = resourceKeys[i] as string;
    if (!put(target, key, resource[key])) return false;
  }
  const list = r.attributes;
  if (Array.isArray(list))
    for (let i = 0; i < list.length; i++) {
      const kv = list[i];
      if (kv === null || typeof kv !== 'object') continue;
      const key = (kv as { key?: unknown }).key;
      if (typeof key === 'string' && !put(target, key, anyValue((kv as { value?: unknown }).value))) return false;
    }
  // The record's own fields, in this order; an empty string counts as absent.
  const { timeUnixNano, observedTimeUnixNano, severityText, traceId, spanId, eventName, body } = r;
  if (timeUnixNano !== undefined && timeUnixNano !== '' && !put(target, 'timeUnixNano', timeUnixNano)) return false;
  if (observedTimeUnixNano !== undefined && observedTimeUnixNano !== '')
    if (!put(target, 'observedTimeUnixNano', observedTimeUnixNano)) return false;
  if (severityText !== undefined && severityText !== '' && !put(target, 'severityText', severityText)) return false;
  if (traceId !== undefined && traceId !== '' && !put(target, 'traceId', traceId)) return false;
  if (spanId !== undefined && spanId !== '' && !put(target, 'spanId', spanId)) return false;
  if (eventName !== undefined && eventName !== '' && !put(target, 'eventName', eventName)) return false;
  return body === undefined || put(target, 'body', anyValue(body));
}

/** Every log record of one OTLP JSON export, split by `names` (all kept when undefined); undefined when one cannot be. */
function eachRecord(exported: LogRecord, names: ReadonlySet<string> | undefined): SplitRecord[] | undefined {
  const records: SplitRecord[] = [];
  for (const resourceLogs of arrayOf(exported, 'resourceLogs')) {
    const resource = attributes(arrayOf(readKey(resourceLogs, 'resource'), 'attributes'), {});
    const resourceKeys = Object.keys(resource);
    for (const scopeLogs of arrayOf(resourceLogs, 'scopeLogs')) {
      for (const logRecord of arrayOf(scopeLogs, 'logRecords')) {
        if (logRecord === null || typeof logRecord !== 'object') continue;
        const target: Target = { kept: {}, aside: {}, names };
        if (!eachField(target, resource, resourceKeys, logRecord as Record<string, unknown>)) return undefined;
        records.push(target);
      }
    }
  }
  return records;
}

/** The flat records of one OTLP JSON export. */
export function otlpRecords(exported: LogRecord): LogRecord[] {
  return (eachRecord(exported, undefined) as SplitRecord[]).map((record) => record.kept);
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
  return eachRecord(exported, aside);
}
