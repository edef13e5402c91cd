/**
 * `dtq-explore --stats`: the dashboards' numbers in a terminal. The same panel definitions
 * Kibana draws are run as Elasticsearch aggregations (totals over the time range instead of a
 * series) and rendered as plain-text tables: latency percentiles by stage, error rates,
 * duplicates blocked. `collectStats` returns the data, `formatStats` renders it, `renderStats`
 * does both.
 */

import { dtqError } from '../contract/dtq-error.ts';
import { indexPattern, indexPrefix } from '../contract/indices.ts';
import { printable } from '../contract/terminal-text.ts';
import { DUPLICATE_EVENTS, F, NS_PER_MS } from '../contract/vocabulary.ts';
import { assertReachable, EsClient, EsResponseError } from '../elk/client.ts';
import { type EsConnection, esConnection, plainConnection } from '../elk/connection.ts';
import { panelById } from './definitions.ts';
import { DASHBOARD_ERRORS } from './errors.ts';
import { type PanelRow, panelRows, panelSearch, ratioValue, searchedBuckets } from './es-query.ts';
import type { Panel } from './model.ts';

/** Sections of the stats report and the panels each shows, in order. */
export const STATS_SECTIONS: ReadonlyArray<{ readonly title: string; readonly panels: readonly string[] }> = [
  {
    title: 'Latency by stage',
    panels: ['nginx-latency', 'api-latency', 'queue-wait-by-queue', 'execution-by-type', 'slowest-requests'],
  },
  {
    title: 'Errors',
    panels: [
      'error-rate-by-instance',
      'nginx-status',
      'failed-tasks',
      'retries-total',
      'dead-lettered-total',
      'circuit-openings-total',
      'outages-by-instance',
    ],
  },
  {
    title: 'Duplicates blocked',
    panels: ['duplicates-by-kind', 'top-idempotency-keys', 'top-originals', 'top-contended-locks', 'top-cache-hits'],
  },
];

/** Options of {@link collectStats} and {@link renderStats}. */
export interface StatsOptions {
  /** The cluster (default: esUrl without credentials, else DTQ_ES_* from the environment). */
  connection?: EsConnection;
  /** Node URL(s) of a cluster without credentials; `connection` wins. */
  esUrl?: string;
  /** Indices to read (default `<DTQ_ES_INDEX_PREFIX>-*`, i.e. `dtq-logs-*`). */
  indexPattern?: string;
  /** Only lines at or after this time (default: all). */
  since?: Date;
  /** Only lines before this time (default: all). */
  until?: Date;
}

/** One panel's totals. */
export interface PanelStats {
  readonly panel: Panel;
  readonly rows: readonly PanelRow[];
}

/** The data behind the stats report. */
export interface StatsReport {
  readonly indexPattern: string;
  readonly since?: Date;
  readonly until?: Date;
  readonly sections: ReadonlyArray<{ readonly title: string; readonly panels: readonly PanelStats[] }>;
}

/** The error object of an Elasticsearch response. */
interface EsErrorBody {
  type?: string;
  reason?: string;
  root_cause?: EsErrorBody[];
  caused_by?: EsErrorBody;
  failed_shards?: Array<{ reason?: EsErrorBody }>;
}

/**
 * The most specific reason in an Elasticsearch error: the top level often says only "all
 * shards failed", and a shard's reason may only name the transport action; the innermost
 * `caused_by` says why.
 */
export function esErrorReason(error: EsErrorBody): string {
  let deepest: EsErrorBody = error.failed_shards?.[0]?.reason ?? error.root_cause?.[0] ?? error;
  while (deepest.caused_by) deepest = deepest.caused_by;
  const text = deepest.reason || error.reason || deepest.type || error.type || 'unknown error';
  return deepest.type && !text.includes(deepest.type) ? `${deepest.type}: ${text}` : text;
}

/** Compute every stats panel with one `_msearch` against Elasticsearch. */
export async function collectStats(input: StatsOptions = {}): Promise<StatsReport> {
  const options = { ...input, indexPattern: input.indexPattern ?? indexPattern(indexPrefix()) };
  const connection = input.connection ?? (input.esUrl === undefined ? esConnection() : plainConnection(input.esUrl));
  const client = new EsClient(connection);
  const range = {
    totals: true,
    ...(options.since ? { since: options.since } : {}),
    ...(options.until ? { until: options.until } : {}),
  };
  try {
    await assertReachable(client);
    const panels = STATS_SECTIONS.flatMap((section) => section.panels.map(panelById));
    const body = panels
      .flatMap((panel) => [
        JSON.stringify({ index: options.indexPattern, ignore_unavailable: true, allow_no_indices: true }),
        JSON.stringify(panelSearch(panel, range)),
      ])
      .map((line) => `${line}\n`)
      .join('');
    let responses: unknown[];
    try {
      const answer = await client.request<{ responses: unknown[] }>('POST', '/_msearch', {
        body,
        headers: { 'content-type': 'application/x-ndjson' },
      });
      responses = answer?.responses ?? [];
    } catch (error) {
      // Unreachable, TLS and credential errors already say what to do.
      if (!(error instanceof EsResponseError)) throw error;
      throw dtqError(
        DASHBOARD_ERRORS.STATS_QUERY_FAILED,
        { url: client.url, panel: 'all', indexPattern: options.indexPattern, reason: error.message },
        error,
      );
    }
    const byId = new Map<string, PanelStats>();
    panels.forEach((panel, index) => {
      const response = responses[index] as { error?: EsErrorBody };
      if (response?.error) {
        const reason = esErrorReason(response.error);
        throw dtqError(DASHBOARD_ERRORS.STATS_QUERY_FAILED, {
          url: client.url,
          panel: panel.id,
          indexPattern: options.indexPattern,
          reason,
        });
      }
      byId.set(panel.id, { panel, rows: panelRows(panel, response, range) });
    });
    return {
      indexPattern: options.indexPattern,
      ...(options.since ? { since: options.since } : {}),
      ...(options.until ? { until: options.until } : {}),
      sections: STATS_SECTIONS.map((section) => ({
        title: section.title,
        panels: section.panels.map((id) => byId.get(id) as PanelStats),
      })),
    };
  } finally {
    client.close();
  }
}

