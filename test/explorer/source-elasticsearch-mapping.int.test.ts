/**
 * Elasticsearch read through the ecs profile: the lookups are term queries on the mapped
 * fields (`trace.id`, `task_id`, …) and every hit is mapped, so the trace equals the one the
 * files give through the same profile. The index is mapped as ECS index templates map these
 * fields (keyword ids), not by dtq's contract template, which does not index foreign fields.
 */
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadTrace } from '../../explorer/load-trace.ts';
import { PROFILES } from '../../explorer/mapping/load.ts';
import { compileMapping } from '../../explorer/mapping/mapping.ts';
import { traceToJson } from '../../explorer/output/json.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { ROOT } from './binary.ts';
import { bulkLoad } from './load-es.ts';

const ECS_DIR = join(ROOT, 'test', 'explorer', 'foreign', 'ecs');
const NOW = () => Date.parse('2026-12-01T12:00:00Z');
const ecs = compileMapping(PROFILES.ecs as NonNullable<(typeof PROFILES)['ecs']>);
let url: string;
let prefix: string;

const keyword = { type: 'keyword' };
/** The fields the ecs profile queries and sorts on, mapped as the ECS templates map them. */
const ECS_MAPPINGS = {
  properties: {
    '@timestamp': { type: 'date' },
    trace: { properties: { id: keyword } },
    task_id: keyword,
    labels: { properties: { task_id: keyword } },
    event: { properties: { action: keyword, duration: { type: 'long' } } },
    service: { properties: { name: keyword, node: { properties: { name: keyword } } } },
  },
};

beforeAll(async () => {
  ({ url } = await testElasticsearch());
  prefix = uniqueIndexPrefix();
  const index = `${prefix}-2026.12.01`;
  const created = await fetch(`${url}/${index}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ settings: { number_of_shards: 1, number_of_replicas: 0 }, mappings: ECS_MAPPINGS }),
  });
  expect(created.ok).toBe(true);
  const hits = ['orders-api.ndjson', 'orders-worker.ndjson'].flatMap((name) =>
    readFileSync(join(ECS_DIR, name), 'utf8')
      .trim()
      .split('\n')
      .map((text, i) => ({ source: `${name}:${i + 1}`, record: JSON.parse(text) as Record<string, unknown> })),
  );
  await bulkLoad(url, hits, () => index);
});

afterAll(async () => {
  if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
});

function withoutSources(json: Record<string, unknown>): unknown {
  const events = json.events as { source: string }[];
  return { ...json, source: undefined, events: events.map((e) => ({ ...e, source: undefined })) };
}

describe('Elasticsearch through the ecs profile', () => {
  it('finds the request by trace.id and its task by task_id, giving the files trace', async () => {
    const es = new ElasticsearchSource({ url, index: `${prefix}-*`, mapping: ecs });
    const files = new FileSource(ECS_DIR, { mapping: ecs });
    try {
      const target = { correlationId: '0af7651916cd43dd8448eb211c80319c' };
      const fromEs = (await loadTrace(es, target, NOW)).trace;
      expect(fromEs.outcome.status).toBe('succeeded');
      expect(fromEs.lines).toHaveLength(10);
      const fromFiles = (await loadTrace(files, target, NOW)).trace;
      const info = { kind: 'x', description: 'x' };
      expect(withoutSources(traceToJson(fromEs, info))).toEqual(withoutSources(traceToJson(fromFiles, info)));
      const byTask = (await loadTrace(es, { taskId: 'job-5521' }, NOW)).trace;
      expect(byTask.correlationId).toBe('0af7651916cd43dd8448eb211c80319c');
    } finally {
      await es.close();
    }
  });

  it('refuses the otel profile, whose OTLP JSON lines only files hold', () => {
    const otel = compileMapping(PROFILES.otel as NonNullable<(typeof PROFILES)['otel']>);
    expect(() => new ElasticsearchSource({ url, index: `${prefix}-*`, mapping: otel })).toThrow(
      /reads OTLP JSON files as the Collector's file exporter writes them/,
    );
  });
});
