import { readFileSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { type PausableProxy, startPausableProxy } from '../utils/pausable-proxy.ts';
import { waitFor } from '../utils/wait.ts';
import {
  accountFor,
  LineWriter,
  markerCounts,
  registryOffsets,
  shipperMetrics,
  startShipper,
  stopShipper,
  useShippingTestbed,
} from './fixtures.ts';

/** Lines of `writer`'s file that lie wholly before `offset`. */
function linesBefore(writer: LineWriter, offset: number): number {
  return readFileSync(writer.path).subarray(0, offset).toString('utf8').split('\n').length - 1;
}

describe('shipper killed with SIGKILL', () => {
  const bed = useShippingTestbed('kill');
  const { prefix, logDir } = bed;
  let proxy: PausableProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
  });

  it('loses and doubles nothing when killed while Elasticsearch holds a batch unacknowledged', {
    timeout: 300_000,
  }, async () => {
    const writers = [new LineWriter(logDir, 'api-1', 'api'), new LineWriter(logDir, 'nginx', 'nginx')];
    for (const writer of writers) writer.write(500);
    // The first shipper reaches Elasticsearch through a proxy the test can pause; every
    // acknowledged batch is saved to the registry at once, so the restart starts mid-file.
    proxy = await startPausableProxy(bed.url);
    const first = startShipper({
      logDir,
      esUrl: proxy.url,
      prefix,
      env: {
        DTQ_SHIPPER_MAX_BATCH_LINES: '100',
        DTQ_SHIPPER_REGISTRY_FLUSH_MS: '1',
        DTQ_SHIPPER_EXPORT_TIMEOUT_MS: '600000',
      },
    });
    await waitFor('a batch acknowledged and saved in the registry', () =>
      [...registryOffsets(logDir).values()].some((offset) => offset > 0),
    );

    // From now on Elasticsearch indexes each batch but its answer never reaches the shipper.
    // Lines written after the pause guarantee at least one more batch.
    proxy.pauseResponses((requestLine) => requestLine.includes('/_bulk'));
    for (const writer of writers) writer.write(1_000);
    const markers = writers.flatMap((writer) => writer.markers);
    const held = await waitFor('a _bulk answer held by the proxy', () => proxy?.held().at(0), { timeoutMs: 120_000 });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');

    // The kill landed while a batch was done but unacknowledged: its lines are in
    // Elasticsearch, yet the registry on disk stops before every one of them.
    const heldMarkers = [...held.request.matchAll(/"task_id":"((?:api-1|nginx)-\d+)"/g)].map((match) => match[1]);
    expect(heldMarkers.length).toBeGreaterThan(0);
    const offsets = registryOffsets(logDir);
    const acked = new Map(writers.map((writer) => [writer.name, linesBefore(writer, offsets.get(writer.path) ?? 0)]));
    for (const marker of heldMarkers) {
      const [, name, index] = /^(.+)-(\d+)$/.exec(String(marker)) ?? [];
      expect(Number(index)).toBeGreaterThanOrEqual(acked.get(String(name)) ?? Number.NaN);
    }
    const ackedTotal = [...acked.values()].reduce((a, b) => a + b, 0);
    expect(ackedTotal).toBeGreaterThan(0);
    expect(ackedTotal).toBeLessThan(markers.length);
    console.info(
      `killed with ${ackedTotal} of ${markers.length} lines acknowledged on disk and a batch of ${heldMarkers.length} held`,
    );
    const indexed = await markerCounts(bed.url, prefix);
    expect(heldMarkers.filter((marker) => !indexed.has(String(marker)))).toEqual([]);
    await proxy.close();
    proxy = undefined;

    const second = startShipper({ logDir, esUrl: bed.url, prefix });
    const report = await accountFor(bed.url, prefix, markers, 180_000);
    expect(report).toEqual({ lost: [], doubled: [], unexpected: [] });
    expect(await stopShipper(second)).toEqual({ code: 0, signal: null });
    // The held batch was sent again and recognised as already delivered (409), not indexed again.
    const last = shipperMetrics(logDir).at(-1);
    expect(last?.[F.SHIPPER_DUPLICATES]).toBeGreaterThanOrEqual(heldMarkers.length);
  });
});
