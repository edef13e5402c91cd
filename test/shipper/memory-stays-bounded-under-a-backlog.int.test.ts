import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { waitFor } from '../utils/wait.ts';
import { accountFor, LineWriter, startShipper, stopShipper, useShippingTestbed } from './fixtures.ts';

/** Node options of bin/dtq-ship.js's shebang: the test runs the shipper as it is installed. */
function shipNodeOptions(): string[] {
  const shebang = readFileSync(new URL('../../bin/dtq-ship.js', import.meta.url), 'utf8').split('\n', 1)[0] ?? '';
  return shebang.split(/\s+/).filter((word) => word.startsWith('--'));
}

/** Resident set of a process now and at its peak, in MiB (Linux /proc). */
function rss(pid: number): { now: number; peak: number } {
  const status = readFileSync(`/proc/${pid}/status`, 'utf8');
  const kb = (field: string) => Number(new RegExp(`${field}:\\s+(\\d+) kB`).exec(status)?.[1]) / 1024;
  return { now: kb('VmRSS'), peak: kb('VmHWM') };
}

const BUFFER_MIB = 4;
/** What the process may grow by while the backlog streams through: its body budget and a heap allowance. */
const GROWTH_BOUND_MIB = BUFFER_MIB + 60;
const LINES_PER_FILE = 120_000;

describe('shipper memory', () => {
  const bed = useShippingTestbed('memory');
  const { prefix, logDir } = bed;

  it(`ships a backlog several times its memory bound while its RSS grows by at most ${GROWTH_BOUND_MIB} MiB`, {
    timeout: 600_000,
  }, async () => {
    // About 100 MB of lines on disk before the shipper starts.
    const writers = [new LineWriter(logDir, 'api-1', 'api'), new LineWriter(logDir, 'worker-1', 'worker')];
    for (const writer of writers) for (let i = 0; i < LINES_PER_FILE; i += 10_000) writer.write(10_000);
    const shipper = startShipper({
      logDir,
      esUrl: bed.url,
      prefix,
      nodeOptions: shipNodeOptions(),
      // Small requests, so the bound is what is tested, not how fast Elasticsearch takes them.
      env: {
        DTQ_SHIPPER_MAX_BATCH_LINES: '500',
        DTQ_SHIPPER_MAX_BUFFER_BYTES: String(BUFFER_MIB * 1024 * 1024),
      },
    });
    const pid = shipper.child.pid as number;
    let baseline = 0;
    let peak = 0;
    try {
      // The baseline: the process once its first requests are answered (code loaded, client set up).
      await waitFor(
        'first lines indexed',
        async () => {
          const response = await fetch(`${bed.url}/${prefix}-*/_count?allow_no_indices=true`);
          return ((await response.json()) as { count: number }).count > 0;
        },
        { timeoutMs: 120_000, intervalMs: 100 },
      );
      baseline = rss(pid).now;
      const report = await accountFor(
        bed.url,
        prefix,
        writers.flatMap((writer) => writer.markers),
        360_000,
      );
      expect({ lost: report.lost.length, doubled: report.doubled.length }).toEqual({ lost: 0, doubled: 0 });
      peak = rss(pid).peak;
    } finally {
      await stopShipper(shipper);
    }
    console.log(`shipper RSS: ${Math.round(baseline ?? 0)} MiB after its first batch, peak ${Math.round(peak)} MiB`);
    expect(peak - baseline).toBeLessThanOrEqual(GROWTH_BOUND_MIB);
  });
});
