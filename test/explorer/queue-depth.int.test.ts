/** The queue depth in the overview comes from the API's own queue.depth lines: real API and Redis, then files and Elasticsearch. */
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import { overview } from '../../explorer/model/overview.ts';
import { renderOverviewPlain } from '../../explorer/output/overview-plain.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { type ApiHarness, startApiHarness } from '../api/api-harness.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { tempLogDirs } from './helpers.ts';
import { bulkLoad } from './load-es.ts';

const { track } = tempLogDirs();
let api: ApiHarness;
let url: string;
let prefix: string;

const body = (priority: string) =>
  `{"task_type":"calculate_var","data":{"portfolio_data":{"positions":[{"symbol":"AAPL","quantity":1,"price":1.0}]}},"priority":"${priority}"}`;

beforeAll(async () => {
  api = await startApiHarness({ circuitCacheMs: 0, queueDepthLogMs: 0 });
  ({ url } = await testElasticsearch());
  prefix = uniqueIndexPrefix();
  await runSetup({ url, prefix, steps: CORE_STEPS });
});

afterAll(async () => {
  await api?.close();
  if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
});

describe('queue depth in the overview', () => {
  it('shows the latest depth of each queue the API logged, the same from files and from Elasticsearch', async () => {
    // Each request reads the depth before it queues: the last reading sees 2 high and 1 low.
    for (const [i, priority] of ['high', 'low', 'high', 'medium'].entries())
      expect(
        (await api.postTask({ payload: body(priority), headers: { 'x-request-id': `depth-${i}` } })).statusCode,
      ).toBe(202);

    const lines = api.lines();
    const depths = lines.filter((line) => line[F.EVENT_ACTION] === EVENTS.QUEUE_DEPTH);
    expect(depths.map((line) => line[F.QUEUE_DEPTH])).toEqual([0, 1, 2, 3]);
    for (const line of depths) expect(line).not.toHaveProperty(F.CORRELATION_ID);

    const dir = track(mkdtempSync(join(tmpdir(), 'dtq-depth-')));
    writeFileSync(join(dir, 'api.ndjson'), lines.map((line) => `${JSON.stringify(line)}\n`).join(''));
    await bulkLoad(
      url,
      lines.map((record: LogRecord, i) => ({ source: `api:${i}`, record })),
      (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix),
    );

    const filter = { sinceMs: Date.now() - 3_600_000 };
    const fromFiles = fleetFeed(new FileSource(dir), filter);
    const fromEs = fleetFeed(new ElasticsearchSource({ url, index: indexPattern(prefix) }), filter);
    const fileRows = await fromFiles.rows();
    await fromEs.rows();
    const expected = {
      total: 3,
      instance: api.instance,
      queues: [
        { queue: 'high', depth: 2 },
        { queue: 'medium', depth: 0 },
        { queue: 'low', depth: 1 },
      ],
    };
    expect(fromFiles.queueDepth()).toMatchObject(expected);
    expect(fromEs.queueDepth()).toEqual(fromFiles.queueDepth());

    const text = renderOverviewPlain(overview(fileRows, [], fromFiles.queueDepth()), dir);
    expect(text).toMatch(/^queue depth {3}high 2 · medium 0 · low 1 \(sum 3; api-test at \S+\)$/m);
  });
});
