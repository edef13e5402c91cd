/**
 * The Elasticsearch mapping of log lines, generated from the vocabulary's FIELD_SPECS: one
 * declaration, so the mapping cannot drift from what the workload writes.
 */
import { FIELD_SPECS, type FieldType } from '../contract/vocabulary.ts';

/** One Elasticsearch property definition. */
export type EsProperty = { type: string; [option: string]: unknown } | { properties: Record<string, EsProperty> };

/** Mapping options that depend on what the server supports. */
export interface MappingCapabilities {
  /** match_only_text lives in the mapper-extras module, which the Maven integ-test zip lacks. */
  matchOnlyText: boolean;
}

function propertyFor(type: FieldType, name: string, capabilities: MappingCapabilities): EsProperty {
  switch (type) {
    case 'text':
      if (name === 'message' && capabilities.matchOnlyText) return { type: 'match_only_text' };
      // Closest plain-text equivalent of match_only_text: no scoring data kept.
      return { type: 'text', norms: false, index_options: 'docs' };
    case 'keyword':
      return { type: 'keyword', ignore_above: 1024 };
    default:
      return { type };
  }
}

/** Nested `properties` for the vocabulary's dotted field names. */
export function vocabularyProperties(capabilities: MappingCapabilities): Record<string, EsProperty> {
  const root: Record<string, EsProperty> = {};
  for (const spec of Object.values(FIELD_SPECS)) {
    const parts = spec.name.split('.');
    let level = root;
    for (const part of parts.slice(0, -1)) {
      const existing = level[part];
      if (existing === undefined || !('properties' in existing)) level[part] = { properties: {} };
      level = (level[part] as { properties: Record<string, EsProperty> }).properties;
    }
    level[parts[parts.length - 1] as string] = propertyFor(spec.type, spec.name, capabilities);
  }
  return root;
}

/**
 * The mappings block of the index template. `dynamic: false` keeps unknown fields in _source
 * (visible in Discover and the explorer) without adding them to the mapping, so no field a
 * process invents can explode the mapping or conflict with another's.
 */
export function logMappings(capabilities: MappingCapabilities): Record<string, unknown> {
  return { dynamic: false, properties: vocabularyProperties(capabilities) };
}
