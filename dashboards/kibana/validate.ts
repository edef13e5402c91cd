/**
 * An offline check that saved objects have the shapes Kibana 8.x accepts on import and can
 * render: the envelope (ids, references, migration versions), the data view attributes, Lens
 * attributes (formBased layers, columns, visualization state per type) and dashboard
 * attributes (which Kibana's schema validates with unknown keys forbidden). Written from
 * elastic/kibana's saved-object types, Lens persisted-state schemas and dashboard reference
 * extraction; it returns every problem found rather than stopping at the first.
 */
import { layerReferenceName, RECORDS_FIELD } from './lens.ts';
import { compareVersions, TYPE_MIGRATION_VERSIONS } from './versions.ts';

type Json = Record<string, unknown>;

const isObject = (value: unknown): value is Json =>
  typeof value === 'object' && value !== null && !Array.isArray(value);
const isString = (value: unknown): value is string => typeof value === 'string';
const VERSION = /^\d+\.\d+\.\d+$/;

/** Attributes Kibana's dashboard schema allows (it forbids any other key). */
const DASHBOARD_ATTRIBUTES = new Set([
  'title',
  'description',
  'kibanaSavedObjectMeta',
  'timeRestore',
  'timeFrom',
  'timeTo',
  'refreshInterval',
  'controlGroupInput',
  'panelsJSON',
  'optionsJSON',
  'hits',
  'version',
]);

const DATA_TYPES = new Set([
  'string',
  'number',
  'date',
  'boolean',
  'ip',
  'document',
  'histogram',
  'geo_point',
  'geo_shape',
  'counter',
  'gauge',
  'murmur3',
]);
const SCALES = new Set(['ordinal', 'interval', 'ratio']);
const BUCKET_OPERATIONS = new Set(['date_histogram', 'terms', 'range', 'filters']);
const METRIC_OPERATIONS = new Set([
  'count',
  'percentile',
  'max',
  'min',
  'average',
  'sum',
  'median',
  'unique_count',
  'last_value',
]);
const SERIES_TYPES = new Set([
  'bar',
  'line',
  'area',
  'bar_stacked',
  'area_stacked',
  'bar_horizontal',
  'bar_percentage_stacked',
  'bar_horizontal_stacked',
  'area_percentage_stacked',
  'bar_horizontal_percentage_stacked',
]);
const LEGEND_POSITIONS = new Set(['top', 'bottom', 'left', 'right']);

function parseJson(text: unknown, where: string, problems: string[]): unknown {
  if (!isString(text)) {
    problems.push(`${where} must be a JSON string`);
    return undefined;
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    problems.push(`${where} is not valid JSON (${(error as Error).message})`);
    return undefined;
  }
}

function checkEnvelope(object: Json, problems: string[], at: string): void {
  if (!isString(object.id) || object.id === '') problems.push(`${at}: id must be a non-empty string`);
  if (!isObject(object.attributes)) problems.push(`${at}: attributes must be an object`);
  if (!Array.isArray(object.references)) problems.push(`${at}: references must be an array`);
  else {
    const names = new Set<string>();
    for (const reference of object.references) {
      if (!isObject(reference) || !isString(reference.name) || !isString(reference.type) || !isString(reference.id)) {
        problems.push(`${at}: every reference needs string name, type and id`);
        continue;
      }
      if (names.has(reference.name)) problems.push(`${at}: duplicate reference name ${reference.name}`);
      names.add(reference.name);
    }
  }
  const type = object.type as keyof typeof TYPE_MIGRATION_VERSIONS;
  const known = TYPE_MIGRATION_VERSIONS[type];
  if (!isString(object.coreMigrationVersion) || !VERSION.test(object.coreMigrationVersion)) {
    problems.push(`${at}: coreMigrationVersion must be x.y.z`);
  }
  if (!isString(object.typeMigrationVersion) || !VERSION.test(object.typeMigrationVersion)) {
    problems.push(`${at}: typeMigrationVersion must be x.y.z`);
  } else if (known && compareVersions(object.typeMigrationVersion, known) > 0) {
    problems.push(
      `${at}: typeMigrationVersion ${object.typeMigrationVersion} is newer than the ${known} its shape is written for`,
    );
  }
  if (object.migrationVersion !== undefined && !isObject(object.migrationVersion)) {
    problems.push(`${at}: migrationVersion, when present, must be an object`);
  }
}

