/**
 * The overview's numbers against Elasticsearch: the same lines in files and in an index give
 * the same overview, and its counts agree with the dashboards' own aggregations (the panels
 * `dtq-explore --stats` runs on Elasticsearch).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { collectStats } from '../../dashboards/stats.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import { listRequests } from '../../explorer/model/list-view.ts';
import { overview } from '../../explorer/model/overview.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import type { LogSource } from '../../explorer/sources/source.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { deadLettered, duplicatesScenario, happyPath, type LogWriter, T0 } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';
import { bulkLoad } from './load-es.ts';

let url: string;
let prefix: string;
let dir: string;

/** The fixtures, and a second request that succeeds on its third attempt. */
function lines(): LogWriter {
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  w.post({ ms: 4000, cid: 'req-retried', taskId: 'task-retried', taskType: 'stress_test' });
  for (const [attempt, ms] of [
    [1, 4010],
    [2, 4200],
  ] as const)
    w.attempt({
      ms,
      cid: 'req-retried',
      taskId: 'task-retried',
      worker: 'worker-1',
      attempt,
      fail: 'flaky',
      retryDelayMs: 100,
    });
  w.attempt({ ms: 4400, cid: 'req-retried', taskId: 'task-retried', worker: 'worker-3', attempt: 3 });
  return w;
}

beforeAll(async () => {
  ({ url } = await testElasticsearch());
  prefix = uniqueIndexPrefix();
  await runSetup({ url, prefix, steps: CORE_STEPS });
  const w = lines();
  await bulkLoad(url, w.hits(), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
  dir = writeLogDir(w);
});

afterAll(async () => {
  if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
  if (dir) removeDir(dir);
});

async function overviewOf(source: LogSource) {
  const ledger = await fleetFeed(source, { sinceMs: T0 - 60_000 }).refresh();
  return overview(listRequests(ledger.summaries()), ledger.tasks());
}

describe('the overview', () => {
  it('is the same from Elasticsearch as from the files, and agrees with the dashboards’ aggregations', async () => {
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const files = new FileSource(dir);
    const fromEs = await overviewOf(es);
    const fromFiles = await overviewOf(files);
    expect(fromEs).toEqual(fromFiles);
    expect(fromFiles.requests).toBe(8);

    const report = await collectStats({ esUrl: url, indexPattern: indexPattern(prefix), since: new Date(T0 - 60_000) });
    const panel = (id: string) =>
      report.sections.flatMap((section) => section.panels).find((p) => p.panel.id === id)?.rows ?? [];
    const total = (id: string) => panel(id).reduce((sum, row) => sum + (row.values.count ?? row.docCount), 0);
    const state = (name: string) => fromFiles.states.find((s) => s.state === name)?.count ?? 0;
    // Dead letters: one line per dead-lettered task.
    expect(total('dead-lettered-total')).toBe(state('dead-lettered'));
    // Retries: every attempt after the first followed a scheduled retry (no stalls here).
    const retries = fromFiles.slowestTypes.reduce((sum, t) => sum + t.retries, 0);
    expect(total('retries-total')).toBe(retries);
    expect(retries).toBe(4);
    await es.close();
    await files.close();
  });
});
