/**
 * Offline proof of the generated Kibana objects: the committed NDJSON is what the definitions
 * generate, it parses, its references resolve, its shapes pass the Kibana 8.x validator, and
 * every field a panel touches is mapped by our index template with an aggregatable type.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { allPanels, DASHBOARDS } from '../../dashboards/definitions.ts';
import { filterToKql } from '../../dashboards/filters.ts';
import { RECORDS_FIELD } from '../../dashboards/kibana/lens.ts';
import { lensId } from '../../dashboards/kibana/saved-object.ts';
import { GENERATED_NDJSON, savedObjects, toNdjson } from '../../dashboards/kibana/saved-objects.ts';
import { parseNdjson, validateSavedObjects } from '../../dashboards/kibana/validate.ts';
import { panelFields, panelProblems } from '../../dashboards/model.ts';
import { type EsProperty, vocabularyProperties } from '../../elk/mapping.ts';

const root = join(import.meta.dirname, '..', '..');
const committed = readFileSync(join(root, GENERATED_NDJSON), 'utf8');
const objects = parseNdjson(committed) as Array<{
  id: string;
  type: string;
  attributes: Record<string, unknown>;
  references: Array<{ name: string; type: string; id: string }>;
}>;

const AGGREGATABLE = new Set(['keyword', 'long', 'double', 'date', 'boolean']);

/** The mapped type of a dotted field in our generated mapping, or undefined when unmapped. */
function mappedType(field: string): string | undefined {
  let level: Record<string, EsProperty> = vocabularyProperties({ matchOnlyText: false });
  const parts = field.split('.');
  for (const [index, part] of parts.entries()) {
    const property = level[part];
    if (!property) return undefined;
    if (index === parts.length - 1) return 'type' in property ? String(property.type) : undefined;
    if (!('properties' in property)) return undefined;
    level = property.properties as Record<string, EsProperty>;
  }
  return undefined;
}

describe('the generated Kibana saved objects', () => {
  it('are committed exactly as the definitions generate them', () => {
    expect(committed).toBe(toNdjson(savedObjects()));
  });

  it('pass the Kibana 8.x shape validator with no problem', () => {
    expect(validateSavedObjects(objects)).toEqual([]);
  });

  it('hold one data view, one Lens object per panel and the three dashboards', () => {
    const byType = (type: string) => objects.filter((object) => object.type === type).length;
    expect(byType('index-pattern')).toBe(1);
    expect(byType('lens')).toBe(allPanels().length);
    expect(objects.filter((object) => object.type === 'dashboard').map((object) => object.attributes.title)).toEqual(
      DASHBOARDS.map((dashboard) => dashboard.title),
    );
  });

  it('resolve every reference to an object in the same file', () => {
    const present = new Set(objects.map((object) => `${object.type}:${object.id}`));
    const references = objects.flatMap((object) => object.references);
    expect(references.length).toBeGreaterThan(allPanels().length);
    for (const reference of references) expect(present).toContain(`${reference.type}:${reference.id}`);
  });

  it('put every panel of a dashboard on that dashboard, by reference to its Lens object', () => {
    for (const dashboard of DASHBOARDS) {
      const object = objects.find((candidate) => candidate.id === `dtq-dashboard-${dashboard.id}`);
      const panels = JSON.parse(String(object?.attributes.panelsJSON)) as Array<{
        panelIndex: string;
        panelRefName: string;
      }>;
      expect(panels.map((panel) => panel.panelIndex)).toEqual(dashboard.panels.map((panel) => panel.id));
      for (const panel of panels) {
        const reference = object?.references.find(
          (candidate) => candidate.name === `${panel.panelIndex}:${panel.panelRefName}`,
        );
        expect(reference?.id).toBe(lensId(panel.panelIndex));
      }
    }
  });

  it('only aggregate and filter on fields our mapping has, with an aggregatable type', () => {
    const used = new Set<string>();
    for (const object of objects.filter((candidate) => candidate.type === 'lens')) {
      const state = object.attributes.state as {
        datasourceStates: {
          formBased: { layers: Record<string, { columns: Record<string, { sourceField: string }> }> };
        };
      };
      for (const layer of Object.values(state.datasourceStates.formBased.layers)) {
        for (const column of Object.values(layer.columns))
          if (column.sourceField !== RECORDS_FIELD) used.add(column.sourceField);
      }
    }
    for (const panel of allPanels()) for (const field of panelFields(panel)) used.add(field);
    const view = objects.find((object) => object.type === 'index-pattern');
    for (const field of Object.keys(JSON.parse(String(view?.attributes.fieldFormatMap)))) used.add(field);
    expect(used.size).toBeGreaterThan(15);
    const problems = [...used]
      .map((field) => ({ field, type: mappedType(field) }))
      .filter(({ type }) => type === undefined || !AGGREGATABLE.has(type));
    expect(problems).toEqual([]);
  });

  it('query each Lens panel with the KQL of its definition', () => {
    for (const panel of allPanels()) {
      const object = objects.find((candidate) => candidate.id === lensId(panel.id));
      const state = object?.attributes.state as { query: { query: string; language: string } };
      expect(state.query).toEqual({ query: filterToKql(panel.where), language: 'kuery' });
    }
  });

  it('come from panel definitions that are sound and have unique ids', () => {
    const ids = allPanels().map((panel) => panel.id);
    expect(new Set(ids).size).toBe(ids.length);
    expect(allPanels().flatMap((panel) => panelProblems(panel).map((problem) => `${panel.id}: ${problem}`))).toEqual(
      [],
    );
  });

  it('link correlation ids to Discover filtered on that id', () => {
    const view = objects.find((object) => object.type === 'index-pattern');
    const formats = JSON.parse(String(view?.attributes.fieldFormatMap)) as Record<
      string,
      { id: string; params: { urlTemplate: string } }
    >;
    const link = formats.correlation_id;
    expect(link?.id).toBe('url');
    expect(link?.params.urlTemplate).toMatch(/^\/app\/discover#\/\?/);
    expect(link?.params.urlTemplate).toContain(`index:'${view?.id}'`);
    expect(link?.params.urlTemplate).toContain('correlation_id:%22{{value}}%22');
  });
});