function checkDataView(attributes: Json, problems: string[], at: string): void {
  if (!isString(attributes.title) || attributes.title === '')
    problems.push(`${at}: title (the index pattern) is required`);
  if (!isString(attributes.timeFieldName)) problems.push(`${at}: timeFieldName is required for time-based panels`);
  const formats = parseJson(attributes.fieldFormatMap ?? '{}', `${at}: fieldFormatMap`, problems);
  if (formats !== undefined && !isObject(formats)) problems.push(`${at}: fieldFormatMap must hold an object`);
  for (const [field, format] of Object.entries(isObject(formats) ? formats : {})) {
    if (!isObject(format) || !isString(format.id)) problems.push(`${at}: field format of ${field} needs an id`);
    else if (format.id === 'url') {
      const params = format.params;
      if (!isObject(params) || !isString(params.urlTemplate) || !params.urlTemplate.includes('{{value}}')) {
        problems.push(`${at}: url format of ${field} needs a urlTemplate with {{value}}`);
      }
    }
  }
  const fields = parseJson(attributes.fields ?? '[]', `${at}: fields`, problems);
  if (fields !== undefined && !Array.isArray(fields)) problems.push(`${at}: fields must hold an array`);
}

function checkColumn(id: string, column: unknown, problems: string[], at: string): void {
  const where = `${at}: column ${id}`;
  if (!isObject(column)) {
    problems.push(`${where} must be an object`);
    return;
  }
  const operation = column.operationType;
  if (!isString(operation) || !(BUCKET_OPERATIONS.has(operation) || METRIC_OPERATIONS.has(operation))) {
    problems.push(`${where}: unknown operationType ${String(operation)}`);
    return;
  }
  if (!isString(column.label)) problems.push(`${where}: label is required`);
  if (!isString(column.dataType) || !DATA_TYPES.has(column.dataType)) problems.push(`${where}: invalid dataType`);
  if (typeof column.isBucketed !== 'boolean') problems.push(`${where}: isBucketed must be boolean`);
  else if (column.isBucketed !== BUCKET_OPERATIONS.has(operation)) {
    problems.push(`${where}: isBucketed does not match operation ${operation}`);
  }
  if (column.scale !== undefined && !(isString(column.scale) && SCALES.has(column.scale)))
    problems.push(`${where}: invalid scale`);
  if (!isString(column.sourceField) || column.sourceField === '') problems.push(`${where}: sourceField is required`);
  if (operation === 'count' && column.sourceField !== RECORDS_FIELD) {
    problems.push(`${where}: a count column counts ${RECORDS_FIELD}`);
  }
  if (operation !== 'count' && column.sourceField === RECORDS_FIELD) {
    problems.push(`${where}: ${operation} needs a real field`);
  }
  if (column.filter !== undefined) {
    const filter = column.filter;
    if (!isObject(filter) || !isString(filter.query) || !isString(filter.language)) {
      problems.push(`${where}: filter needs query and language strings`);
    }
  }
  const params = column.params;
  switch (operation) {
    case 'percentile': {
      const percentile = isObject(params) ? params.percentile : undefined;
      if (typeof percentile !== 'number' || percentile <= 0 || percentile >= 100) {
        problems.push(`${where}: params.percentile must be a number in (0, 100)`);
      }
      if (column.dataType !== 'number') problems.push(`${where}: a percentile is a number`);
      break;
    }
    case 'terms':
      if (!isObject(params) || typeof params.size !== 'number' || params.size < 1) {
        problems.push(`${where}: params.size must be a positive number`);
      }
      if (!isObject(params) || !isObject(params.orderBy) || !isString(params.orderBy.type)) {
        problems.push(`${where}: params.orderBy is required`);
      }
      break;
    case 'date_histogram':
      if (!isObject(params) || !isString(params.interval)) problems.push(`${where}: params.interval is required`);
      if (column.dataType !== 'date') problems.push(`${where}: a date_histogram is a date`);
      break;
    case 'count':
      if (!isObject(params)) problems.push(`${where}: count columns carry params`);
      break;
  }
}

