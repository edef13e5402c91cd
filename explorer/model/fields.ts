/**
 * Typed reads of log-record fields and the time and duration formats every view shares.
 * Records come from other processes (and from nginx), so every read tolerates a missing or
 * oddly typed value instead of trusting the writer.
 */
import { F, type LogRecord, NS_PER_MS } from '../../contract/vocabulary.ts';

/** A string field, or undefined when absent or empty. */
export function str(record: LogRecord, field: string): string | undefined {
  const value = record[field];
  if (typeof value === 'string') return value === '' || value === '-' ? undefined : value;
  if (typeof value === 'number' && Number.isFinite(value)) return String(value);
  return undefined;
}

/** A numeric field, or undefined when absent or not a finite number. */
export function num(record: LogRecord, field: string): number | undefined {
  const value = record[field];
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value === 'string' && value !== '' && value !== '-') {
    const parsed = Number(value);
    return Number.isFinite(parsed) ? parsed : undefined;
  }
  return undefined;
}

/** A boolean field written as true/false or "true"/"false". */
export function bool(record: LogRecord, field: string): boolean {
  const value = record[field];
  return value === true || value === 'true';
}

/** A nanosecond field converted to milliseconds. */
export function nsAsMs(record: LogRecord, field: string): number | undefined {
  const ns = num(record, field);
  return ns === undefined ? undefined : ns / NS_PER_MS;
}

/** Epoch ms of the line's @timestamp, or undefined when it is missing or unparsable. */
export function timestampOf(record: LogRecord): number | undefined {
  const value = record[F.TIMESTAMP];
  if (typeof value === 'number') return Number.isFinite(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/** Wall-clock time of day in UTC with milliseconds: 10:15:23.012. */
export function formatClock(ms: number): string {
  return new Date(ms).toISOString().slice(11, 23);
}

/** Full UTC timestamp for headers and JSON. */
export function formatIso(ms: number): string {
  return new Date(ms).toISOString();
}

/** A duration for people: 0.4 ms, 340 ms, 1.24 s, 2 m 03 s. */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (ms < 1) return `${ms.toFixed(2)} ms`;
  if (ms < 10) return `${ms.toFixed(1)} ms`;
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 10_000) return `${(ms / 1000).toFixed(2)} s`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.round((ms % 60_000) / 1000);
  if (minutes < 60) return `${minutes} m ${String(seconds).padStart(2, '0')} s`;
  return `${Math.floor(minutes / 60)} h ${String(minutes % 60).padStart(2, '0')} m`;
}

/** Shorten a long id for narrow columns, keeping both ends so it stays recognisable. */
export function shortId(id: string, max = 12): string {
  if (id.length <= max) return id;
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return `${id.slice(0, head)}…${id.slice(id.length - tail)}`;
}
