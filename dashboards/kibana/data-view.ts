/**
 * The data view over our daily log indices. Its field formats carry the two things every
 * panel relies on: nanosecond durations shown as durations, and correlation ids rendered as
 * links that open Discover filtered on that id.
 */
import { F } from '../../contract/vocabulary.ts';
import { CORRELATION_FIELDS, DURATION_FIELDS } from '../definitions.ts';
import { dataViewId, type SavedObject, savedObject } from './saved-object.ts';

/**
 * Discover showing every line of the request whose correlation id is the cell's value, over
 * the last 7 days. Kibana's URL formatter URL-encodes {{value}} and prefixes a path that
 * starts with "/" with Kibana's own origin.
 */
export function discoverUrlTemplate(viewId: string): string {
  const query = `${F.CORRELATION_ID}:%22{{value}}%22`;
  return `/app/discover#/?_g=(time:(from:now-7d,to:now))&_a=(index:'${viewId}',query:(language:kuery,query:'${query}'))`;
}

/** The field formats of the data view, keyed by field name. */
export function fieldFormats(viewId: string): Record<string, { id: string; params: Record<string, unknown> }> {
  const formats: Record<string, { id: string; params: Record<string, unknown> }> = {};
  for (const field of DURATION_FIELDS) {
    formats[field] = {
      id: 'duration',
      params: { inputFormat: 'nanoseconds', outputFormat: 'asMilliseconds', outputPrecision: 1, showSuffix: true },
    };
  }
  for (const field of CORRELATION_FIELDS) {
    formats[field] = {
      id: 'url',
      params: {
        type: 'a',
        urlTemplate: discoverUrlTemplate(viewId),
        labelTemplate: '{{value}}',
        openLinkInCurrentTab: false,
      },
    };
  }
  return formats;
}

/** The data view saved object for an index prefix. */
export function dataViewObject(prefix: string): SavedObject {
  const id = dataViewId(prefix);
  return savedObject('index-pattern', id, {
    title: `${prefix}-*`,
    name: `dtq logs (${prefix}-*)`,
    timeFieldName: F.TIMESTAMP,
    fieldFormatMap: JSON.stringify(fieldFormats(id)),
    // Kibana reads the field list from the mapping at runtime; an empty list is what it exports.
    fields: '[]',
    runtimeFieldMap: '{}',
    sourceFilters: '[]',
    fieldAttrs: '{}',
    typeMeta: '{}',
    allowNoIndex: true,
  });
}
