/** `--stats` from the log files: the overview as text tables, and as JSON. */
import { printable } from '../../contract/terminal-text.ts';
import { formatDuration, formatIso } from '../model/fields.ts';
import type { Overview, Percentiles, TypeFigures } from '../model/overview.ts';
import { depthText } from '../model/queue-depth.ts';

/** Schema name of `--stats --json` from files. */
export const OVERVIEW_SCHEMA = 'dtq-explore/overview@1';

const SPARKS = '▁▂▃▄▅▆▇█';

/** Counts as a sparkline, the highest as █. */
export function sparkline(counts: readonly number[]): string {
  const top = Math.max(0, ...counts);
  if (top === 0) return counts.map(() => SPARKS[0]).join('');
  return counts.map((n) => SPARKS[Math.min(SPARKS.length - 1, Math.floor((n / top) * (SPARKS.length - 1)))]).join('');
}

function latencyLine(label: string, p: Percentiles | undefined): string {
  const figures = p === undefined ? ['-', '-', '-', '-'] : [p.p50, p.p95, p.p99, p.max].map(formatDuration);
  return `${`  ${label}`.padEnd(12)}${figures.map((f) => f.padStart(10)).join('')}${String(p?.count ?? 0).padStart(8)}`;
}

function typeLine(t: TypeFigures): string {
  return `  ${t.type.padEnd(24)}${String(t.tasks).padStart(6)}${String(t.failed).padStart(8)}${String(t.retries).padStart(9)}${(t.run ? formatDuration(t.run.p95) : '-').padStart(10)}`;
}

/** The overview as plain text; every line made printable (task types are logged text). */
export function renderOverviewPlain(o: Overview, source: string): string {
  const out: string[] = [`source: ${source}`];
  if (o.from === undefined || o.to === undefined) {
    out.push('', 'No requests in this range. Widen it with --since, or drop the filters.');
    return `${out.map((line) => printable(line)).join('\n')}\n`;
  }
  out.push(
    `window: ${formatIso(o.from)} → ${formatIso(o.to)} (first to last request, ${formatDuration(o.to - o.from)})`,
    '',
    `requests      ${o.requests}${o.requestsPerSecond === undefined ? '' : ` · ${o.requestsPerSecond.toFixed(1)}/s`}   ${sparkline(o.requestsOverTime)}`,
    `HTTP status   ${o.statusClasses.map((c) => `${c.status} ${c.count}`).join(' · ')}`,
    `error share   ${o.errorShare === undefined ? '-' : `${(100 * o.errorShare).toFixed(1)}%`} (a 5xx, a failed or a dead-lettered task)`,
    `tasks         ${o.tasks}: ${o.states.map((s) => `${s.state} ${s.count}`).join(' · ') || 'none'}`,
    `queue depth   ${o.queueDepth === undefined ? '- (no queue.depth line in the window)' : `${depthText(o.queueDepth)} (sum ${o.queueDepth.total}; ${o.queueDepth.instance ?? 'the API'} at ${formatIso(o.queueDepth.at)})`}`,
    '',
    `${'Latency'.padEnd(12)}${['p50', 'p95', 'p99', 'max'].map((h) => h.padStart(10)).join('')}${'count'.padStart(8)}`,
    latencyLine('request', o.latency.request),
    latencyLine('queue wait', o.latency.queueWait),
    latencyLine('run time', o.latency.run),
  );
  const header = `  ${'task type'.padEnd(24)}${'tasks'.padStart(6)}${'failed'.padStart(8)}${'retries'.padStart(9)}${'run p95'.padStart(10)}`;
  if (o.slowestTypes.length > 0)
    out.push('', 'Slowest task types (by run time p95)', header, ...o.slowestTypes.map(typeLine));
  if (o.failingTypes.length > 0)
    out.push('', 'Failing task types (failed or dead-lettered)', header, ...o.failingTypes.map(typeLine));
  return `${out.map((line) => printable(line)).join('\n')}\n`;
}

const pct = (p: Percentiles | undefined) =>
  p === undefined ? null : { count: p.count, p50_ms: p.p50, p95_ms: p.p95, p99_ms: p.p99, max_ms: p.max };

const typeJson = (t: TypeFigures) => ({
  type: t.type,
  tasks: t.tasks,
  failed: t.failed,
  retries: t.retries,
  run: pct(t.run),
});

/** The overview as a JSON-ready object. */
export function overviewToJson(o: Overview, source: { kind: string; description: string }): Record<string, unknown> {
  return {
    schema: OVERVIEW_SCHEMA,
    source,
    from: o.from === undefined ? null : formatIso(o.from),
    to: o.to === undefined ? null : formatIso(o.to),
    requests: o.requests,
    requests_per_second: o.requestsPerSecond ?? null,
    requests_over_time: o.requestsOverTime,
    status_classes: Object.fromEntries(o.statusClasses.map((c) => [c.status, c.count])),
    error_share: o.errorShare ?? null,
    tasks: o.tasks,
    states: Object.fromEntries(o.states.map((s) => [s.state, s.count])),
    latency: { request: pct(o.latency.request), queue_wait: pct(o.latency.queueWait), run: pct(o.latency.run) },
    queue_depth:
      o.queueDepth === undefined
        ? null
        : {
            at: formatIso(o.queueDepth.at),
            instance: o.queueDepth.instance ?? null,
            total: o.queueDepth.total,
            queues: Object.fromEntries(o.queueDepth.queues.map((q) => [q.queue, q.depth])),
          },
    slowest_types: o.slowestTypes.map(typeJson),
    failing_types: o.failingTypes.map(typeJson),
  };
}
