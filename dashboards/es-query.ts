/**
 * A panel as an Elasticsearch search: the same filter, buckets and metrics Kibana's Lens
 * sends for it, written as query DSL, and the response flattened into rows. Used by the
 * tests that prove the panels' numbers on real Elasticsearch and by `dtq-explore --stats`.
 */
import { F } from '../contract/vocabulary.ts';
import { conditionToQuery, filterToQuery } from './filters.ts';
import { type Bucket, type Metric, orderMetric, type Panel } from './model.ts';

/** Options for {@link panelSearch}. */
export interface PanelSearchOptions {
  /** Only lines at or after this time. */
  since?: Date;
  /** Only lines before this time. */
  until?: Date;
  /** Interval of date_histogram buckets (Lens picks one automatically; we must name one). */
  interval?: string;
  /** Drop date_histogram buckets: totals over the time range instead of a series. */
  totals?: boolean;
}

/** The body of a `_search` request that computes a panel. */
export interface PanelSearch {
  size: 0;
  track_total_hits: true;
  query: Record<string, unknown>;
  aggs: Record<string, unknown>;
}

/** One row of a panel's result: the bucket keys that lead to it and the metric values. */
export interface PanelRow {
  readonly keys: Readonly<Record<string, string | number>>;
  readonly values: Readonly<Record<string, number | null>>;
  readonly docCount: number;
}

/** Buckets of a panel as they are searched (date buckets dropped for totals). */
export function searchedBuckets(panel: Panel, options: PanelSearchOptions = {}): Bucket[] {
  return panel.buckets.filter((bucket) => !(options.totals && bucket.op === 'date_histogram'));
}

function metricAgg(metric: Metric): Record<string, unknown> | undefined {
  switch (metric.op) {
    case 'count':
      return undefined;
    case 'percentile':
      return { percentiles: { field: metric.field, percents: [metric.percentile], keyed: false } };
    case 'max':
      return { max: { field: metric.field } };
  }
}

/** Aggregations that compute metrics inside one bucket (count needs none, it is doc_count). */
function metricAggs(metrics: readonly Metric[]): Record<string, unknown> {
  const aggs: Record<string, unknown> = {};
  for (const metric of metrics) {
    const inner = metricAgg(metric);
    if (metric.where && metric.where.length > 0) {
      aggs[metric.id] = {
        filter: filterToQuery(metric.where),
        ...(inner ? { aggs: { value: inner } } : {}),
      };
    } else if (inner) {
      aggs[metric.id] = inner;
    }
  }
  return aggs;
}

/** The `order` path ES needs to rank terms by a metric, mirroring Lens' orderBy column. */
function orderPath(metric: Metric): string {
  const filtered = metric.where !== undefined && metric.where.length > 0;
  switch (metric.op) {
    case 'count':
      // A single-bucket (filter) aggregation sorts by its own doc count.
      return filtered ? metric.id : '_count';
    case 'percentile':
      return filtered ? `${metric.id}>value.${metric.percentile}` : `${metric.id}.${metric.percentile}`;
    case 'max':
      return filtered ? `${metric.id}>value` : metric.id;
  }
}

function bucketAgg(panel: Panel, bucket: Bucket, interval: string): Record<string, unknown> {
  if (bucket.op === 'date_histogram') {
    return { date_histogram: { field: F.TIMESTAMP, fixed_interval: interval, min_doc_count: 1 } };
  }
  // The key breaks ties, so equal counts come back in a stable order.
  return {
    terms: {
      field: bucket.field,
      size: bucket.size,
      order: [{ [orderPath(orderMetric(panel, bucket))]: 'desc' }, { _key: 'asc' }],
    },
  };
}

/** The search that computes a panel. */
export function panelSearch(panel: Panel, options: PanelSearchOptions = {}): PanelSearch {
  const clauses: Record<string, unknown>[] = panel.where.map(conditionToQuery);
  const range: Record<string, string> = {};
  if (options.since) range.gte = options.since.toISOString();
  if (options.until) range.lt = options.until.toISOString();
  if (Object.keys(range).length > 0) clauses.push({ range: { [F.TIMESTAMP]: range } });
  const buckets = searchedBuckets(panel, options);
  let aggs = metricAggs(panel.metrics);
  for (const bucket of [...buckets].reverse()) {
    const agg = bucketAgg(panel, bucket, options.interval ?? '1m');
    // An outer terms bucket ranks by its own copy of the order metric, as Lens' orderAgg does.
    const ranking = bucket.op === 'terms' ? metricAggs([orderMetric(panel, bucket)]) : {};
    const inner = { ...ranking, ...aggs };
    aggs = { [bucket.id]: Object.keys(inner).length > 0 ? { ...agg, aggs: inner } : agg };
  }
  return {
    size: 0,
    track_total_hits: true,
    query: clauses.length === 0 ? { match_all: {} } : { bool: { filter: clauses } },
    aggs,
  };
}

type AggNode = Record<string, unknown> & { doc_count?: number };

function percentileValue(node: unknown): number | null {
  const values = (node as { values?: Array<{ value: number | null }> } | undefined)?.values;
  return values?.[0]?.value ?? null;
}

function metricValues(panel: Panel, node: AggNode, docCount: number): Record<string, number | null> {
  const values: Record<string, number | null> = {};
  for (const metric of panel.metrics) {
    const filtered = metric.where !== undefined && metric.where.length > 0;
    const own = filtered ? (node[metric.id] as AggNode | undefined) : node;
    const source = filtered ? (own?.value as AggNode | undefined) : (node[metric.id] as AggNode | undefined);
    switch (metric.op) {
      case 'count':
        values[metric.id] = filtered ? (own?.doc_count ?? 0) : docCount;
        break;
      case 'percentile':
        values[metric.id] = percentileValue(source);
        break;
      case 'max':
        values[metric.id] = (source?.value as number | null | undefined) ?? null;
        break;
    }
  }
  return values;
}

/** Flatten a `_search` response of {@link panelSearch} into one row per innermost bucket. */
export function panelRows(panel: Panel, response: unknown, options: PanelSearchOptions = {}): PanelRow[] {
  const body = response as { aggregations?: AggNode; hits?: { total?: { value?: number } | number } };
  const total = typeof body.hits?.total === 'number' ? body.hits.total : (body.hits?.total?.value ?? 0);
  const buckets = searchedBuckets(panel, options);
  const rows: PanelRow[] = [];
  const walk = (node: AggNode, depth: number, keys: Record<string, string | number>, docCount: number): void => {
    const bucket = buckets[depth];
    if (!bucket) {
      rows.push({ keys, values: metricValues(panel, node, docCount), docCount });
      return;
    }
    const inner = node[bucket.id] as { buckets?: AggNode[] } | undefined;
    for (const child of inner?.buckets ?? []) {
      const key = child.key as string | number;
      walk(child, depth + 1, { ...keys, [bucket.id]: key }, child.doc_count ?? 0);
    }
  };
  walk(body.aggregations ?? {}, 0, {}, total);
  return rows;
}

/** A ratio's value in a row (null when the denominator is 0 or a side is missing). */
export function ratioValue(row: PanelRow, numerator: string, denominator: string): number | null {
  const top = row.values[numerator];
  const bottom = row.values[denominator];
  if (top === null || top === undefined || bottom === null || bottom === undefined || bottom === 0) return null;
  return top / bottom;
}
