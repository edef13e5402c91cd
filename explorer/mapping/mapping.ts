/**
 * A compiled mapping: foreign lines in, contract lines out, so the model never learns a
 * foreign field name. Pure. The `dtq` profile compiles to the identity, which the sources
 * skip altogether: lines already in the contract's shape cost nothing extra.
 */
import { EVENTS, F, type LogRecord, SERVICES } from '../../contract/vocabulary.ts';
import { CONTRACT_EVENTS, isTime } from '../model/fields.ts';
import { STATUS_ROUTE } from '../model/join.ts';
import { percentDecode } from '../model/paths.ts';
import { compilePath, isPlainObject, type PathReader } from './field-path.ts';
import { otlpRecords, otlpSplitRecords, type SplitRecord } from './otlp.ts';
import { MAX_NESTING, setField, TOO_DEEP } from './safe-record.ts';
import type { MappingSpec, Role } from './spec.ts';

/** A mapping ready to apply to parsed lines. */
export interface Mapping {
  readonly name: string;
  /** True when lines are contract lines already: callers skip {@link Mapping.map}. */
  readonly identity: boolean;
  /** How a physical line holds records (see {@link MappingSpec.lines}). */
  readonly lines: 'record' | 'otlp';
  /**
   * The contract records one parsed physical line holds (an OTLP export holds many). Fields
   * read into contract fields are dropped under their own names; the rest are kept.
   */
  map(value: LogRecord): LogRecord[];
  /** The foreign fields a contract field is read from, first present wins (for queries by id). */
  fieldsOf(contractField: string): readonly string[];
  /** The status-poll route, `:task_id` standing for the task. */
  readonly statusRoute: string;
}

const CONTRACT_ROLES: ReadonlySet<string> = new Set(SERVICES);

/** The role an event implies, for services a mapping does not name. */
function roleByEvent(action: string | undefined): Role {
  if (action === undefined) return 'other';
  if (action === EVENTS.NGINX_ACCESS) return 'nginx';
  if (action.startsWith('http.') || action.startsWith('idempotency.') || action === EVENTS.TASK_ENQUEUED) return 'api';
  if (action === EVENTS.TASK_STATUS_READ) return 'api';
  if (action.startsWith('task.') || action.startsWith('lock.') || action.startsWith('result.')) return 'worker';
  return 'other';
}

/**
 * The record's own fields, nested objects as dotted keys, without the `consumed` ones: one
 * new object, however deep the record. An object {@link MAX_NESTING} levels down becomes
 * {@link TOO_DEEP}, which also bounds the recursion.
 */
function copyFlat(record: LogRecord, consumed: ReadonlySet<string>): LogRecord {
  const out: LogRecord = {};
  copyInto(out, record, '', 1, consumed);
  return out;
}

function copyInto(
  out: LogRecord,
  value: Record<string, unknown>,
  prefix: string,
  level: number,
  consumed: ReadonlySet<string>,
): void {
  // for…in rather than Object.keys: V8 walks a JSON.parse object's keys from its map's cache,
  // with no array per object. A parsed record's prototype is Object.prototype, which has no
  // enumerable keys, so the two list the same keys in the same order.
  for (const key in value) {
    const v = value[key];
    const name = prefix === '' ? key : `${prefix}${key}`;
    if (!isPlainObject(v)) {
      if (!consumed.has(name)) setField(out, name, v);
    } else if (level < MAX_NESTING) copyInto(out, v, `${name}.`, level + 1, consumed);
    else if (!consumed.has(name)) setField(out, name, TOO_DEEP);
  }
}

function present(value: unknown): boolean {
  return value !== undefined && value !== null && value !== '';
}

/**
 * A time as the contract writes it (ISO-8601 with milliseconds and a zone), from an ISO
 * string, epoch milliseconds, microseconds or nanoseconds (number or digit string). A number
 * no Date can hold is left as it is: the model reads the line as one without a time.
 */
