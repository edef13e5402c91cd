/**
 * --html FILE: one trace as one self-contained HTML page to attach to a bug report — the
 * waterfall with each row's log lines under it, the attempts of each task, the duplicates by
 * idempotency key, the gaps and warnings. Inline CSS, no script, no image, no link out, and a
 * Content-Security-Policy that forbids every fetch, so opening it reaches no network.
 * Every logged value is made printable (control characters shown as escapes), then
 * HTML-escaped.
 */
import { printable } from '../../contract/terminal-text.ts';
import { groupDuplicates, groupHeading } from '../model/duplicate-groups.ts';
import { formatClock, formatDuration, formatIso } from '../model/fields.ts';
import { traceToRows } from '../model/rows.ts';
import type { Row, Trace, TraceLine } from '../model/types.ts';

/** Logged text made safe for an HTML text node or attribute. */
export function escapeHtml(text: string): string {
  return printable(text).replace(
    /[&<>"']/g,
    (char) => ({ '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' })[char] as string,
  );
}

const STYLE = `
:root { color-scheme: light; --fg: #1f2328; --dim: #656d76; --line: #d0d7de; --bar: #0969da; --err: #cf222e;
  --dup: #9a6700; --gap: #8250df; --ok: #1a7f37; --bg-alt: #f6f8fa; }
* { box-sizing: border-box; }
body { font: 14px/1.45 system-ui, -apple-system, "Segoe UI", sans-serif; color: var(--fg); margin: 24px auto;
  max-width: 1200px; padding: 0 16px; }
h1 { font-size: 20px; margin: 0 0 4px; } h2 { font-size: 16px; margin: 28px 0 8px; border-bottom: 1px solid var(--line); }
code, pre, .mono { font-family: ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; font-size: 12.5px; }
.status { font-weight: 600; padding: 1px 8px; border-radius: 10px; color: #fff; background: var(--dim); }
.status.succeeded { background: var(--ok); } .status.failed, .status.stuck, .status.undetermined { background: var(--err); }
.status.in_flight { background: var(--bar); } .status.duplicate, .status.rejected { background: var(--dup); }
.divergence { color: var(--err); font-weight: 600; }
dl { display: grid; grid-template-columns: max-content 1fr; gap: 2px 12px; margin: 8px 0; }
dt { color: var(--dim); } dd { margin: 0; overflow-wrap: anywhere; }
table { border-collapse: collapse; width: 100%; }
th, td { text-align: left; vertical-align: top; padding: 3px 8px; border-bottom: 1px solid var(--line); }
th { color: var(--dim); font-weight: 500; }
.waterfall td.clock { white-space: nowrap; color: var(--dim); width: 1%; }
.waterfall td.bar { width: 32%; min-width: 200px; }
.track { position: relative; height: 14px; background: var(--bg-alt); border-radius: 2px; margin-top: 3px; }
.track span { position: absolute; top: 2px; height: 10px; background: var(--bar); border-radius: 2px; min-width: 2px; }
.track span.point { width: 8px; height: 8px; top: 3px; transform: translateX(-4px) rotate(45deg); border-radius: 0; }
tr.error .track span { background: var(--err); } tr.duplicate .track span { background: var(--dup); }
tr.gap .track span { background: var(--gap); }
tr.error td.label summary, tr.error td.label .text { color: var(--err); }
tr.duplicate td.label summary { color: var(--dup); } tr.gap td.label .text { color: var(--gap); }
tr.depth-0 td.label { font-weight: 600; }
td.label { overflow-wrap: anywhere; }
summary { cursor: pointer; }
.note { color: var(--dim); }
pre { background: var(--bg-alt); padding: 8px; margin: 6px 0; overflow-x: auto; white-space: pre-wrap; overflow-wrap: anywhere; }
.source { color: var(--dim); }
ul { margin: 4px 0; padding-left: 20px; }
.attempts td:not(:last-child), .attempts th { white-space: nowrap; }
footer { margin-top: 32px; color: var(--dim); font-size: 12px; }
`;

function lineBlock(line: TraceLine): string {
  const shift = line.at - line.writtenAt;
  const skew = shift === 0 ? '' : ` (shown ${shift > 0 ? '+' : ''}${shift} ms: clock skew corrected)`;
  // Line by line: JSON.stringify's own newlines stay, a newline inside a value is escaped already.
  const json = JSON.stringify(line.record, null, 2).split('\n').map(escapeHtml).join('\n');
  return `<div class="source mono">${escapeHtml(line.source)}${escapeHtml(skew)}</div><pre>${json}</pre>`;
}

function rowHtml(row: Row, trace: Trace, total: number): string {
  const left = (100 * Math.max(0, row.start)) / total;
  const point = row.end <= row.start;
  const width = point ? 0 : Math.max(0.2, (100 * (row.end - row.start)) / total);
  const kind = row.isError ? 'error' : row.kind === 'duplicate' ? 'duplicate' : row.kind === 'gap' ? 'gap' : '';
  const marker = row.marker ? `${row.marker} ` : row.isError ? '✗ ' : '';
  const label = `${escapeHtml(`${marker}${row.label}`)}${row.note ? ` <span class="note">[${escapeHtml(row.note)}]</span>` : ''}`;
  const lines = row.lineIds.flatMap((id) => trace.lines[id] ?? []);
  const body =
    lines.length === 0
      ? `<span class="text">${label}</span>`
      : `<details><summary>${label} <span class="note">· ${lines.length} line(s)</span></summary>${lines.map(lineBlock).join('')}</details>`;
  const bar = point
    ? `<span class="point" style="left:${left.toFixed(3)}%"></span>`
    : `<span style="left:${left.toFixed(3)}%;width:${Math.min(width, 100 - left).toFixed(3)}%"></span>`;
  return `<tr class="row kind-${row.kind} depth-${row.depth} ${kind}"><td class="clock mono">${formatClock(trace.startedAt + row.start)}</td><td class="bar"><div class="track">${bar}</div></td><td class="label" style="padding-left:${8 + row.depth * 18}px">${body}</td></tr>`;
}

function attemptsHtml(trace: Trace): string {
  if (trace.tasks.length === 0) return '';
  const sections = trace.tasks.map((task) => {
    const head = `<h3 class="mono">task ${escapeHtml(task.taskId)}</h3><p>${escapeHtml(
      [task.taskType, task.queue && `queue ${task.queue}`, task.outcome.replaceAll('_', ' ')]
        .filter(Boolean)
        .join(' · '),
    )}</p>`;
    if (task.attempts.length === 0) return `${head}<p class="note">No attempt started.</p>`;
    const rows = task.attempts
      .map(
        (a) =>
          `<tr class="${a.result === 'succeeded' || a.result === 'running' ? '' : 'error'}"><td>${a.number}${a.redelivered ? ' ↻' : ''}</td><td class="mono">${escapeHtml(a.instance)}</td><td class="mono">${formatClock(a.startedAt)}</td><td>${a.queueWaitMs === undefined ? '-' : formatDuration(a.queueWaitMs)}</td><td>${a.durationMs === undefined ? '-' : formatDuration(a.durationMs)}</td><td>${escapeHtml(a.result)}${a.failure ? `: ${escapeHtml(a.failure)}` : ''}${a.retryDelayMs === undefined ? '' : ` <span class="note">(retry in ${formatDuration(a.retryDelayMs)})</span>`}</td></tr>`,
      )
      .join('');
    return `${head}<table><thead><tr><th>#</th><th>worker</th><th>started (UTC)</th><th>queue wait</th><th>run</th><th>result</th></tr></thead><tbody>${rows}</tbody></table>`;
  });
  return `<section class="attempts"><h2>Attempts</h2>${sections.join('')}</section>`;
}

function duplicatesHtml(trace: Trace): string {
  if (trace.duplicates.length === 0) return '';
  const groups = groupDuplicates(trace.duplicates).map((group) => {
    const items = group.duplicates
      .map((d) => {
        const who = d.direction === 'blocked' ? 'this request' : `request ${d.correlationId ?? '?'}`;
        return `<li><span class="mono">${formatClock(d.at)}</span> ${escapeHtml(
          `${d.kind.replaceAll('_', ' ')} · ${who}${d.taskId ? ` (task ${d.taskId})` : ''} → original task ${d.originalTaskId ?? '?'} (request ${d.originalCorrelationId ?? '?'})`,
        )}</li>`;
      })
      .join('');
    return `<p class="mono">${escapeHtml(groupHeading(group.key, 'key '))}</p><ul>${items}</ul>`;
  });
  return `<section class="duplicates"><h2>Duplicates blocked (${trace.duplicates.length})</h2>${groups.join('')}</section>`;
}

function listSection(title: string, cls: string, items: readonly string[]): string {
  if (items.length === 0) return '';
  return `<section class="${cls}"><h2>${title}</h2><ul>${items.map((item) => `<li>${escapeHtml(item)}</li>`).join('')}</ul></section>`;
}

/** Options of {@link renderTraceHtml}. */
export interface HtmlOptions {
  /** Where the lines came from. */
  readonly source?: string;
  /** When the page was written (epoch ms), for its footer. */
  readonly generatedAt?: number;
}

/** The trace as one self-contained HTML page. */
export function renderTraceHtml(trace: Trace, options: HtmlOptions = {}): string {
  const total = Math.max(1, trace.endedAt - trace.startedAt);
  const status = trace.outcome.status;
  const rows = traceToRows(trace)
    .map((row) => rowHtml(row, trace, total))
    .join('\n');
  const facts: [string, string][] = [
    ['outcome', trace.outcome.summary],
    ['tasks', trace.tasks.map((t) => t.taskId).join(', ') || '(none)'],
    [
      'span',
      `${formatIso(trace.startedAt)} · ${formatDuration(total)} · ${trace.lines.length} lines${trace.inFlight ? ' · in flight' : ''}`,
    ],
  ];
  if (trace.focusTaskId) facts.push(['opened from task', trace.focusTaskId]);
  if (options.source) facts.push(['source', options.source]);
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta http-equiv="Content-Security-Policy" content="default-src 'none'; style-src 'unsafe-inline'">
<title>dtq-explore ${escapeHtml(trace.correlationId)}</title>
<style>${STYLE}</style>
</head>
<body>
<header>
<h1>Request <code>${escapeHtml(trace.correlationId)}</code> <span class="status ${status}">${escapeHtml(status.toUpperCase().replace('_', ' '))}</span></h1>
${trace.outcome.divergence ? `<p class="divergence">⚠ ${escapeHtml(trace.outcome.divergence)}</p>` : ''}
<dl>${facts.map(([k, v]) => `<dt>${escapeHtml(k)}</dt><dd>${escapeHtml(v)}</dd>`).join('')}</dl>
</header>
<section class="waterfall">
<h2>Waterfall</h2>
<table>
<thead><tr><th>time (UTC)</th><th>0 … ${escapeHtml(formatDuration(total))}</th><th>stage (open a row for its log lines)</th></tr></thead>
<tbody>
${rows}
</tbody>
</table>
</section>
${attemptsHtml(trace)}
${duplicatesHtml(trace)}
${listSection(
  'Missing',
  'gaps',
  trace.gaps.map((g) => `∅ ${g.message}`),
)}
${listSection('Warnings', 'warnings', trace.warnings)}
<footer>dtq-explore${options.generatedAt === undefined ? '' : ` · written ${escapeHtml(formatIso(options.generatedAt))}`} · one self-contained page: no script, no fetch</footer>
</body>
</html>
`;
}
