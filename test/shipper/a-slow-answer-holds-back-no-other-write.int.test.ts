/**
 * One `_bulk` answer that is slow to come must not keep Elasticsearch to fewer requests: the
 * shipper sends the next batches as the others are answered, while its registry still waits
 * for the slow one (acknowledgement stays in batch order), and what it holds stays bounded.
 */
import { statSync } from 'node:fs';
import { afterAll, describe, expect, it } from 'vitest';
import { type PausableProxy, startPausableProxy } from '../utils/pausable-proxy.ts';
import { waitFor } from '../utils/wait.ts';
import {
  accountFor,
  LineWriter,
  markerCounts,
  registryOffsets,
  startShipper,
  stopShipper,
  useShippingTestbed,
} from './fixtures.ts';

const BATCH_LINES = 100;
const CONCURRENT = 2;

describe('a slow _bulk answer', () => {
  const bed = useShippingTestbed('slow-answer');
  const { prefix, logDir } = bed;
  let proxy: PausableProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
  });

  it('holds back no other write, and the registry waits for it', { timeout: 180_000 }, async () => {
    const writer = new LineWriter(logDir, 'api-1', 'api');
    writer.write(20 * BATCH_LINES);
    proxy = await startPausableProxy(bed.url);
    // Only the answer to the first batch (it holds the file's first line) is held; Elasticsearch
    // has indexed the batch. Answers of later batches may come first: they pass.
    const firstLine = `"task_id":"${writer.markers[0]}"`;
    proxy.pauseResponses(
      (requestLine, requestText) => requestLine.includes('/_bulk') && requestText().includes(firstLine),
    );
    const shipper = startShipper({
      logDir,
      esUrl: proxy.url,
      prefix,
      env: {
        DTQ_SHIPPER_MAX_BATCH_LINES: String(BATCH_LINES),
        DTQ_SHIPPER_MAX_CONCURRENT_EXPORTS: String(CONCURRENT),
        DTQ_SHIPPER_MAX_QUEUED_BATCHES: '1',
        DTQ_SHIPPER_REGISTRY_FLUSH_MS: '1',
        DTQ_SHIPPER_EXPORT_TIMEOUT_MS: '600000',
      },
    });
    try {
      await waitFor('the first _bulk answer held', () => proxy?.held().length === 1, { timeoutMs: 60_000 });
      // Waiting for one answer only (acknowledgement), later batches still reach Elasticsearch:
      // more than the CONCURRENT batches a sender gated on the oldest answer would have sent.
      const indexed = async () => [...(await markerCounts(bed.url, prefix)).values()].reduce((a, b) => a + b, 0);
      await waitFor(
        'more batches indexed than requests in flight',
        async () => (await indexed()) > CONCURRENT * BATCH_LINES,
        {
          timeoutMs: 60_000,
          intervalMs: 250,
        },
      );
      // Bounded: the sender holds at most 2 × CONCURRENT batches, the held one among them.
      await new Promise((resolve) => setTimeout(resolve, 1_500));
      expect(await indexed()).toBeLessThanOrEqual(2 * CONCURRENT * BATCH_LINES);
      expect(proxy.held()).toHaveLength(1);
      // Nothing is acknowledged past the batch whose answer has not come.
      expect(registryOffsets(logDir).get(writer.path) ?? 0).toBe(0);

      proxy.resumeResponses();
      const { lost, doubled } = await accountFor(bed.url, prefix, writer.markers);
      expect({ lost, doubled }).toEqual({ lost: [], doubled: [] });
      const size = statSync(writer.path).size;
      await waitFor('the whole file acknowledged', () => registryOffsets(logDir).get(writer.path) === size);
    } finally {
      await stopShipper(shipper);
    }
  });
});