function checkLayers(state: Json, references: Json[], problems: string[], at: string): Map<string, Json> {
  const layers = new Map<string, Json>();
  const datasourceStates = state.datasourceStates;
  const formBased = isObject(datasourceStates) ? datasourceStates.formBased : undefined;
  if (!isObject(formBased) || !isObject(formBased.layers)) {
    problems.push(`${at}: state.datasourceStates.formBased.layers is required`);
    return layers;
  }
  for (const [id, layer] of Object.entries(formBased.layers)) {
    if (!isObject(layer) || !isObject(layer.columns) || !Array.isArray(layer.columnOrder)) {
      problems.push(`${at}: layer ${id} needs columns and columnOrder`);
      continue;
    }
    layers.set(id, layer);
    const columnIds = Object.keys(layer.columns);
    const order = layer.columnOrder as unknown[];
    if (order.length !== columnIds.length || !columnIds.every((column) => order.includes(column))) {
      problems.push(`${at}: layer ${id} columnOrder must list each column exactly once`);
    }
    let seenMetric = false;
    for (const columnId of order) {
      const column = (layer.columns as Json)[String(columnId)];
      if (!isObject(column)) continue;
      if (column.isBucketed === false) seenMetric = true;
      else if (seenMetric) problems.push(`${at}: layer ${id} orders bucket column ${String(columnId)} after a metric`);
    }
    for (const [columnId, column] of Object.entries(layer.columns)) {
      checkColumn(columnId, column, problems, at);
      const orderBy = isObject(column) && isObject(column.params) ? column.params.orderBy : undefined;
      if (isObject(orderBy) && orderBy.type === 'column') {
        const target = (layer.columns as Json)[String(orderBy.columnId)];
        if (!isObject(target) || target.isBucketed !== false) {
          problems.push(
            `${at}: column ${columnId} is ordered by ${String(orderBy.columnId)}, which is not a metric of the layer`,
          );
        }
      }
    }
    const binding = references.find((reference) => reference.name === layerReferenceName(id));
    if (binding?.type !== 'index-pattern') {
      problems.push(`${at}: layer ${id} has no index-pattern reference named ${layerReferenceName(id)}`);
    }
  }
  if (layers.size === 0) problems.push(`${at}: Lens state has no layer`);
  return layers;
}

function columnOf(layers: Map<string, Json>, layerId: unknown, columnId: unknown): Json | undefined {
  const layer = layers.get(String(layerId));
  const column = layer && isObject(layer.columns) ? (layer.columns as Json)[String(columnId)] : undefined;
  return isObject(column) ? column : undefined;
}

function checkXy(visualization: Json, layers: Map<string, Json>, problems: string[], at: string): void {
  if (!isString(visualization.preferredSeriesType) || !SERIES_TYPES.has(visualization.preferredSeriesType)) {
    problems.push(`${at}: preferredSeriesType is invalid`);
  }
  const legend = visualization.legend;
  if (!isObject(legend) || typeof legend.isVisible !== 'boolean' || !LEGEND_POSITIONS.has(String(legend.position))) {
    problems.push(`${at}: legend needs isVisible and a position`);
  }
  if (!Array.isArray(visualization.layers) || visualization.layers.length === 0) {
    problems.push(`${at}: an XY visualization needs layers`);
    return;
  }
  for (const layer of visualization.layers) {
    if (!isObject(layer)) continue;
    if (!layers.has(String(layer.layerId)))
      problems.push(`${at}: XY layer ${String(layer.layerId)} is not a datasource layer`);
    if (layer.layerType !== 'data') problems.push(`${at}: XY layer must be a data layer`);
    if (!isString(layer.seriesType) || !SERIES_TYPES.has(layer.seriesType))
      problems.push(`${at}: seriesType is invalid`);
    const x = columnOf(layers, layer.layerId, layer.xAccessor);
    if (x?.isBucketed !== true) problems.push(`${at}: xAccessor must be a bucket column`);
    if (layer.splitAccessor !== undefined) {
      const split = columnOf(layers, layer.layerId, layer.splitAccessor);
      if (split?.isBucketed !== true) problems.push(`${at}: splitAccessor must be a bucket column`);
    }
    if (!Array.isArray(layer.accessors) || layer.accessors.length === 0)
      problems.push(`${at}: XY layer needs accessors`);
    for (const accessor of Array.isArray(layer.accessors) ? layer.accessors : []) {
      const column = columnOf(layers, layer.layerId, accessor);
      if (column?.isBucketed !== false) problems.push(`${at}: accessor ${String(accessor)} must be a metric column`);
    }
  }
}