export function contractTime(value: unknown): unknown {
  let ms: number;
  if (typeof value === 'string' && /^\d{10,19}$/.test(value))
    // Digits cut as text: nanoseconds do not fit a double exactly.
    ms =
      Number(value.length >= 18 ? value.slice(0, -6) : value.length >= 15 ? value.slice(0, -3) : value) *
      (value.length <= 11 ? 1000 : 1);
  else if (typeof value === 'number' && Number.isFinite(value))
    ms = value > 1e17 ? value / 1e6 : value > 1e14 ? value / 1e3 : value < 1e11 ? value * 1000 : value;
  else return value;
  return isTime(ms) ? isoTime(Math.round(ms)) : value;
}

/** The last second {@link isoTime} formatted, and its text up to the milliseconds. */
let lastSecond = Number.NaN;
let lastSecondText = '';
/** The first millisecond of year 10000: from there on an ISO year takes six digits and a sign. */
const YEAR_10000_MS = 253_402_300_800_000;

/**
 * `new Date(ms).toISOString()`, formatting each second once: a log's lines come many to a
 * second, and toISOString costs more than the rest of mapping a line.
 */
export function isoTime(ms: number): string {
  if (!Number.isInteger(ms) || ms < 0 || ms >= YEAR_10000_MS) return new Date(ms).toISOString();
  const milli = ms % 1000;
  const second = ms - milli;
  if (second !== lastSecond) {
    lastSecond = second;
    lastSecondText = new Date(second).toISOString().slice(0, 20);
  }
  return `${lastSecondText}${milli < 10 ? '00' : milli < 100 ? '0' : ''}${milli}Z`;
}

/** The parts of a status route around its `:task_id` segment. */
function routeParts(route: string): { prefix: string; suffix: string } {
  const at = route.indexOf(':task_id');
  return { prefix: route.slice(0, at), suffix: route.slice(at + ':task_id'.length) };
}

/**
 * Where a contract field is read from: one foreign name, and whether a split record holds it
 * aside (see {@link otlpSplitRecords}).
 */
interface Source {
  readonly read: PathReader;
  readonly aside: boolean;
}

/** The first present value of `sources`, each read from its part of the record. */
function first(sources: readonly Source[], kept: LogRecord, aside: LogRecord): unknown {
  for (let i = 0; i < sources.length; i++) {
    const source = sources[i] as Source;
    const value = source.read(source.aside ? aside : kept);
    if (present(value)) return value;
  }
  return undefined;
}

