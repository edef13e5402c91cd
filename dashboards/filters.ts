/**
 * One filter, two languages: KQL for the Kibana panels and Elasticsearch query DSL for the
 * aggregations that tests and `dtq-explore --stats` run. Both come from the same conditions.
 */
import type { Condition, FieldValue, Filter } from './model.ts';

function kqlValue(value: FieldValue): string {
  if (typeof value !== 'string') return String(value);
  return `"${value.replaceAll('\\', '\\\\').replaceAll('"', '\\"')}"`;
}

function conditionToKql(condition: Condition): string {
  switch (condition.kind) {
    case 'oneOf': {
      const values = condition.values.map(kqlValue);
      return values.length === 1
        ? `${condition.field} : ${values[0]}`
        : `${condition.field} : (${values.join(' or ')})`;
    }
    case 'range': {
      const parts: string[] = [];
      if (condition.gte !== undefined) parts.push(`${condition.field} >= ${condition.gte}`);
      if (condition.lt !== undefined) parts.push(`${condition.field} < ${condition.lt}`);
      return parts.join(' and ');
    }
    case 'exists':
      return `${condition.field} : *`;
  }
}

/** The filter as a KQL query string ('' for no condition). */
export function filterToKql(filter: Filter): string {
  return filter
    .map(conditionToKql)
    .filter((part) => part !== '')
    .join(' and ');
}

/** One condition as an Elasticsearch query clause. */
export function conditionToQuery(condition: Condition): Record<string, unknown> {
  switch (condition.kind) {
    case 'oneOf':
      return { terms: { [condition.field]: [...condition.values] } };
    case 'range': {
      const bounds: Record<string, number> = {};
      if (condition.gte !== undefined) bounds.gte = condition.gte;
      if (condition.lt !== undefined) bounds.lt = condition.lt;
      return { range: { [condition.field]: bounds } };
    }
    case 'exists':
      return { exists: { field: condition.field } };
  }
}

/** The filter as an Elasticsearch bool query (match_all for no condition). */
export function filterToQuery(filter: Filter): Record<string, unknown> {
  if (filter.length === 0) return { match_all: {} };
  return { bool: { filter: filter.map(conditionToQuery) } };
}
