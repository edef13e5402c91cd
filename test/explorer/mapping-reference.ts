/**
 * The mapping step written plainly, one rule at a time: every field read by walking the record
 * with string cuts, every record built flat and then copied. It is the oracle
 * mapping-equivalence.test.ts holds explorer/mapping/ to, field for field and key for key.
 */
import { EVENTS, F, type LogRecord, SERVICES } from '../../contract/vocabulary.ts';
import { MAX_NESTING, setField, TOO_DEEP } from '../../explorer/mapping/safe-record.ts';
import type { MappingSpec, Role } from '../../explorer/mapping/spec.ts';
import { CONTRACT_EVENTS, isTime } from '../../explorer/model/fields.ts';
import { STATUS_ROUTE } from '../../explorer/model/join.ts';
import { percentDecode } from '../../explorer/model/paths.ts';

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return value !== null && typeof value === 'object' && !Array.isArray(value);
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/** A dotted field: the key as written, else each split at a dot, left to right, into a nested object. */
function readPath(record: Record<string, unknown>, name: string): unknown {
  const value = record[name];
  if (value !== undefined) return value;
  for (let dot = name.indexOf('.'); dot > 0; dot = name.indexOf('.', dot + 1)) {
    const head = record[name.slice(0, dot)];
    if (isPlainObject(head)) {
      const found = readPath(head, name.slice(dot + 1));
      if (found !== undefined) return found;
    }
  }
  return undefined;
}

/** The record's leaves as dotted keys, without the consumed ones; cut {@link MAX_NESTING} levels down. */
function copyFlat(record: LogRecord, consumed: ReadonlySet<string>): LogRecord {
  const out: LogRecord = {};
  const walk = (value: Record<string, unknown>, prefix: string, level: number): void => {
    for (const key of Object.keys(value)) {
      const v = value[key];
      const name = `${prefix}${key}`;
      if (!isPlainObject(v)) {
        if (!consumed.has(name)) setField(out, name, v);
      } else if (level < MAX_NESTING) walk(v, `${name}.`, level + 1);
      else if (!consumed.has(name)) setField(out, name, TOO_DEEP);
    }
  };
  walk(record, '', 1);
  return out;
}

function anyValue(value: unknown, depth = 0): unknown {
  if (value === null || typeof value !== 'object') return undefined;
  const v = value as Record<string, unknown>;
  if (v.stringValue !== undefined) return v.stringValue;
  if (v.intValue !== undefined) return Number(v.intValue);
  if (v.doubleValue !== undefined) return Number(v.doubleValue);
  if (v.boolValue !== undefined) return v.boolValue;
  if ((v.arrayValue !== undefined || v.kvlistValue !== undefined) && depth >= MAX_NESTING) return TOO_DEEP;
  if (v.arrayValue !== undefined) return listOf(v.arrayValue, 'values').map((item) => anyValue(item, depth + 1));
  if (v.kvlistValue !== undefined) return attributes(listOf(v.kvlistValue, 'values'), {}, depth + 1);
  return v.bytesValue;
}

function listOf(holder: unknown, key: string): unknown[] {
  const list = holder === null || typeof holder !== 'object' ? undefined : (holder as Record<string, unknown>)[key];
  return Array.isArray(list) ? list : [];
}

function attributes(list: readonly unknown[], out: LogRecord, depth = 0): LogRecord {
  for (const kv of list) {
    if (kv === null || typeof kv !== 'object') continue;
    const { key, value } = kv as { key?: unknown; value?: unknown };
    if (typeof key === 'string') setField(out, key, anyValue(value, depth));
  }
  return out;
}

/** One flat record per OTLP log record: resource attributes, record attributes, record fields. */
function otlpRecords(exported: LogRecord): LogRecord[] {
  const records: LogRecord[] = [];
  for (const resourceLogs of listOf(exported, 'resourceLogs')) {
    const resourceHolder =
      resourceLogs === null || typeof resourceLogs !== 'object'
        ? undefined
        : (resourceLogs as Record<string, unknown>).resource;
    const resource = attributes(listOf(resourceHolder, 'attributes'), {});
    for (const scopeLogs of listOf(resourceLogs, 'scopeLogs')) {
      for (const logRecord of listOf(scopeLogs, 'logRecords')) {
        if (logRecord === null || typeof logRecord !== 'object') continue;
        const r = logRecord as Record<string, unknown>;
        const flat: LogRecord = {};
        for (const key of Object.keys(resource)) setField(flat, key, resource[key]);
        attributes(Array.isArray(r.attributes) ? r.attributes : [], flat);
        for (const key of ['timeUnixNano', 'observedTimeUnixNano', 'severityText', 'traceId', 'spanId', 'eventName'])
          if (r[key] !== undefined && r[key] !== '') flat[key] = r[key];
        if (r.body !== undefined) flat.body = anyValue(r.body);
        records.push(flat);
      }
    }
  }
  return records;
}

function contractTime(value: unknown): unknown {
  let ms: number;
  if (typeof value === 'string' && /^\d{10,19}$/.test(value))
    ms =
      Number(value.length >= 18 ? value.slice(0, -6) : value.length >= 15 ? value.slice(0, -3) : value) *
      (value.length <= 11 ? 1000 : 1);
  else if (typeof value === 'number' && Number.isFinite(value))
    ms = value > 1e17 ? value / 1e6 : value > 1e14 ? value / 1e3 : value < 1e11 ? value * 1000 : value;
  else return value;
  return isTime(ms) ? new Date(Math.round(ms)).toISOString() : value;
}