/** A duration in ns as a short human figure: 840 µs, 12.3 ms, 1.52 s. */
export function formatDuration(ns: number): string {
  const ms = ns / NS_PER_MS;
  if (ms < 1) return `${Math.round(ms * 1000)} µs`;
  if (ms < 1000) return `${ms < 10 ? ms.toFixed(2) : ms.toFixed(1)} ms`;
  return `${(ms / 1000).toFixed(2)} s`;
}

function formatValue(panel: Panel, metricOp: string, value: number | null): string {
  if (value === null) return '–';
  if (metricOp !== 'count' && panel.unit === 'ns') return formatDuration(value);
  return Number.isInteger(value) ? String(value) : value.toFixed(2);
}

/** A bucket key as a table cell: a logged value (a correlation id, an instance), so made printable. */
function formatKey(field: string | undefined, key: string | number): string {
  if (field === F.EVENT_ACTION && typeof key === 'string' && Object.hasOwn(DUPLICATE_EVENTS, key)) {
    return DUPLICATE_EVENTS[key as keyof typeof DUPLICATE_EVENTS];
  }
  return printable(String(key));
}

/** Render rows as an aligned text table with a header line. */
export function textTable(header: readonly string[], rows: ReadonlyArray<readonly string[]>, indent = '  '): string {
  const widths = header.map((cell, column) => Math.max(cell.length, ...rows.map((row) => (row[column] ?? '').length)));
  const line = (cells: readonly string[]) =>
    `${indent}${cells
      .map((cell, column) => cell.padEnd(widths[column] ?? 0))
      .join('  ')
      .trimEnd()}`;
  return [line(header), ...rows.map(line)].join('\n');
}

/** One panel's totals as a titled text table. */
export function formatPanel({ panel, rows }: PanelStats): string {
  const buckets = searchedBuckets(panel, { totals: true });
  const header = [
    ...buckets.map((bucket) => bucket.label),
    ...panel.metrics.map((metric) => metric.label),
    ...(panel.ratios ?? []).map((ratio) => ratio.label),
  ];
  const lines = [panel.title];
  // Without buckets there is always one row; bucket rows only exist for values that occurred.
  const visible = buckets.length === 0 ? rows : rows.filter((row) => row.docCount > 0);
  if (visible.length === 0) {
    lines.push('  (no matching lines)');
    return lines.join('\n');
  }
  const cells = visible.map((row) => [
    ...buckets.map((bucket) => formatKey(bucket.op === 'terms' ? bucket.field : undefined, row.keys[bucket.id] ?? '')),
    ...panel.metrics.map((metric) => formatValue(panel, metric.op, row.values[metric.id] ?? null)),
    ...(panel.ratios ?? []).map((ratio) => {
      const value = ratioValue(row, ratio.numerator, ratio.denominator);
      return value === null ? '–' : `${(value * 100).toFixed(1)}%`;
    }),
  ]);
  lines.push(textTable(header, cells));
  const correlation = buckets.find(
    (bucket) => bucket.op === 'terms' && [F.CORRELATION_ID, F.ORIGINAL_CORRELATION_ID].includes(bucket.field as never),
  );
  const first = correlation ? visible[0]?.keys[correlation.id] : undefined;
  if (first !== undefined) lines.push(`  → timeline of one: dtq-explore ${printable(String(first))}`);
  return lines.join('\n');
}

/** The whole report as plain text. */
export function formatStats(report: StatsReport): string {
  const window = `${report.since ? `since ${report.since.toISOString()}` : 'all time'}${report.until ? ` until ${report.until.toISOString()}` : ''}`;
  const parts = [`dtq stats · ${report.indexPattern} · ${window}`];
  for (const section of report.sections) {
    parts.push('', `== ${section.title} ==`);
    for (const panel of section.panels) parts.push('', formatPanel(panel));
  }
  return `${parts.join('\n')}\n`;
}

/** Compute and render the stats report (what `dtq-explore --stats` prints). */
export async function renderStats(options: StatsOptions = {}): Promise<string> {
  return formatStats(await collectStats(options));
}
