import { copyFileSync, renameSync, truncateSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';
import { describe, expect, it } from 'vitest';
import {
  accountFor,
  LineWriter,
  startShipper,
  stopShipper,
  useShippingTestbed,
  writeContinuously,
} from './fixtures.ts';

describe('shipper and log rotation', () => {
  const bed = useShippingTestbed('rotate');
  const { prefix, logDir } = bed;

  it('loses and doubles nothing across rename-and-create and copytruncate rotations', {
    timeout: 300_000,
  }, async () => {
    const renamed = new LineWriter(logDir, 'api-1', 'api');
    const truncated = new LineWriter(logDir, 'worker-1', 'worker');
    const shipper = startShipper({ logDir, esUrl: bed.url, prefix, env: { DTQ_SHIPPER_SCAN_INTERVAL_MS: '200' } });
    const stopWriting = writeContinuously([renamed, truncated], 5);
    await sleep(1_500);

    // logrotate "create": the file is renamed and the writer starts a new one.
    renameSync(renamed.path, `${renamed.path}.1`);
    await sleep(1_500);
    // logrotate "copytruncate": copy, then cut the original to zero; the writer goes on.
    copyFileSync(truncated.path, `${truncated.path}.1`);
    truncateSync(truncated.path, 0);
    await sleep(1_500);
    // And both again, the second generation of each.
    renameSync(`${renamed.path}.1`, `${renamed.path}.2`);
    renameSync(renamed.path, `${renamed.path}.1`);
    copyFileSync(truncated.path, `${truncated.path}.2`);
    truncateSync(truncated.path, 0);
    await sleep(1_500);
    stopWriting();

    const report = await accountFor(bed.url, prefix, [...renamed.markers, ...truncated.markers], 180_000);
    expect(report).toEqual({ lost: [], doubled: [], unexpected: [] });
    expect(await stopShipper(shipper)).toEqual({ code: 0, signal: null });
  });
});
