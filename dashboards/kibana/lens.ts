/**
 * A panel definition as a Lens saved object (Kibana 8.x persisted shape): one formBased
 * layer whose columns are the panel's buckets and metrics, a visualization state for the
 * panel kind (lnsXY, lnsDatatable, lnsMetric) and the panel filter as the layer's KQL query.
 */
import { F, FIELD_SPECS, type FieldName, type FieldType } from '../../contract/vocabulary.ts';
import { filterToKql } from '../filters.ts';
import type { Bucket, Metric, Panel, PanelKind } from '../model.ts';
import { lensId, type SavedObject, savedObject } from './saved-object.ts';

/** Pseudo-field Lens uses as the source of count columns. */
export const RECORDS_FIELD = '___records___';

/** Lens visualization type per panel kind. */
export const VISUALIZATION_TYPES: Readonly<Record<PanelKind, string>> = {
  line: 'lnsXY',
  bar_stacked: 'lnsXY',
  table: 'lnsDatatable',
  metric: 'lnsMetric',
};

/** The one layer of a panel's Lens state. */
export function layerId(panel: Panel): string {
  return `${panel.id}-layer`;
}

/** Name of the reference that binds a layer to its data view (Lens' own naming). */
export function layerReferenceName(id: string): string {
  return `indexpattern-datasource-layer-${id}`;
}

const FIELD_TYPES = new Map<string, FieldType>(Object.values(FIELD_SPECS).map((spec) => [spec.name, spec.type]));

/** Lens data type of a field, from its vocabulary type. */
export function lensDataType(field: FieldName): 'string' | 'number' | 'date' | 'boolean' {
  switch (FIELD_TYPES.get(field)) {
    case 'long':
    case 'double':
      return 'number';
    case 'date':
      return 'date';
    case 'boolean':
      return 'boolean';
    default:
      return 'string';
  }
}

function bucketColumn(panel: Panel, bucket: Bucket): Record<string, unknown> {
  if (bucket.op === 'date_histogram') {
    return {
      label: bucket.label,
      customLabel: true,
      dataType: 'date',
      operationType: 'date_histogram',
      sourceField: F.TIMESTAMP,
      isBucketed: true,
      scale: 'interval',
      params: { interval: 'auto', includeEmptyRows: true, dropPartials: false },
    };
  }
  return {
    label: bucket.label,
    customLabel: true,
    dataType: lensDataType(bucket.field),
    operationType: 'terms',
    sourceField: bucket.field,
    isBucketed: true,
    scale: 'ordinal',
    params: {
      size: bucket.size,
      orderBy: { type: 'column', columnId: bucket.orderBy ?? panel.metrics[0]?.id },
      orderDirection: 'desc',
      otherBucket: false,
      missingBucket: false,
      parentFormat: { id: 'terms' },
      include: [],
      exclude: [],
      includeIsRegex: false,
      excludeIsRegex: false,
    },
  };
}

function metricColumn(metric: Metric): Record<string, unknown> {
  const filter =
    metric.where && metric.where.length > 0 ? { filter: { query: filterToKql(metric.where), language: 'kuery' } } : {};
  const base = {
    label: metric.label,
    customLabel: true,
    dataType: 'number',
    isBucketed: false,
    scale: 'ratio',
    ...filter,
  };
  switch (metric.op) {
    case 'count':
      return { ...base, operationType: 'count', sourceField: RECORDS_FIELD, params: { emptyAsNull: false } };
    case 'percentile':
      return {
        ...base,
        operationType: 'percentile',
        sourceField: metric.field,
        params: { percentile: metric.percentile },
      };
    case 'max':
      return { ...base, operationType: 'max', sourceField: metric.field, params: { emptyAsNull: true } };
  }
}

function visualization(panel: Panel): Record<string, unknown> {
  const layer = layerId(panel);
  const metricIds = panel.metrics.map((metric) => metric.id);
  switch (panel.kind) {
    case 'line':
    case 'bar_stacked': {
      const [x, split] = panel.buckets;
      return {
        preferredSeriesType: panel.kind,
        legend: { isVisible: true, position: 'right' },
        valueLabels: 'hide',
        fittingFunction: 'None',
        layers: [
          {
            layerId: layer,
            layerType: 'data',
            seriesType: panel.kind,
            xAccessor: x?.id,
            accessors: metricIds,
            ...(split ? { splitAccessor: split.id } : {}),
            position: 'top',
            showGridlines: false,
          },
        ],
      };
    }
    case 'table': {
      const ordered = panel.buckets[0]?.op === 'terms' ? (panel.buckets[0].orderBy ?? metricIds[0]) : metricIds[0];
      return {
        layerId: layer,
        layerType: 'data',
        columns: [...panel.buckets.map((bucket) => bucket.id), ...metricIds].map((columnId) => ({
          columnId,
          isTransposed: false,
        })),
        sorting: { columnId: ordered, direction: 'desc' },
        rowHeight: 'single',
        headerRowHeight: 'single',
      };
    }
    case 'metric':
      return { layerId: layer, layerType: 'data', metricAccessor: metricIds[0] };
  }
}

/** The Lens saved object of a panel, bound to a data view. */
export function lensObject(panel: Panel, viewId: string): SavedObject {
  const layer = layerId(panel);
  const columns: Record<string, Record<string, unknown>> = {};
  for (const bucket of panel.buckets) columns[bucket.id] = bucketColumn(panel, bucket);
  for (const metric of panel.metrics) columns[metric.id] = metricColumn(metric);
  return savedObject(
    'lens',
    lensId(panel.id),
    {
      title: panel.title,
      description: panel.description,
      visualizationType: VISUALIZATION_TYPES[panel.kind],
      state: {
        visualization: visualization(panel),
        query: { query: filterToKql(panel.where), language: 'kuery' },
        filters: [],
        datasourceStates: {
          formBased: {
            layers: {
              [layer]: {
                columns,
                // Lens orders bucket columns before metric columns.
                columnOrder: [...panel.buckets.map((bucket) => bucket.id), ...panel.metrics.map((metric) => metric.id)],
                incompleteColumns: {},
                sampling: 1,
              },
            },
          },
        },
        internalReferences: [],
        adHocDataViews: {},
      },
    },
    [{ type: 'index-pattern', id: viewId, name: layerReferenceName(layer) }],
  );
}
