/**
 * Shippers on many hosts, one index: two hosts holding byte-identical files (same name, same
 * lines, so the same fingerprint and offsets) each ship theirs, and both copies are stored,
 * because the host is part of the document id. The same file shipped again from a host that
 * already shipped it is still refused as a duplicate.
 */
import { copyFileSync, mkdirSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { LineWriter, markerCounts, startShipper, useShippingTestbed } from './fixtures.ts';

const LINES = 500;

describe('shippers on many hosts', () => {
  const bed = useShippingTestbed('hosts');
  const root = mkdtempSync(join(tmpdir(), 'dtq-hosts-'));
  afterAll(() => rmSync(root, { recursive: true, force: true }));

  /** A host's log directory holding a copy of `source` under the same name. */
  function hostDir(host: string, source: string): string {
    const dir = join(root, host);
    mkdirSync(dir);
    copyFileSync(source, join(dir, 'api-1.ndjson'));
    return dir;
  }

  async function shipOnce(host: string, logDir: string): Promise<void> {
    const shipper = startShipper({
      logDir,
      esUrl: bed.url,
      prefix: bed.prefix,
      args: ['--once'],
      env: { DTQ_HOST_NAME: host, DTQ_INSTANCE: `shipper@${host}` },
    });
    const { code } = await shipper.exited;
    expect(code, shipper.output()).toBe(0);
  }

  it('stores the lines of byte-identical files of two hosts twice, and a re-ship from one host not again', {
    timeout: 180_000,
  }, async () => {
    const writer = new LineWriter(bed.logDir, 'api-1', 'api');
    writer.write(LINES);
    const [webA, webB, webAAgain] = ['web-a', 'web-b', 'web-a-again'].map((host) => hostDir(host, writer.path));

    await shipOnce('web-a', webA as string);
    await shipOnce('web-b', webB as string);
    const both = await markerCounts(bed.url, bed.prefix);
    expect(both.size).toBe(LINES);
    expect(new Set(both.values())).toEqual(new Set([2]));

    // The same host shipping the same file again (its registry lost, or a second shipper on
    // it): the ids are the ones already stored, so Elasticsearch refuses every line.
    await shipOnce('web-a', webAAgain as string);
    const again = await markerCounts(bed.url, bed.prefix);
    expect(again).toEqual(both);
  });
});
