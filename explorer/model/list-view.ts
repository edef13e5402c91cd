/**
 * What the fleet view shows of the requests: the filters (the command line's and the TUI's),
 * the sort by any column, and the text a search or a free-text filter looks in. Pure, so the
 * CLI, --json and the TUI list the same rows.
 */
import { matchesQuery } from './navigation.ts';
import type { RequestSummary } from './request-list.ts';
import { TASK_STATES, type TaskState } from './request-list.ts';

/** Filters of the list: `--since`, `--service`, `--status`, `--type`, `--queue`, `--worker`, `--min-duration`, `--find`. */
export interface RequestFilter {
  readonly sinceMs?: number | undefined;
  /** Service name (api, worker, nginx) or instance (worker-2). */
  readonly service?: string | undefined;
  /** 'failed', an exact code ('202'), a class ('4xx') or a task state ('dead-lettered'). */
  readonly status?: string | undefined;
  /** Task type, exactly. */
  readonly type?: string | undefined;
  /** Queue, exactly. */
  readonly queue?: string | undefined;
  /** A worker that ran one of its attempts. */
  readonly worker?: string | undefined;
  /** Total duration at least this (ms). */
  readonly minDurationMs?: number | undefined;
  /** Free text, case-insensitive, in any id or attribute of the row ({@link rowText}). */
  readonly text?: string | undefined;
  readonly sort?: SortOrder | undefined;
  readonly limit?: number | undefined;
  /** A test of its own, for a filter the rows alone cannot tell (`--status stuck` compares with the window). */
  readonly keep?: ((row: RequestSummary) => boolean) | undefined;
}

/** The columns the list sorts by. */
export const SORT_KEYS = [
  'time',
  'id',
  'route',
  'status',
  'type',
  'queue',
  'worker',
  'state',
  'attempts',
  'duration',
] as const;
/** A column of {@link SORT_KEYS}. */
export type SortKey = (typeof SORT_KEYS)[number];

/** A column and a direction. */
export interface SortOrder {
  readonly key: SortKey;
  readonly descending: boolean;
}

/** Newest first: the list's order unless told otherwise. */
export const DEFAULT_SORT: SortOrder = { key: 'time', descending: true };

/** What `--status` accepts. */
export function isStatusFilter(value: string): boolean {
  return /^(failed|stuck|\d{3}|\dxx)$/i.test(value) || (TASK_STATES as readonly string[]).includes(value.toLowerCase());
}

/** Filter, sort and cut the rows. */
export function listRequests(rows: readonly RequestSummary[], filter: RequestFilter = {}): RequestSummary[] {
  const limit = filter.limit ?? Number.POSITIVE_INFINITY;
  // Sorted, then cut: `--sort duration --limit 10` is the ten slowest.
  return rows
    .filter((row) => matches(row, filter))
    .sort(compareBy(filter.sort ?? DEFAULT_SORT))
    .slice(0, Math.max(0, limit));
}

/** The rows in the order of one column; ties fall back to newest first, then the id. */
export function sortRows(rows: readonly RequestSummary[], order: SortOrder): RequestSummary[] {
  return [...rows].sort(compareBy(order));
}

function compareBy(order: SortOrder): (a: RequestSummary, b: RequestSummary) => number {
  const sign = order.descending ? -1 : 1;
  return (a, b) =>
    compareValues(sortValue(a, order.key), sortValue(b, order.key), sign) ||
    b.at - a.at ||
    a.correlationId.localeCompare(b.correlationId);
}

/** Missing values sort after present ones, whatever the direction would put first. */
function compareValues(a: string | number | undefined, b: string | number | undefined, sign: 1 | -1): number {
  if (a === undefined || b === undefined) return a === b ? 0 : a === undefined ? 1 : -1;
  if (typeof a === 'number' && typeof b === 'number') return sign * (a - b);
  return sign * String(a).localeCompare(String(b));
}

function sortValue(row: RequestSummary, key: SortKey): string | number | undefined {
  switch (key) {
    case 'time':
      return row.at;
    case 'id':
      return row.correlationId;
    case 'route':
      return row.route;
    case 'status':
      return row.status;
    case 'type':
      return row.taskType;
    case 'queue':
      return row.queue;
    case 'worker':
      return row.worker;
    case 'state':
      return row.state === undefined ? undefined : TASK_STATES.indexOf(row.state);
    case 'attempts':
      return row.attempts;
    case 'duration':
      return row.totalMs;
  }
}

/** Every id and attribute of a row, for search and the free-text filter. */
export function rowText(row: RequestSummary): readonly (string | undefined)[] {
  return [
    row.correlationId,
    ...row.taskIds,
    row.method,
    row.route,
    row.status === undefined ? undefined : String(row.status),
    row.taskType,
    row.queue,
    ...row.workers,
    ...row.instances,
    ...row.services,
    row.state,
    row.reason,
    row.idempotencyKey,
  ];
}

/** Case-insensitive: does any id or attribute of the row contain `text`? */
export function rowMatchesText(row: RequestSummary, text: string): boolean {
  return text.trim() === '' || matchesQuery(text, ...rowText(row));
}

