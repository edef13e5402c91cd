/**
 * The fleet view's columns as data: header, width, alignment, the sort key each stands for,
 * and which go first when the screen is narrow. --plain prints every column; the TUI keeps
 * the most useful ones that fit. Cells hold logged text: callers make lines printable.
 */
import { formatClock, formatDuration, shortId } from '../model/fields.ts';
import { type SortKey, type SortOrder, stateCounts } from '../model/list-view.ts';
import { overview } from '../model/overview.ts';
import type { RequestSummary } from '../model/request-list.ts';
import { clip } from './bars.ts';
import { sparkline } from './overview-plain.ts';

/** One column of the list. */
export interface ListColumn {
  readonly header: string;
  readonly width: number;
  readonly align: 'left' | 'right';
  readonly sortKey: SortKey | undefined;
  /** Lower is kept longer when the screen is narrow. */
  readonly keep: number;
  cell(row: RequestSummary): string;
}

const dash = (value: string | number | undefined): string => (value === undefined ? '-' : String(value));

/** Every column, in screen order; the correlation id is last and takes what is left. */
export const LIST_COLUMNS: readonly ListColumn[] = [
  { header: 'time (UTC)', width: 12, align: 'left', sortKey: 'time', keep: 0, cell: (r) => formatClock(r.at) },
  { header: 'sta', width: 3, align: 'right', sortKey: 'status', keep: 1, cell: (r) => dash(r.status) },
  { header: 'state', width: 13, align: 'left', sortKey: 'state', keep: 2, cell: (r) => dash(r.state) },
  { header: 'att', width: 3, align: 'right', sortKey: 'attempts', keep: 7, cell: (r) => dash(r.attempts || undefined) },
  {
    header: 'duration',
    width: 8,
    align: 'right',
    sortKey: 'duration',
    keep: 3,
    cell: (r) => formatDuration(r.totalMs),
  },
  { header: 'type', width: 22, align: 'left', sortKey: 'type', keep: 4, cell: (r) => dash(r.taskType) },
  { header: 'queue', width: 6, align: 'left', sortKey: 'queue', keep: 8, cell: (r) => dash(r.queue) },
  { header: 'worker', width: 8, align: 'left', sortKey: 'worker', keep: 5, cell: (r) => dash(r.worker) },
  {
    header: 'dup',
    width: 3,
    align: 'right',
    sortKey: undefined,
    keep: 9,
    cell: (r) => dash(r.duplicates || undefined),
  },
  {
    header: 'route',
    width: 24,
    align: 'left',
    sortKey: 'route',
    keep: 6,
    cell: (r) => `${r.method ?? ''} ${r.route ?? ''}`.trim() || '-',
  },
  { header: 'reason', width: 32, align: 'left', sortKey: undefined, keep: 10, cell: (r) => dash(r.reason) },
];

/** Header of the correlation id column, which closes every line. */
export const ID_HEADER = 'correlation id';
/** The correlation id keeps at least this many characters on screen. */
const MIN_ID_WIDTH = 15;

/**
 * The columns that fit in `width` with the correlation id after them, in screen order. A
 * column empty in every one of `rows` (no task anywhere: no type, no worker) gives its room
 * to the next.
 */
export function columnsFor(width: number, rows: readonly RequestSummary[] = []): ListColumn[] {
  const candidates = [...LIST_COLUMNS]
    .filter((column) => column.keep <= 3 || rows.length === 0 || rows.some((row) => column.cell(row) !== '-'))
    .sort((a, b) => a.keep - b.keep);
  // Most useful first; a column too wide for what is left makes way for narrower ones after it.
  const kept = new Set<ListColumn>();
  let used = MIN_ID_WIDTH;
  for (const column of candidates) {
    if (used + column.width + 1 > width) continue;
    kept.add(column);
    used += column.width + 1;
  }
  return LIST_COLUMNS.filter((column) => kept.has(column));
}

function cellText(text: string, column: ListColumn, whole = false): string {
  const clipped = whole ? text : clip(text, column.width);
  return column.align === 'right' ? clipped.padStart(column.width) : clipped.padEnd(column.width);
}

/** The header line, the sorted column marked ▲ or ▼. */
export function headerLine(columns: readonly ListColumn[], sort?: SortOrder): string {
  const cells = columns.map((column) => {
    const mark = sort !== undefined && column.sortKey === sort.key ? (sort.descending ? '▼' : '▲') : '';
    return cellText(`${column.header}${mark}`, column);
  });
  const idMark = sort?.key === 'id' ? (sort.descending ? '▼' : '▲') : '';
  return [...cells, `${ID_HEADER}${idMark}`].join(' ');
}

/**
 * One row as a line. With `width` (the screen), cells are cut to their column and the
 * correlation id shortened (both ends kept) to fit; without (--plain), every value is whole.
 */
export function rowLine(row: RequestSummary, columns: readonly ListColumn[], width?: number): string {
  const head = columns.map((column) => `${cellText(column.cell(row), column, width === undefined)} `).join('');
  const room = width === undefined ? undefined : Math.max(MIN_ID_WIDTH, width - [...head].length);
  return `${head}${room === undefined ? row.correlationId : shortId(row.correlationId, room)}`;
}

/** The line under the title: requests per state and the error share. */
export function statesLine(rows: readonly RequestSummary[]): string {
  const counts = stateCounts(rows)
    .map(({ state, count }) => `${state} ${count}`)
    .join(' · ');
  if (rows.length === 0) return counts || 'no tasks';
  const failed = rows.filter((row) => row.failed).length;
  return `${counts || 'no tasks'} · failed ${((100 * failed) / rows.length).toFixed(1)}%`;
}

/** The rate over time and the request latency, for the title line; empty without requests. */
export function rateLine(rows: readonly RequestSummary[]): string | undefined {
  if (rows.length === 0) return undefined;
  const o = overview(rows, []);
  // Half as many cells as --stats draws: the title shares its line.
  const halves = o.requestsOverTime.flatMap((n, i, all) => (i % 2 === 0 ? [n + (all[i + 1] ?? 0)] : []));
  const parts = [
    o.requestsPerSecond === undefined ? undefined : `${o.requestsPerSecond.toFixed(1)}/s ${sparkline(halves)}`,
  ];
  const p = o.latency.request;
  if (p !== undefined)
    parts.push(`p50 ${formatDuration(p.p50)} p95 ${formatDuration(p.p95)} p99 ${formatDuration(p.p99)}`);
  return parts.filter(Boolean).join(' · ') || undefined;
}
