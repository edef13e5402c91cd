import { describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { waitFor } from '../utils/wait.ts';
import {
  accountFor,
  LineWriter,
  markerCounts,
  shipperMetrics,
  startShipper,
  stopShipper,
  useShippingTestbed,
} from './fixtures.ts';

describe('shipper killed with SIGKILL', () => {
  const bed = useShippingTestbed('kill');
  const { prefix, logDir } = bed;

  it('loses and doubles nothing when killed mid-batch and restarted', { timeout: 300_000 }, async () => {
    const writers = [new LineWriter(logDir, 'api-1', 'api'), new LineWriter(logDir, 'nginx', 'nginx')];
    for (const writer of writers) writer.write(1_500);
    const markers = writers.flatMap((writer) => writer.markers);
    // Small batches so the kill lands between many of them; the registry is written once
    // (after the first batch) and then not for ten minutes, so the restart must resend lines
    // Elasticsearch already has.
    const first = startShipper({
      logDir,
      esUrl: bed.url,
      prefix,
      env: { DTQ_SHIPPER_MAX_BATCH_LINES: '100', DTQ_SHIPPER_REGISTRY_FLUSH_MS: '600000' },
    });
    await waitFor('a few hundred lines indexed', async () => (await markerCounts(bed.url, prefix)).size >= 300, {
      timeoutMs: 120_000,
      intervalMs: 200,
    });
    first.child.kill('SIGKILL');
    expect((await first.exited).signal).toBe('SIGKILL');
    const atKill = (await markerCounts(bed.url, prefix)).size;
    expect(atKill).toBeLessThan(markers.length);

    const second = startShipper({ logDir, esUrl: bed.url, prefix });
    const report = await accountFor(bed.url, prefix, markers, 180_000);
    expect(report).toEqual({ lost: [], doubled: [], unexpected: [] });
    expect(await stopShipper(second)).toEqual({ code: 0, signal: null });
    // The resent lines were recognised as already delivered (409), not indexed again.
    const last = shipperMetrics(logDir).at(-1);
    expect(last?.[F.SHIPPER_DUPLICATES]).toBeGreaterThan(0);
  });
});
