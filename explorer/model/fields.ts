/**
 * Typed reads of log-record fields and the time and duration formats every view shares.
 * Records come from other processes (and from nginx), so every read tolerates a missing or
 * oddly typed value instead of trusting the writer.
 */
import { EVENTS, F, type LogRecord, NS_PER_MS } from '../../contract/vocabulary.ts';

/** Every event the log contract names (docs/log-contract.md). */
export const CONTRACT_EVENTS: ReadonlySet<string> = new Set(Object.values(EVENTS));

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

/** The largest distance from the epoch a JavaScript Date can hold (±100,000,000 days). */
export const MAX_TIME_MS = 8.64e15;

/** True for an epoch ms a Date can hold (and so format); a logged number may be anything. */
export function isTime(ms: number | undefined): ms is number {
  return ms !== undefined && Number.isFinite(ms) && Math.abs(ms) <= MAX_TIME_MS;
}

/** Epoch ms of the line's @timestamp, or undefined when it is missing, unparsable or out of range. */
export function timestampOf(record: LogRecord): number | undefined {
  const value = record[F.TIMESTAMP];
  if (typeof value === 'number') return isTime(value) ? value : undefined;
  if (typeof value !== 'string') return undefined;
  const ms = canonicalIsoMs(value) ?? Date.parse(value);
  return Number.isNaN(ms) ? undefined : ms;
}

/**
 * Epoch ms of `2026-12-04T19:05:25.711Z`, the one form every dtq process writes, read digit by
 * digit; undefined for any other text, which Date.parse reads instead. A list pass reads the
 * time of every line of a log directory, and Date.parse's general parser is several times
 * slower. Only fields that cannot overflow are read here (days up to 28, hours up to 23, years
 * from 1000), so the result is Date.parse's for every text it accepts.
 */
export function canonicalIsoMs(text: string): number | undefined {
  if (
    text.length !== 24 ||
    text.charCodeAt(4) !== 0x2d ||
    text.charCodeAt(7) !== 0x2d ||
    text.charCodeAt(10) !== 0x54 ||
    text.charCodeAt(13) !== 0x3a ||
    text.charCodeAt(16) !== 0x3a ||
    text.charCodeAt(19) !== 0x2e ||
    text.charCodeAt(23) !== 0x5a
  )
    return undefined;
  const year = digitsAt(text, 0, 4);
  const month = digitsAt(text, 5, 2);
  const day = digitsAt(text, 8, 2);
  const hour = digitsAt(text, 11, 2);
  const minute = digitsAt(text, 14, 2);
  const second = digitsAt(text, 17, 2);
  const milli = digitsAt(text, 20, 3);
  // A digit that is not one reads as -1, and so makes the `|` negative.
  if ((hour | minute | second | milli) < 0) return undefined;
  if (year < 1000 || month < 1 || month > 12 || day < 1 || day > 28 || hour > 23 || minute > 59 || second > 59)
    return undefined;
  return Date.UTC(year, month - 1, day, hour, minute, second, milli);
}

/** The decimal number of `count` digits at `at`, or -1 when one of them is no digit. */
function digitsAt(text: string, at: number, count: number): number {
  let value = 0;
  for (let i = at; i < at + count; i++) {
    const digit = text.charCodeAt(i) - 0x30;
    if (digit < 0 || digit > 9) return -1;
    value = value * 10 + digit;
  }
  return value;
}

/** Shown instead of a time that a repair pushed out of a Date's range (it never throws). */
const NO_CLOCK = '--:--:--.---';

/** Wall-clock time of day in UTC with milliseconds: 10:15:23.012. */
export function formatClock(ms: number): string {
  return isTime(ms) ? new Date(ms).toISOString().slice(11, 23) : NO_CLOCK;
}

/** Full UTC timestamp for headers and JSON (`time out of range` when a Date cannot hold it). */
export function formatIso(ms: number): string {
  return isTime(ms) ? new Date(ms).toISOString() : 'time out of range';
}

/**
 * A duration for people: 0.40 ms, 4.2 ms, 340 ms, 1.24 s, 12.5 s, 2 m 03 s, 1 h 05 m. Each
 * unit's figure is rounded first and the unit chosen by the rounded figure, so a value just
 * under a boundary reads as the next unit (999.6 ms is 1.00 s, 119.6 s is 2 m 00 s), never
 * as 1000 ms or 1 m 60 s.
 */
export function formatDuration(ms: number): string {
  if (ms < 0) return `-${formatDuration(-ms)}`;
  if (Number(ms.toFixed(2)) < 1) return `${ms.toFixed(2)} ms`;
  if (Number(ms.toFixed(1)) < 10) return `${ms.toFixed(1)} ms`;
  if (Math.round(ms) < 1000) return `${Math.round(ms)} ms`;
  const s = ms / 1000;
  if (Number(s.toFixed(2)) < 10) return `${s.toFixed(2)} s`;
  if (Number(s.toFixed(1)) < 60) return `${s.toFixed(1)} s`;
  const seconds = Math.round(s);
  if (seconds < 3600) return `${Math.floor(seconds / 60)} m ${twoDigits(seconds % 60)} s`;
  const minutes = Math.round(ms / 60_000);
  return `${Math.floor(minutes / 60)} h ${twoDigits(minutes % 60)} m`;
}

function twoDigits(n: number): string {
  return String(n).padStart(2, '0');
}

/** Shorten a long id for narrow columns, keeping both ends so it stays recognisable. */
export function shortId(id: string, max = 12): string {
  if (id.length <= max) return id;
  const head = Math.ceil((max - 1) / 2);
  const tail = max - 1 - head;
  return `${id.slice(0, head)}…${id.slice(id.length - tail)}`;
}
