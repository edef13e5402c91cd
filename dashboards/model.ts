/**
 * The data model of dashboards as code: a panel says what it counts or measures (metrics),
 * how it groups (buckets) and which log lines it looks at (a filter on vocabulary fields).
 * Kibana Lens objects, Elasticsearch aggregations and `dtq-explore --stats` are all rendered
 * from these same values, so the three cannot disagree about what a panel means.
 */
import type { FieldName } from '../contract/vocabulary.ts';

/** A scalar a condition compares a field with. */
export type FieldValue = string | number | boolean;

/** One condition on a log line; a filter is the AND of its conditions. */
export type Condition =
  | { readonly kind: 'oneOf'; readonly field: FieldName; readonly values: readonly FieldValue[] }
  | { readonly kind: 'range'; readonly field: FieldName; readonly gte?: number; readonly lt?: number }
  | { readonly kind: 'exists'; readonly field: FieldName };

/** The AND of conditions (empty = every line). */
export type Filter = readonly Condition[];

/** A number per bucket: how many lines, a percentile or the maximum of a numeric field. */
export type Metric =
  | { readonly id: string; readonly label: string; readonly op: 'count'; readonly where?: Filter }
  | {
      readonly id: string;
      readonly label: string;
      readonly op: 'percentile';
      readonly field: FieldName;
      readonly percentile: number;
      readonly where?: Filter;
    }
  | {
      readonly id: string;
      readonly label: string;
      readonly op: 'max';
      readonly field: FieldName;
      readonly where?: Filter;
    };

/** How lines are grouped: by time, or by the top values of a field. */
export type Bucket =
  | { readonly id: string; readonly label: string; readonly op: 'date_histogram' }
  | {
      readonly id: string;
      readonly label: string;
      readonly op: 'terms';
      readonly field: FieldName;
      readonly size: number;
      /** Metric id the top values are ranked by (descending); default: the first metric. */
      readonly orderBy?: string;
    };

/** How a panel is drawn in Kibana. */
export type PanelKind = 'line' | 'bar_stacked' | 'table' | 'metric';

/** Unit of a panel's measured values, so Kibana and the text renderer format them alike. */
export type PanelUnit = 'ns' | 'count';

/** A derived column: one metric divided by another, per row. */
export interface Ratio {
  readonly id: string;
  readonly label: string;
  readonly numerator: string;
  readonly denominator: string;
}

/** One panel of a dashboard. */
export interface Panel {
  /** Stable slug: part of the saved object id and of aggregation names. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly kind: PanelKind;
  /** Which lines the panel looks at (usually a set of `event.action` values). */
  readonly where: Filter;
  /** Time and/or terms buckets, outermost first. */
  readonly buckets: readonly Bucket[];
  readonly metrics: readonly Metric[];
  readonly unit: PanelUnit;
  /**
   * Derived columns numerator/denominator, shown by the text renderer only: Lens would need a
   * formula column, whose persisted form is an internal detail we do not want to depend on.
   */
  readonly ratios?: readonly Ratio[];
  /** Width and height on Kibana's 48-column grid. */
  readonly size: { readonly w: number; readonly h: number };
}

/** A dashboard: a titled list of panels laid out left to right, top to bottom. */
export interface Dashboard {
  /** Stable slug: part of the saved object id. */
  readonly id: string;
  readonly title: string;
  readonly description: string;
  readonly panels: readonly Panel[];
}

/** Every field a panel reads (filters, buckets, metrics), for the mapping check. */
export function panelFields(panel: Panel): FieldName[] {
  const fields = new Set<FieldName>();
  const addFilter = (filter: Filter | undefined): void => {
    for (const condition of filter ?? []) fields.add(condition.field);
  };
  addFilter(panel.where);
  for (const bucket of panel.buckets) if (bucket.op === 'terms') fields.add(bucket.field);
  for (const metric of panel.metrics) {
    if (metric.op !== 'count') fields.add(metric.field);
    addFilter(metric.where);
  }
  return [...fields];
}

/** The metric a terms bucket is ranked by. */
export function orderMetric(panel: Panel, bucket: Bucket & { op: 'terms' }): Metric {
  const id = bucket.orderBy ?? panel.metrics[0]?.id;
  const metric = panel.metrics.find((candidate) => candidate.id === id);
  if (!metric) throw new Error(`panel ${panel.id}: bucket ${bucket.id} is ordered by unknown metric ${String(id)}`);
  return metric;
}

/**
 * Problems with a panel's definition (empty when it is sound): the rules Lens and the
 * aggregation builder both rely on, checked once here instead of failing at render time.
 */
export function panelProblems(panel: Panel): string[] {
  const problems: string[] = [];
  const ids = [...panel.buckets.map((bucket) => bucket.id), ...panel.metrics.map((metric) => metric.id)];
  if (new Set(ids).size !== ids.length) problems.push('bucket and metric ids must be unique');
  if (panel.metrics.length === 0) problems.push('needs at least one metric');
  const dateBuckets = panel.buckets.filter((bucket) => bucket.op === 'date_histogram');
  const termsBuckets = panel.buckets.filter((bucket) => bucket.op === 'terms');
  switch (panel.kind) {
    case 'line':
    case 'bar_stacked':
      if (panel.buckets[0]?.op !== 'date_histogram') problems.push('a chart starts with a date_histogram bucket');
      if (termsBuckets.length > 1) problems.push('a chart splits by at most one terms bucket');
      break;
    case 'table':
      if (termsBuckets.length === 0) problems.push('a table needs a terms bucket');
      if (dateBuckets.length > 0) problems.push('a table has no date_histogram bucket');
      break;
    case 'metric':
      if (panel.buckets.length > 0 || panel.metrics.length !== 1)
        problems.push('a metric panel has one metric, no bucket');
      break;
  }
  for (const bucket of termsBuckets) {
    if (
      bucket.op === 'terms' &&
      !panel.metrics.some((metric) => metric.id === (bucket.orderBy ?? panel.metrics[0]?.id))
    ) {
      problems.push(`bucket ${bucket.id} is ordered by an unknown metric`);
    }
  }
  for (const ratio of panel.ratios ?? []) {
    for (const id of [ratio.numerator, ratio.denominator]) {
      if (!panel.metrics.some((metric) => metric.id === id)) problems.push(`ratio ${ratio.id}: unknown metric ${id}`);
    }
  }
  for (const metric of panel.metrics) {
    if (metric.op === 'percentile' && !(metric.percentile > 0 && metric.percentile < 100)) {
      problems.push(`metric ${metric.id}: percentile must be between 0 and 100`);
    }
  }
  return problems;
}
