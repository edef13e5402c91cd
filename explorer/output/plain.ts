/**
 * --plain: the trace as text for pipes and bug reports. Same rows as the TUI, every id in
 * full (copy-friendly), then duplicates grouped by idempotency key, gaps and warnings.
 */
import { printable } from '../../contract/terminal-text.ts';
import { groupDuplicates, groupHeading } from '../model/duplicate-groups.ts';
import { formatClock, formatDuration, formatIso } from '../model/fields.ts';
import type { RequestSummary } from '../model/request-list.ts';
import { traceToRows } from '../model/rows.ts';
import type { Trace } from '../model/types.ts';
import { renderBar } from './bars.ts';
import { headerLine, LIST_COLUMNS, rowLine } from './list-columns.ts';

/** Options of the plain renderers. */
export interface PlainOptions {
  /** Columns available; the bar shrinks to fit. Default 100. */
  readonly width?: number;
  /** Where the lines came from, shown in the header. */
  readonly source?: string;
}

/** The trace as plain text. */
export function renderTracePlain(trace: Trace, options: PlainOptions = {}): string {
  const width = options.width ?? 100;
  const barWidth = Math.max(10, Math.min(40, Math.floor(width / 4)));
  const total = Math.max(1, trace.endedAt - trace.startedAt);
  const out: string[] = [];
  out.push(
    `correlation id: ${trace.correlationId}${trace.focusTaskId ? `   (opened from task ${trace.focusTaskId})` : ''}`,
  );
  if (options.source) out.push(`source:         ${options.source}`);
  out.push(`tasks:          ${trace.tasks.map((t) => t.taskId).join(', ') || '(none)'}`);
  out.push(`outcome:        ${trace.outcome.status.toUpperCase().replace('_', ' ')} · ${trace.outcome.summary}`);
  if (trace.outcome.divergence) out.push(`DIVERGENCE:     ${trace.outcome.divergence}`);
  out.push(
    `span:           ${formatIso(trace.startedAt)} · ${formatDuration(total)} · ${trace.lines.length} lines${trace.inFlight ? ' · in flight' : ''}`,
  );
  out.push('');
  out.push(
    `${'time (UTC)'.padEnd(12)}  ${'0'.padEnd(barWidth - formatDuration(total).length)}${formatDuration(total)}  stage`,
  );
  for (const row of traceToRows(trace)) {
    const clock = formatClock(trace.startedAt + row.start);
    const indent = '  '.repeat(row.depth);
    const marker = row.marker ? `${row.marker} ` : row.isError ? '✗ ' : '';
    const note = row.note ? `  [${row.note}]` : '';
    out.push(`${clock}  ${renderBar(row, total, barWidth)}  ${indent}${marker}${row.label}${note}`);
  }
  const duplicates = trace.duplicates;
  if (duplicates.length > 0) {
    out.push('', `Duplicates blocked (${duplicates.length}), by idempotency key:`);
    for (const group of groupDuplicates(duplicates)) {
      out.push(`  ${groupHeading(group.key)}`);
      for (const d of group.duplicates) {
        const who = d.direction === 'blocked' ? 'this request' : `request ${d.correlationId ?? '?'}`;
        out.push(
          `    ${formatClock(d.at)}  ${d.kind}  ${who}${d.taskId ? ` (task ${d.taskId})` : ''} → original task ${d.originalTaskId ?? '?'} (request ${d.originalCorrelationId ?? '?'})`,
        );
      }
    }
  }
  if (trace.gaps.length > 0) {
    out.push('', 'Missing:');
    for (const gap of trace.gaps) out.push(`  ∅ ${gap.message}`);
  }
  if (trace.warnings.length > 0) {
    out.push('', 'Warnings:');
    for (const warning of trace.warnings) out.push(`  ! ${warning}`);
  }
  return linesText(out);
}

/**
 * The output lines as text. Paths, ids and messages in them were logged, so client-supplied:
 * each line is made printable as a whole, so no logged newline or escape sequence reaches
 * the terminal raw.
 */
function linesText(lines: readonly string[]): string {
  return `${lines.map((line) => printable(line)).join('\n')}\n`;
}

/** The fleet view as a plain table: every column, every id in full, `✗` after a failed request. */
export function renderListPlain(list: readonly RequestSummary[], options: PlainOptions = {}): string {
  const out: string[] = [];
  if (options.source) out.push(`source: ${options.source}`);
  out.push(headerLine(LIST_COLUMNS));
  for (const s of list) out.push(`${rowLine(s, LIST_COLUMNS)}${s.failed ? '  ✗' : ''}`);
  if (list.length === 0) out.push('(no requests in this range)');
  return linesText(out);
}
