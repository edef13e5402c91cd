import { render } from 'ink-testing-library';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexForTimestamp, indexPattern } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { App } from '../../explorer/components/App.tsx';
import { fleetFeed } from '../../explorer/fleet-feed.ts';
import { loadTrace, type TraceTarget } from '../../explorer/load-trace.ts';
import { ElasticsearchSource } from '../../explorer/sources/elasticsearch.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { LogWriter, T0 } from './fixtures.ts';
import { press, selectedLine, stripAnsi, waitForFrame } from './helpers.ts';
import { bulkLoad } from './load-es.ts';

let url: string;
let prefix: string;
let batches = 0;

/** Index a writer's lines under their own document ids, searchable when this returns. */
const index = (w: LogWriter) =>
  bulkLoad(url, w.hits(`batch-${batches++}`), (record) => indexForTimestamp(String(record[F.TIMESTAMP]), prefix));

beforeAll(async () => {
  ({ url } = await testElasticsearch());
  prefix = uniqueIndexPrefix();
  await runSetup({ url, prefix, steps: CORE_STEPS });
});

afterAll(async () => {
  if (url && prefix) await deleteIndicesWithPrefix(url, prefix);
});

describe('the fleet view over Elasticsearch with --follow', () => {
  it('shows new requests and late lines as they are indexed, the cursor staying on its row', async () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-a', taskId: 'task-a' });
    w.post({ ms: 1000, cid: 'req-b', taskId: 'task-b' });
    await index(w);
    const source = new ElasticsearchSource({ url, index: indexPattern(prefix) });
    const fleet = fleetFeed(source, { sinceMs: T0 - 60_000, limit: 200 });
    const load = async (target: TraceTarget) => (await loadTrace(source, target, () => T0 + 60_000)).trace;
    const app = render(
      <App loadTrace={load} loadList={() => fleet.rows()} follow size={{ columns: 100, rows: 24 }} noColor />,
    );
    const frame = () => stripAnsi(app.lastFrame() ?? '');
    await waitForFrame(app.lastFrame, (f) => f.includes('Fleet: 2 request(s)') && f.includes('following'), 10_000);
    expect(selectedLine(frame())).toContain('req-b');
    await press(app, 'j');
    expect(selectedLine(frame())).toContain('req-a');

    // A new request, and req-a's worker line stamped before req-b's lines were read, indexed only now.
    const later = new LogWriter();
    later.post({ ms: 2000, cid: 'req-c', taskId: 'task-c' });
    later.attempt({
      ms: 900,
      cid: 'req-a',
      taskId: 'task-a',
      worker: 'worker-1',
      attempt: 1,
      durationMs: 20,
    });
    await index(later);
    const updated = await waitForFrame(
      app.lastFrame,
      (f) => f.includes('Fleet: 3 request(s)') && /succeeded.*req-a/.test(f),
      10_000,
    );
    // req-c is on top now; the cursor stayed on req-a, which has succeeded meanwhile.
    expect(selectedLine(updated)).toMatch(/succeeded.*req-a/);
    expect(updated.indexOf('req-c')).toBeLessThan(updated.indexOf('req-a'));
    app.unmount();
    await source.close();
  });
});
