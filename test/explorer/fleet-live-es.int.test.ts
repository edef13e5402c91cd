import { afterEach, beforeAll, describe, expect, it } from 'vitest';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import type { RequestFilter } from '../../explorer/model/list-view.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { LogWriter, T0 } from './fixtures.ts';
import { bulkLoad } from './load-es.ts';

let url: string;
const prefixes: string[] = [];

beforeAll(async () => {
  ({ url } = await testElasticsearch());
});

afterEach(async () => {
  for (const prefix of prefixes.splice(0)) await deleteIndicesWithPrefix(url, prefix);
});

/** A fresh index prefix holding twenty queued requests 100 ms apart, and status polls after them. */
async function window(): Promise<{ prefix: string; index: (w: LogWriter) => Promise<void> }> {
  const prefix = uniqueIndexPrefix();
  prefixes.push(prefix);
  await runSetup({ url, prefix, steps: CORE_STEPS });
  let batches = 0;
  // Each batch under its own document ids, refreshed: searchable when this returns.
  const index = (w: LogWriter) =>
    bulkLoad(url, w.hits(`batch-${batches++}`), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));
  const w = new LogWriter();
  for (let i = 0; i < 20; i++) w.post({ ms: i * 100, cid: `req-${i}`, taskId: `task-${i}` });
  for (let i = 0; i < 20; i++) w.poll(2500 + i, `poll-${i}`, `task-${i}`);
  await index(w);
  return { prefix, index };
}

/** The rows a fresh fleet view of `prefix` lists now: the whole window ranked and read anew. */
async function freshRows(prefix: string, filter: RequestFilter) {
  const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
  try {
    return await fleetFeed(es, filter).rows();
  } finally {
    await es.close();
  }
}

describe('the fleet view from Elasticsearch with --follow', () => {
  it('folds in what was indexed since the last pass, out-of-order lines included, and lists what a fresh view lists', async () => {
    const { prefix, index } = await window();
    const filter = { sinceMs: T0 - 60_000, limit: 5 };
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const fleet = fleetFeed(es, filter);
    const first = await fleet.rows();
    expect(first.map((row) => row.correlationId)).toEqual(['req-19', 'req-18', 'req-17', 'req-16', 'req-15']);
    expect(first.every((row) => row.state === 'queued')).toBe(true);

    // req-19's task fails once and waits for a retry; a request newer than all arrives; an old
    // request outside the five gets a line.
    const later = new LogWriter();
    later.attempt({
      ms: 3000,
      cid: 'req-19',
      taskId: 'task-19',
      worker: 'worker-1',
      attempt: 1,
      fail: 'boom',
      retryDelayMs: 50,
    });
    later.post({ ms: 3500, cid: 'req-new', taskId: 'task-new' });
    later.attempt({ ms: 3600, cid: 'req-2', taskId: 'task-2', worker: 'worker-3', attempt: 1, durationMs: 10 });
    await index(later);
    const second = await fleet.rows();
    expect(second.map((row) => row.correlationId)).toEqual(['req-new', 'req-19', 'req-18', 'req-17', 'req-16']);
    expect(second[1]).toMatchObject({ state: 'retrying', attempts: 1, errors: 1 });
    expect(second).toEqual(await freshRows(prefix, filter));

    // Lines stamped before lines the last pass read (another process's clock, a shipper's late
    // batch), indexed only now: req-19's second attempt and req-17's first.
    const late = new LogWriter();
    late.attempt({ ms: 3100, cid: 'req-19', taskId: 'task-19', worker: 'worker-2', attempt: 2, durationMs: 100 });
    late.attempt({ ms: 3200, cid: 'req-17', taskId: 'task-17', worker: 'worker-3', attempt: 1, durationMs: 10 });
    await index(late);
    const third = await fleet.rows();
    expect(third[1]).toMatchObject({ correlationId: 'req-19', state: 'succeeded', attempts: 2, worker: 'worker-2' });
    expect(third[3]).toMatchObject({ correlationId: 'req-17', state: 'succeeded', worker: 'worker-3' });
    expect(third).toEqual(await freshRows(prefix, filter));

    // The next pass reads the same lines again in its overlap, and counts none of them twice.
    const fourth = await fleet.rows();
    expect(fourth).toEqual(third);
    expect(fourth[1]?.errors).toBe(1);
    await es.close();
  });

  it('goes on listing new requests after a line stamped an hour ahead of the clock', async () => {
    const { prefix, index } = await window();
    const filter = { sinceMs: T0 - 60_000, limit: 5 };
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const fleet = fleetFeed(es, filter);
    await fleet.rows();
    // A writer whose clock runs an hour fast.
    const ahead = new LogWriter();
    ahead.post({ ms: Date.now() - T0 + 3_600_000, cid: 'req-ahead', taskId: 'task-ahead' });
    await index(ahead);
    expect((await fleet.rows())[0]?.correlationId).toBe('req-ahead');
    // Written after it by a writer half a minute fast: stamped an hour before the line read last.
    const after = new LogWriter();
    after.post({ ms: Date.now() - T0 + 30_000, cid: 'req-after', taskId: 'task-after' });
    await index(after);
    const rows = await fleet.rows();
    expect(rows.map((row) => row.correlationId)).toEqual(['req-ahead', 'req-after', 'req-19', 'req-18', 'req-17']);
    expect(rows).toEqual(await freshRows(prefix, filter));
    await es.close();
  });

  it('lets newer requests push older ones out, and leaves out an old request that gets a line', async () => {
    const { prefix, index } = await window();
    const filter = { sinceMs: T0 - 60_000, limit: 2 };
    const es = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const fleet = fleetFeed(es, filter);
    expect((await fleet.rows()).map((row) => row.correlationId)).toEqual(['req-19', 'req-18']);
    const newer = new LogWriter();
    newer.post({ ms: 5000, cid: 'req-a', taskId: 'task-a' });
    newer.post({ ms: 5100, cid: 'req-b', taskId: 'task-b' });
    await index(newer);
    const pushed = await fleet.rows();
    expect(pushed.map((row) => row.correlationId)).toEqual(['req-b', 'req-a']);
    expect(pushed).toEqual(await freshRows(prefix, filter));
    // req-18 has left the two newest: its task starting now does not bring it back.
    const old = new LogWriter();
    old.attempt({ ms: 5200, cid: 'req-18', taskId: 'task-18', worker: 'worker-1', attempt: 1, durationMs: 10 });
    old.attempt({ ms: 5200, cid: 'req-a', taskId: 'task-a', worker: 'worker-2', attempt: 1, durationMs: 10 });
    await index(old);
    const last = await fleet.rows();
    expect(last.map((row) => row.correlationId)).toEqual(['req-b', 'req-a']);
    expect(last[1]).toMatchObject({ state: 'succeeded', worker: 'worker-2' });
    expect(last).toEqual(await freshRows(prefix, filter));
    await es.close();
  });
});
