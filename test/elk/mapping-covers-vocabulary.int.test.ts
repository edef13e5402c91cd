import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexForTimestamp } from '../../contract/indices.ts';
import { FIELD_SPECS } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';

type Properties = Record<string, { type?: string; properties?: Properties }>;

function leafTypes(properties: Properties, path = ''): Map<string, string> {
  const out = new Map<string, string>();
  for (const [name, property] of Object.entries(properties)) {
    const full = path ? `${path}.${name}` : name;
    if (property.properties) for (const [k, v] of leafTypes(property.properties, full)) out.set(k, v);
    else if (property.type) out.set(full, property.type);
  }
  return out;
}

describe('log index mapping', () => {
  const prefix = uniqueIndexPrefix();
  let url = '';

  beforeAll(async () => {
    ({ url } = await testElasticsearch());
    await runSetup({ url, prefix, steps: CORE_STEPS });
  });
  afterAll(async () => {
    await deleteIndicesWithPrefix(url, prefix);
  });

  it('maps every field the vocabulary declares with its declared type', async () => {
    const index = indexForTimestamp('2026-03-01T10:00:00.000Z', prefix);
    const created = await fetch(`${url}/${index}`, { method: 'PUT' });
    expect(created.status).toBe(200);
    const mapping = (await (await fetch(`${url}/${index}/_mapping`)).json()) as Record<
      string,
      { mappings: { dynamic?: string; properties: Properties } }
    >;
    const mappings = mapping[index]?.mappings;
    expect(mappings?.dynamic).toBe('false');
    const types = leafTypes(mappings?.properties ?? {});
    const missing: string[] = [];
    for (const spec of Object.values(FIELD_SPECS)) {
      const actual = types.get(spec.name);
      const accepted = spec.type === 'text' ? ['text', 'match_only_text'] : [spec.type];
      if (actual === undefined || !accepted.includes(actual)) missing.push(`${spec.name}: ${actual ?? 'absent'}`);
    }
    expect(missing).toEqual([]);
    expect(types.size).toBe(Object.keys(FIELD_SPECS).length);
  });

  it('keeps unknown fields in _source without mapping them', async () => {
    const index = indexForTimestamp('2026-03-02T10:00:00.000Z', prefix);
    const response = await fetch(`${url}/${index}/_doc?refresh=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ '@timestamp': '2026-03-02T10:00:00.000Z', 'made.up.field': { deep: [1, 'two'] } }),
    });
    expect(response.status).toBe(201);
    const mapping = (await (await fetch(`${url}/${index}/_mapping`)).json()) as Record<
      string,
      { mappings: { properties: Properties } }
    >;
    expect(mapping[index]?.mappings.properties.made).toBeUndefined();
    const hits = (await (await fetch(`${url}/${index}/_search`)).json()) as {
      hits: { hits: { _source: Record<string, unknown> }[] };
    };
    expect(hits.hits.hits[0]?._source['made.up.field']).toEqual({ deep: [1, 'two'] });
  });
});