/** Compile a spec (already validated, see load.ts) into a mapping. */
export function compileMapping(spec: MappingSpec): Mapping {
  const statusRoute = spec.statusRoute ?? STATUS_ROUTE;
  const identity =
    (spec.lines ?? 'record') === 'record' &&
    spec.fields === undefined &&
    spec.services === undefined &&
    spec.events === undefined &&
    spec.messages === undefined &&
    statusRoute === STATUS_ROUTE;
  const rules = new Map<string, readonly string[]>();
  for (const [contract, from] of Object.entries(spec.fields ?? {}))
    rules.set(contract, typeof from === 'string' ? [from] : from);
  const fieldsOf = (contract: string): readonly string[] => rules.get(contract) ?? [contract];
  // Foreign fields read into contract fields are not kept twice under their own names: the
  // line stays the size of a contract line, which the model and --json then handle.
  const consumed = new Set<string>();
  for (const [contract, from] of rules) for (const name of from) if (name !== contract) consumed.add(name);
  for (const contract of Object.values(F)) consumed.delete(contract);
  const paths = new Map<string, PathReader>();
  const sourcesOf = (contract: string): readonly Source[] =>
    fieldsOf(contract).map((name) => ({ read: compilePath(name, paths), aside: consumed.has(name) }));

  // Fields with their own handling below; every other rule is a plain rename.
  const special = new Set<string>([F.TIMESTAMP, F.SERVICE_NAME, F.SERVICE_INSTANCE, F.EVENT_ACTION]);
  const renames = [...rules.keys()].filter((contract) => !special.has(contract));
  const renameSources = renames.map(sourcesOf);
  const timeSources = sourcesOf(F.TIMESTAMP);
  const actionSources = sourcesOf(F.EVENT_ACTION);
  const nameSources = sourcesOf(F.SERVICE_NAME);
  const instanceSources = sourcesOf(F.SERVICE_INSTANCE);
  const services = new Map(Object.entries(spec.services ?? {}));
  const events = new Map(Object.entries(spec.events ?? {}));
  const patterns = (spec.messages ?? []).map((p) => ({ regex: new RegExp(p.match), event: p.event }));
  const byEvent = (spec.unknownServices ?? 'as-is') === 'by-event';
  const route = statusRoute === STATUS_ROUTE ? undefined : routeParts(statusRoute);
  const renamed: unknown[] = new Array(renames.length);

  /**
   * One record mapped into `out`: a copy of its kept fields, or `kept` itself when the record
   * was split as it was built. Every read comes before the first write, so `out` may be `kept`.
   */
  const mapInto = (kept: LogRecord, aside: LogRecord, out: LogRecord): LogRecord => {
    for (let i = 0; i < renames.length; i++) renamed[i] = first(renameSources[i] as Source[], kept, aside);
    const time = first(timeSources, kept, aside);
    const rawAction = first(actionSources, kept, aside);
    const name = first(nameSources, kept, aside);
    const instance = first(instanceSources, kept, aside);
    for (let i = 0; i < renames.length; i++) if (renamed[i] !== undefined) out[renames[i] as string] = renamed[i];
    if (time !== undefined) out[F.TIMESTAMP] = contractTime(time);

    let event = typeof rawAction === 'string' ? (events.get(rawAction) ?? rawAction) : undefined;
    if (patterns.length > 0 && (event === undefined || !CONTRACT_EVENTS.has(event))) {
      // `message` is a contract field, never consumed: a text left in the record is in `out`.
      const text = out[F.MESSAGE];
      if (typeof text === 'string')
        for (const { regex, event: matched } of patterns) {
          const match = regex.exec(text);
          if (match === null) continue;
          event = matched;
          for (const [group, value] of Object.entries(match.groups ?? {}))
            if (value !== undefined && !present(out[group])) out[group] = value;
          break;
        }
    }
    if (event !== undefined) out[F.EVENT_ACTION] = event;

    const foreign = typeof name === 'string' ? name : undefined;
    const mapped = foreign === undefined ? undefined : services.get(foreign);
    const role =
      mapped ?? (byEvent && (foreign === undefined || !CONTRACT_ROLES.has(foreign)) ? roleByEvent(event) : foreign);
    if (role !== undefined) out[F.SERVICE_NAME] = role;
    if (instance !== undefined) out[F.SERVICE_INSTANCE] = instance;
    else if (foreign !== undefined && foreign !== role) out[F.SERVICE_INSTANCE] = foreign;

    if (route !== undefined && event !== undefined) markStatusPoll(out, event, route, statusRoute);
    return out;
  };
  const mapRecord = (record: LogRecord): LogRecord => mapInto(record, record, copyFlat(record, consumed));

  return {
    name: spec.name,
    identity,
    lines: spec.lines ?? 'record',
    statusRoute,
    fieldsOf,
    map(value) {
      if (spec.lines !== 'otlp' || !Array.isArray(value.resourceLogs)) return [mapRecord(value)];
      // Split as built, an export's records need no second copy; one with nested values cannot be split.
      const split = otlpSplitRecords(value, consumed);
      if (split === undefined) return otlpRecords(value).map(mapRecord);
      const records: LogRecord[] = new Array(split.length);
      for (let i = 0; i < split.length; i++) {
        const { kept, aside } = split[i] as SplitRecord;
        records[i] = mapInto(kept, aside, kept);
      }
      return records;
    },
  };
}

/**
 * A GET on the mapping's status route becomes a poll in the contract's own terms (the
 * contract's route and the task id), so the model and the sources know one route only.
 */
function markStatusPoll(
  out: LogRecord,
  action: string,
  route: { prefix: string; suffix: string },
  statusRoute: string,
): void {
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
  const path = out[F.URL_PATH];
  if (typeof path !== 'string' || !path.startsWith(route.prefix) || !path.endsWith(route.suffix)) return;
  const segment = path.slice(route.prefix.length, path.length - route.suffix.length);
  if (segment === '' || segment.includes('/') || segment.includes('?')) return;
  if (!present(out[F.TASK_ID])) out[F.TASK_ID] = percentDecode(segment);
  out[F.HTTP_ROUTE] = STATUS_ROUTE;
}