function roleByEvent(action: string | undefined): Role {
  if (action === undefined) return 'other';
  if (action === EVENTS.NGINX_ACCESS) return 'nginx';
  if (action.startsWith('http.') || action.startsWith('idempotency.') || action === EVENTS.TASK_ENQUEUED) return 'api';
  if (action === EVENTS.TASK_STATUS_READ) return 'api';
  if (action.startsWith('task.') || action.startsWith('lock.') || action.startsWith('result.')) return 'worker';
  return 'other';
}

function markStatusPoll(out: LogRecord, action: string, statusRoute: string): void {
  if (
    action !== EVENTS.HTTP_REQUEST_RECEIVED &&
    action !== EVENTS.HTTP_REQUEST_COMPLETED &&
    action !== EVENTS.NGINX_ACCESS
  )
    return;
  const method = out[F.HTTP_METHOD];
  if (method !== undefined && method !== 'GET') return;
  if (out[F.HTTP_ROUTE] === statusRoute) {
    if (present(out[F.TASK_ID])) out[F.HTTP_ROUTE] = STATUS_ROUTE;
    return;
  }
  const at = statusRoute.indexOf(':task_id');
  const prefix = statusRoute.slice(0, at);
  const suffix = statusRoute.slice(at + ':task_id'.length);
  const path = out[F.URL_PATH];
  if (typeof path !== 'string' || !path.startsWith(prefix) || !path.endsWith(suffix)) return;
  const segment = path.slice(prefix.length, path.length - suffix.length);
  if (segment === '' || segment.includes('/') || segment.includes('?')) return;
  if (!present(out[F.TASK_ID])) out[F.TASK_ID] = percentDecode(segment);
  out[F.HTTP_ROUTE] = STATUS_ROUTE;
}

/** The contract records of one parsed line under `spec`, as the mapping step must give them. */
export function referenceMap(spec: MappingSpec, value: LogRecord): LogRecord[] {
  const statusRoute = spec.statusRoute ?? STATUS_ROUTE;
  const rules = new Map<string, readonly string[]>();
  for (const [contract, from] of Object.entries(spec.fields ?? {}))
    rules.set(contract, typeof from === 'string' ? [from] : from);
  const fieldsOf = (contract: string): readonly string[] => rules.get(contract) ?? [contract];
  const read = (record: LogRecord, contract: string): unknown => {
    for (const name of fieldsOf(contract)) {
      const found = readPath(record, name);
      if (present(found)) return found;
    }
    return undefined;
  };
  const special = new Set<string>([F.TIMESTAMP, F.SERVICE_NAME, F.SERVICE_INSTANCE, F.EVENT_ACTION]);
  const renames = [...rules.keys()].filter((contract) => !special.has(contract));
  const consumed = new Set<string>();
  for (const [contract, from] of rules) for (const name of from) if (name !== contract) consumed.add(name);
  for (const contract of Object.values(F)) consumed.delete(contract);

  const mapRecord = (flat: LogRecord): LogRecord => {
    const renamed = renames.map((contract) => read(flat, contract));
    const time = read(flat, F.TIMESTAMP);
    const rawAction = read(flat, F.EVENT_ACTION);
    const name = read(flat, F.SERVICE_NAME);
    const instance = read(flat, F.SERVICE_INSTANCE);
    const out = copyFlat(flat, consumed);
    renames.forEach((contract, i) => {
      if (renamed[i] !== undefined) out[contract] = renamed[i];
    });
    if (time !== undefined) out[F.TIMESTAMP] = contractTime(time);
    let event =
      typeof rawAction === 'string'
        ? (new Map(Object.entries(spec.events ?? {})).get(rawAction) ?? rawAction)
        : undefined;
    const patterns = spec.messages ?? [];
    if (patterns.length > 0 && (event === undefined || !CONTRACT_EVENTS.has(event))) {
      const text = out[F.MESSAGE] ?? readPath(flat, F.MESSAGE);
      if (typeof text === 'string')
        for (const pattern of patterns) {
          const match = new RegExp(pattern.match).exec(text);
          if (match === null) continue;
          event = pattern.event;
          for (const [group, groupValue] of Object.entries(match.groups ?? {}))
            if (groupValue !== undefined && !present(out[group])) out[group] = groupValue;
          break;
        }
    }
    if (event !== undefined) out[F.EVENT_ACTION] = event;
    const foreign = typeof name === 'string' ? name : undefined;
    const mapped = foreign === undefined ? undefined : new Map(Object.entries(spec.services ?? {})).get(foreign);
    const byEvent = (spec.unknownServices ?? 'as-is') === 'by-event';
    const role =
      mapped ??
      (byEvent && (foreign === undefined || !(SERVICES as readonly string[]).includes(foreign))
        ? roleByEvent(event)
        : foreign);
    if (role !== undefined) out[F.SERVICE_NAME] = role;
    if (instance !== undefined) out[F.SERVICE_INSTANCE] = instance;
    else if (foreign !== undefined && foreign !== role) out[F.SERVICE_INSTANCE] = foreign;
    if (statusRoute !== STATUS_ROUTE && event !== undefined) markStatusPoll(out, event, statusRoute);
    return out;
  };
  if (spec.lines === 'otlp' && Array.isArray(value.resourceLogs)) return otlpRecords(value).map(mapRecord);
  return [mapRecord(value)];
}
