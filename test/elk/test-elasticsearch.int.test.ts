import { afterAll, describe, expect, it } from 'vitest';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';

describe('test Elasticsearch', () => {
  const prefix = uniqueIndexPrefix();
  let url = '';

  afterAll(async () => {
    if (url) await deleteIndicesWithPrefix(url, prefix);
  });

  it('hands every caller the same running node', async () => {
    const [first, second] = await Promise.all([testElasticsearch(), testElasticsearch()]);
    url = first.url;
    expect(second.url).toBe(first.url);
    const health = (await (await fetch(`${url}/_cluster/health`)).json()) as { status: string };
    expect(['green', 'yellow']).toContain(health.status);
  });

  it('gives unique prefixes whose indices can all be deleted afterwards', async () => {
    expect(uniqueIndexPrefix()).not.toBe(prefix);
    expect(prefix).toMatch(/^test-[0-9a-f-]{36}$/);
    for (const day of ['2026.01.01', '2026.01.02']) {
      const response = await fetch(`${url}/${prefix}-${day}/_doc?refresh=true`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ message: day }),
      });
      expect(response.status).toBe(201);
    }
    const count = (await (await fetch(`${url}/${prefix}-*/_count`)).json()) as { count: number };
    expect(count.count).toBe(2);
    await deleteIndicesWithPrefix(url, prefix);
    const left = (await (await fetch(`${url}/_cat/indices/${prefix}-*?format=json`)).json()) as unknown[];
    expect(left).toEqual([]);
  });
});