function checkDatatable(visualization: Json, layers: Map<string, Json>, problems: string[], at: string): void {
  const layer = layers.get(String(visualization.layerId));
  if (!layer) {
    problems.push(`${at}: datatable layerId is not a datasource layer`);
    return;
  }
  if (visualization.layerType !== 'data') problems.push(`${at}: datatable layerType must be data`);
  const shown = Array.isArray(visualization.columns) ? visualization.columns : [];
  const shownIds = shown.map((column) => (isObject(column) ? column.columnId : undefined));
  for (const id of shownIds) {
    if (!columnOf(layers, visualization.layerId, id))
      problems.push(`${at}: datatable column ${String(id)} is not in the layer`);
  }
  for (const id of Object.keys(layer.columns as Json)) {
    if (!shownIds.includes(id)) problems.push(`${at}: layer column ${id} is missing from the datatable columns`);
  }
  const sorting = visualization.sorting;
  if (sorting !== undefined) {
    if (!isObject(sorting) || !['asc', 'desc', 'none'].includes(String(sorting.direction))) {
      problems.push(`${at}: datatable sorting needs a direction`);
    } else if (sorting.columnId !== undefined && !shownIds.includes(sorting.columnId)) {
      problems.push(`${at}: datatable sorts by a column it does not show`);
    }
  }
}

function checkMetric(visualization: Json, layers: Map<string, Json>, problems: string[], at: string): void {
  if (visualization.layerType !== 'data') problems.push(`${at}: metric layerType must be data`);
  const column = columnOf(layers, visualization.layerId, visualization.metricAccessor);
  if (column?.isBucketed !== false) problems.push(`${at}: metricAccessor must be a metric column of the layer`);
}

function checkLens(object: Json, problems: string[], at: string): void {
  const attributes = object.attributes as Json;
  const references = (Array.isArray(object.references) ? object.references : []).filter(isObject);
  if (!isString(attributes.title) || attributes.title === '') problems.push(`${at}: title is required`);
  const state = attributes.state;
  if (!isObject(state)) {
    problems.push(`${at}: state is required`);
    return;
  }
  const query = state.query;
  if (!isObject(query) || !isString(query.query) || !isString(query.language))
    problems.push(`${at}: state.query needs query and language`);
  if (!Array.isArray(state.filters)) problems.push(`${at}: state.filters must be an array`);
  const layers = checkLayers(state, references, problems, at);
  const visualization = state.visualization;
  if (!isObject(visualization)) {
    problems.push(`${at}: state.visualization is required`);
    return;
  }
  switch (attributes.visualizationType) {
    case 'lnsXY':
      checkXy(visualization, layers, problems, at);
      break;
    case 'lnsDatatable':
      checkDatatable(visualization, layers, problems, at);
      break;
    case 'lnsMetric':
      checkMetric(visualization, layers, problems, at);
      break;
    default:
      problems.push(`${at}: visualizationType ${String(attributes.visualizationType)} is not one we generate`);
  }
}