function matches(row: RequestSummary, filter: RequestFilter): boolean {
  if (filter.sinceMs !== undefined && row.at < filter.sinceMs) return false;
  if (filter.service !== undefined && !row.services.includes(filter.service) && !row.instances.includes(filter.service))
    return false;
  if (filter.type !== undefined && !(row.taskType ?? '').split(',').includes(filter.type)) return false;
  if (filter.queue !== undefined && !(row.queue ?? '').split(',').includes(filter.queue)) return false;
  if (filter.worker !== undefined && !row.workers.includes(filter.worker)) return false;
  if (filter.minDurationMs !== undefined && row.totalMs < filter.minDurationMs) return false;
  if (filter.text !== undefined && !rowMatchesText(row, filter.text)) return false;
  if (filter.keep !== undefined && !filter.keep(row)) return false;
  return filter.status === undefined || matchesStatus(row, filter.status.toLowerCase());
}

function matchesStatus(row: RequestSummary, wanted: string): boolean {
  if (wanted === 'failed') return row.failed;
  // Stuck needs the window's run times: the caller's `keep` tells (fleet-feed.ts).
  if (wanted === 'stuck') return row.state === 'running';
  if ((TASK_STATES as readonly string[]).includes(wanted)) return row.state === (wanted as TaskState);
  if (/^\dxx$/.test(wanted)) return row.status !== undefined && String(row.status)[0] === wanted[0];
  return row.status !== undefined && String(row.status) === wanted;
}

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A duration such as 250ms, 2s, 1.5m, 2h, 1d, in ms; undefined when it is none. */
export function parseDuration(text: string): number | undefined {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)$/.exec(text.trim());
  if (!match) return undefined;
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

/** Parse `--since`: a duration back from now (90s, 15m, 2h, 1d) or an ISO date. */
export function parseSince(text: string, now: number): number | undefined {
  const back = parseDuration(text);
  if (back !== undefined) return now - back;
  const ms = Date.parse(text);
  return Number.isNaN(ms) ? undefined : ms;
}

/** What the list screen shows of the rows: its own sort, free-text filter and cursor. */
export interface ListView {
  readonly sort: SortOrder;
  /** Free text the rows must hold (`f`); empty for every row. */
  readonly filter: string;
  /** The row under the cursor, by correlation id: it stays under the cursor as rows arrive. */
  readonly selectedId: string | undefined;
  /** Where the cursor was, for when its row is gone. */
  readonly selectedIndex: number;
}

/** The list screen's view before any key. */
export const INITIAL_VIEW: ListView = { sort: DEFAULT_SORT, filter: '', selectedId: undefined, selectedIndex: 0 };

/** The rows the screen shows, in its order. */
export function visibleRows(rows: readonly RequestSummary[], view: ListView): RequestSummary[] {
  return sortRows(view.filter.trim() === '' ? rows : rows.filter((row) => rowMatchesText(row, view.filter)), view.sort);
}

/** Index of the cursor's row: its id's row, else the same place, within the rows. */
export function cursorIndex(rows: readonly RequestSummary[], view: ListView): number {
  if (view.selectedId !== undefined) {
    const found = rows.findIndex((row) => row.correlationId === view.selectedId);
    if (found >= 0) return found;
  }
  return Math.max(0, Math.min(view.selectedIndex, rows.length - 1));
}

/** The next column to sort by (`s`), each in its natural direction: time and numbers descending. */
export function nextSort(order: SortOrder): SortOrder {
  return naturalOrder(SORT_KEYS[(SORT_KEYS.indexOf(order.key) + 1) % SORT_KEYS.length] as SortKey);
}

/** A column in the direction one usually wants first: newest, slowest, most; text A to Z. */
export function naturalOrder(key: SortKey): SortOrder {
  return { key, descending: key === 'time' || key === 'duration' || key === 'attempts' || key === 'status' };
}

/** `--sort`: a column (in its natural direction), `COL:asc`, `COL:desc`, or `-COL` for descending. */
export function parseSort(text: string): SortOrder | undefined {
  const match = /^(-)?([a-z]+)(?::(asc|desc))?$/.exec(text.trim().toLowerCase());
  if (!match || !(SORT_KEYS as readonly string[]).includes(match[2] as string)) return undefined;
  const key = match[2] as SortKey;
  if (match[1] !== undefined) return { key, descending: match[3] !== 'asc' };
  return match[3] === undefined ? naturalOrder(key) : { key, descending: match[3] === 'desc' };
}

/** Requests per task state, in {@link TASK_STATES} order, and how many failed: the list's header. */
export function stateCounts(rows: readonly RequestSummary[]): { state: TaskState; count: number }[] {
  const counts = new Map<TaskState, number>();
  for (const row of rows) if (row.state !== undefined) counts.set(row.state, (counts.get(row.state) ?? 0) + 1);
  return TASK_STATES.flatMap((state) => {
    const count = counts.get(state);
    return count === undefined ? [] : [{ state, count }];
  });
}
