import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { deadLettered, duplicatesScenario, happyPath, type LogWriter, T0 } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';
import { bulkLoad } from './load-es.ts';

let url: string;
let prefix: string;
let dir: string;

/** The fixtures, then more requests and far more status polls after them. */
function window(): LogWriter {
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  for (let i = 0; i < 40; i++) {
    w.post({ ms: 5000 + i, cid: `req-${i}`, taskId: `task-${i}`, queue: i % 2 ? 'low' : 'medium' });
    w.attempt({ ms: 6000 + i, cid: `req-${i}`, taskId: `task-${i}`, worker: `worker-${1 + (i % 3)}`, attempt: 1 });
    for (let p = 0; p < 30; p++) w.poll(7000 + i * 40 + p, `poll-${i}-${p}`, `task-${i}`);
  }
  return w;
}

beforeAll(async () => {
  ({ url } = await testElasticsearch());
  prefix = uniqueIndexPrefix();
  await runSetup({ url, prefix, steps: CORE_STEPS });
  const w = window();
  await bulkLoad(url, w.hits(), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
  dir = writeLogDir(w);
});

afterAll(async () => {
  if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
  if (dir) removeDir(dir);
});

describe('the fleet view from Elasticsearch', () => {
  it('lists the same rows as the files for the same lines, polls left out', async () => {
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const files = new FileSource(dir);
    const filter = { sinceMs: T0 - 60_000, limit: 200 };
    const fromEs = await fleetFeed(es, filter).rows();
    const fromFiles = await fleetFeed(files, filter).rows();
    expect(fromEs).toHaveLength(47);
    expect(fromEs).toEqual(fromFiles);
    expect(fromEs.find((s) => s.correlationId === 'req-dlq-1')).toMatchObject({
      state: 'dead-lettered',
      attempts: 3,
    });
    await es.close();
    await files.close();
  });

  it('reads the newest --limit requests whole, and lists the same on a pass with nothing new', async () => {
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const fleet = fleetFeed(es, { sinceMs: T0 - 60_000, limit: 5 });
    const first = await fleet.rows();
    expect(first.map((s) => s.correlationId)).toEqual(['req-39', 'req-38', 'req-37', 'req-36', 'req-35']);
    for (const row of first) expect(row).toMatchObject({ status: 202, state: 'succeeded', requests: 1 });
    expect(await fleet.rows()).toEqual(first);
    // A filter reads more of the window, so it can find older matches.
    const failed = await fleetFeed(es, { sinceMs: T0 - 60_000, limit: 5, status: 'failed' }).rows();
    expect(failed.map((s) => s.correlationId)).toEqual(['req-dlq-1']);
    await es.close();
  });
});
