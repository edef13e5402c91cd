import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { DtqError } from '../../contract/dtq-error.ts';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { loadTrace } from '../../explorer/load-trace.ts';
import { traceToJson } from '../../explorer/output/json.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { FileSource } from '../../explorer/sources/files.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { deadLettered, duplicatesScenario, happyPath, type LogWriter, T0 } from './fixtures.ts';
import { removeDir, writeLogDir } from './helpers.ts';
import { bulkLoad } from './load-es.ts';

const NOW = () => T0 + 60_000;
let url: string;
let prefix: string;
let dir: string;

/** A request whose correlation id the client reused for a long series of polls: 600+ lines. */
function chattyRequest(w: LogWriter): void {
  w.post({ ms: 0, cid: 'chatty', taskId: 'chatty-task' });
  w.attempt({ ms: 10, cid: 'chatty', taskId: 'chatty-task', worker: 'worker-1', attempt: 1, durationMs: 5000 });
  for (let i = 0; i < 200; i++) w.poll(20 + i * 25, 'chatty', 'chatty-task');
}

beforeAll(async () => {
  ({ url } = await testElasticsearch());
  prefix = uniqueIndexPrefix();
  await runSetup({ url, prefix, steps: CORE_STEPS });
  const w = duplicatesScenario();
  deadLettered(w);
  happyPath(w);
  chattyRequest(w);
  await bulkLoad(url, w.hits(), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
  dir = writeLogDir(w);
});

afterAll(async () => {
  if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
  if (dir) removeDir(dir);
});

function withoutSources(json: Record<string, unknown>): unknown {
  const events = json.events as { source: string }[];
  return { ...json, source: undefined, events: events.map((e) => ({ ...e, source: undefined })) };
}

describe('the Elasticsearch source', () => {
  it('gives the same trace as the files for the same lines', async () => {
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const files = new FileSource(dir);
    for (const correlationId of ['req-dlq-1', 'orig-req', 'replay-req', 'other-req', 'req-happy-1']) {
      const fromEs = traceToJson((await loadTrace(es, { correlationId }, NOW)).trace, { kind: 'x', description: 'x' });
      const fromFiles = traceToJson((await loadTrace(files, { correlationId }, NOW)).trace, {
        kind: 'x',
        description: 'x',
      });
      expect(withoutSources(fromEs)).toEqual(withoutSources(fromFiles));
    }
  });

  it('follows a task back to its request (--task)', async () => {
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const { trace } = await loadTrace(es, { taskId: 'task-dlq-1' }, NOW);
    expect(trace.correlationId).toBe('req-dlq-1');
    expect(trace.focusTaskId).toBe('task-dlq-1');
    expect(trace.tasks[0]?.attempts).toHaveLength(3);
  });

  it('pages through a trace longer than one page with a point in time', async () => {
    const paged = new ElasticsearchSource({ url, index: indexPattern(prefix), pageSize: 100 });
    const { trace } = await loadTrace(paged, { correlationId: 'chatty' }, NOW);
    // The POST (4 lines), one attempt (2) and 200 polls of 3 lines each.
    expect(trace.lines.length).toBe(4 + 2 + 200 * 3);
    const onePage = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const reference = (await loadTrace(onePage, { correlationId: 'chatty' }, NOW)).trace;
    expect(trace.lines.map((l) => l.source)).toEqual(reference.lines.map((l) => l.source));
  });

  it('names the nearest ids and the range searched for an unknown id', async () => {
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const error = await loadTrace(es, { correlationId: 'req-dlq-7' }).catch((e: DtqError) => e);
    expect((error as DtqError).code).toBe('DTQ_ERR_EXPLORE_NOT_FOUND');
    expect((error as DtqError).message).toContain('Nearest correlation ids: req-dlq-1');
    expect((error as DtqError).message).toMatch(/searched 2026-11-22T10:15:23\.\d{3}Z to 2026-11-22T10:15:28\.\d{3}Z/);
  });

  it('names a task id given as a correlation id, and the reverse, with the command that opens it', async () => {
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const asCorrelation = await loadTrace(es, { correlationId: 'task-dlq-1' }).catch((e: DtqError) => e);
    expect((asCorrelation as DtqError).code).toBe('DTQ_ERR_EXPLORE_NOT_FOUND');
    expect((asCorrelation as DtqError).message).toContain(
      'task-dlq-1 is a task id: run `dtq-explore --task task-dlq-1`.',
    );
    const asTask = await loadTrace(es, { taskId: 'req-dlq-1' }).catch((e: DtqError) => e);
    expect((asTask as DtqError).message).toContain('req-dlq-1 is a correlation id: run `dtq-explore req-dlq-1`.');
  });

  it('says that nothing was shipped when no index matches', async () => {
    const es = new ElasticsearchSource({ url, index: `${uniqueIndexPrefix()}-*` });
    const error = await loadTrace(es, { correlationId: 'anything' }).catch((e: DtqError) => e);
    expect((error as DtqError).code).toBe('DTQ_ERR_EXPLORE_NO_INDEX');
    expect((error as DtqError).message).toContain('npm run ship');
  });

  it('says Elasticsearch is unreachable, with the URL and what to try', async () => {
    const es = new ElasticsearchSource({ url: 'http://127.0.0.1:9', index: 'dtq-logs-*' });
    const error = await loadTrace(es, { correlationId: 'x' }).catch((e: DtqError) => e);
    expect((error as DtqError).code).toBe('DTQ_ERR_EXPLORE_ES_UNREACHABLE');
    expect((error as DtqError).message).toContain('http://127.0.0.1:9');
    expect((error as DtqError).message).toContain('--logs DIR');
  });

  it('lists recent lines newest first', async () => {
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const hits = await es.recent(undefined, 50);
    const times = hits.map((h) => Date.parse(String(h.record[F.TIMESTAMP])));
    expect(times).toEqual([...times].sort((a, b) => b - a));
    expect(hits).toHaveLength(50);
  });
});