function checkDashboard(object: Json, problems: string[], at: string): void {
  const attributes = object.attributes as Json;
  const references = (Array.isArray(object.references) ? object.references : []).filter(isObject);
  for (const key of Object.keys(attributes)) {
    if (!DASHBOARD_ATTRIBUTES.has(key))
      problems.push(`${at}: attribute ${key} is not allowed by Kibana's dashboard schema`);
  }
  if (!isString(attributes.title) || attributes.title === '') problems.push(`${at}: title is required`);
  if (attributes.optionsJSON !== undefined) parseJson(attributes.optionsJSON, `${at}: optionsJSON`, problems);
  const meta = attributes.kibanaSavedObjectMeta;
  if (meta !== undefined) {
    if (!isObject(meta)) problems.push(`${at}: kibanaSavedObjectMeta must be an object`);
    else if (meta.searchSourceJSON !== undefined) parseJson(meta.searchSourceJSON, `${at}: searchSourceJSON`, problems);
  }
  const refresh = attributes.refreshInterval;
  if (
    refresh !== undefined &&
    (!isObject(refresh) || typeof refresh.pause !== 'boolean' || typeof refresh.value !== 'number')
  ) {
    problems.push(`${at}: refreshInterval needs pause and value`);
  }
  const panels = parseJson(attributes.panelsJSON, `${at}: panelsJSON`, problems);
  if (!Array.isArray(panels)) {
    if (panels !== undefined) problems.push(`${at}: panelsJSON must hold an array`);
    return;
  }
  const indexes = new Set<string>();
  const cells = new Set<string>();
  for (const panel of panels) {
    if (!isObject(panel)) {
      problems.push(`${at}: every panel must be an object`);
      continue;
    }
    const index = panel.panelIndex;
    const where = `${at}: panel ${String(index)}`;
    if (!isString(index) || index === '') problems.push(`${where}: panelIndex must be a string`);
    else if (indexes.has(index)) problems.push(`${where}: duplicate panelIndex`);
    indexes.add(String(index));
    if (!isString(panel.type)) problems.push(`${where}: type is required`);
    if (!isObject(panel.embeddableConfig)) problems.push(`${where}: embeddableConfig must be an object`);
    const grid = panel.gridData;
    if (
      !isObject(grid) ||
      !['x', 'y', 'w', 'h'].every((key) => Number.isInteger(grid[key]) && (grid[key] as number) >= 0)
    ) {
      problems.push(`${where}: gridData needs integer x, y, w, h`);
    } else {
      if (grid.i !== index) problems.push(`${where}: gridData.i must equal panelIndex`);
      const { x, y, w, h } = grid as { x: number; y: number; w: number; h: number };
      if (w < 1 || h < 1 || x + w > 48) problems.push(`${where}: does not fit the 48-column grid`);
      for (let column = x; column < x + w; column += 1) {
        for (let row = y; row < y + h; row += 1) {
          const cell = `${column},${row}`;
          if (cells.has(cell)) {
            problems.push(`${where}: overlaps another panel at ${cell}`);
            column = x + w;
            break;
          }
          cells.add(cell);
        }
      }
    }
    if (panel.panelRefName !== undefined) {
      const name = `${String(index)}:${String(panel.panelRefName)}`;
      const reference = references.find((candidate) => candidate.name === name);
      if (!reference) problems.push(`${where}: no reference named ${name}`);
      else if (reference.type !== panel.type)
        problems.push(`${where}: reference ${name} is a ${String(reference.type)}, not a ${String(panel.type)}`);
    } else if (!isObject(panel.embeddableConfig) || !isObject(panel.embeddableConfig.attributes)) {
      problems.push(
        `${where}: a panel is either by reference (panelRefName) or by value (embeddableConfig.attributes)`,
      );
    }
  }
}

/**
 * Problems that would make Kibana reject or fail to render these saved objects, including
 * references to objects that are not in the set (empty when all is well).
 */
export function validateSavedObjects(objects: readonly unknown[]): string[] {
  const problems: string[] = [];
  const present = new Set<string>();
  for (const object of objects) {
    if (isObject(object)) present.add(`${String(object.type)}:${String(object.id)}`);
  }
  if (present.size !== objects.length) problems.push('every object needs a distinct type:id');
  objects.forEach((object, index) => {
    if (!isObject(object)) {
      problems.push(`object ${index}: not an object`);
      return;
    }
    const at = `${String(object.type)} ${String(object.id)}`;
    if (!(String(object.type) in TYPE_MIGRATION_VERSIONS)) {
      problems.push(`${at}: type must be one of ${Object.keys(TYPE_MIGRATION_VERSIONS).join(', ')}`);
      return;
    }
    checkEnvelope(object, problems, at);
    if (!isObject(object.attributes)) return;
    for (const reference of Array.isArray(object.references) ? object.references : []) {
      if (isObject(reference) && !present.has(`${String(reference.type)}:${String(reference.id)}`)) {
        problems.push(
          `${at}: reference ${String(reference.name)} points at ${String(reference.type)}:${String(reference.id)}, which is not in the set`,
        );
      }
    }
    if (object.type === 'index-pattern') checkDataView(object.attributes, problems, at);
    if (object.type === 'lens') checkLens(object, problems, at);
    if (object.type === 'dashboard') checkDashboard(object, problems, at);
  });
  return problems;
}

/** Parse NDJSON text into objects; throws with the line number on a line that is not JSON. */
export function parseNdjson(text: string): unknown[] {
  return text
    .split('\n')
    .map((line, index) => ({ line, index }))
    .filter(({ line }) => line.trim() !== '')
    .map(({ line, index }) => {
      try {
        return JSON.parse(line) as unknown;
      } catch (error) {
        throw new Error(`line ${index + 1} is not JSON: ${(error as Error).message}`);
      }
    });
}
