import { closeSync, openSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { hostName } from '../../contract/host.ts';
import { F } from '../../contract/vocabulary.ts';
import { documentId, hostIdTag } from '../../shipper/line.ts';
import { fingerprintOf } from '../../shipper/tailer.ts';
import {
  accountFor,
  LineWriter,
  shipperMetrics,
  startShipper,
  stopShipper,
  useShippingTestbed,
  writeContinuously,
} from './fixtures.ts';

/** Expected `_id` of every line of a file: fingerprint of its first line, this host, byte offset. */
function expectedIds(path: string): string[] {
  const fd = openSync(path, 'r');
  const identity = fingerprintOf(fd);
  closeSync(fd);
  if (!identity) throw new Error(`${path} has no first line`);
  const ids: string[] = [];
  let offset = 0;
  for (const line of readFileSync(path, 'utf8').split('\n').slice(0, -1)) {
    ids.push(documentId(identity.fingerprint, offset, hostIdTag(hostName())));
    offset += Buffer.byteLength(line) + 1;
  }
  return ids;
}

describe('shipper', () => {
  const bed = useShippingTestbed('ship');
  const { prefix, logDir } = bed;

  it('ships every line of a run exactly once, nginx lines included, and stops cleanly on SIGTERM', {
    timeout: 240_000,
  }, async () => {
    const writers = [
      new LineWriter(logDir, 'api-1', 'api'),
      new LineWriter(logDir, 'worker-1', 'worker'),
      new LineWriter(logDir, 'nginx', 'nginx'),
    ];
    for (const writer of writers) writer.write(300); // a backlog before the shipper starts
    const shipper = startShipper({ logDir, esUrl: bed.url, prefix, env: { DTQ_SHIPPER_MAX_BATCH_LINES: '500' } });
    const stopWriting = writeContinuously(writers, 5);
    await new Promise((resolve) => setTimeout(resolve, 4_000));
    stopWriting();
    const markers = writers.flatMap((writer) => writer.markers);

    const report = await accountFor(bed.url, prefix, markers);
    expect(report).toEqual({ lost: [], doubled: [], unexpected: [] });

    // By _id: every line is stored under the id derived from its file and offset.
    const ids = writers.flatMap((writer) => expectedIds(writer.path));
    expect(ids).toHaveLength(markers.length);
    const found = (await (
      await fetch(`${bed.url}/${prefix}-*/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: 0, query: { ids: { values: ids } }, track_total_hits: true }),
      })
    ).json()) as { hits: { total: { value: number } } };
    expect(found.hits.total.value).toBe(ids.length);

    // nginx lines were normalised before indexing: numbers, ns duration, ms timestamp.
    const nginx = (await (
      await fetch(`${bed.url}/${prefix}-*/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: 1, query: { term: { [F.SERVICE_NAME]: 'nginx' } } }),
      })
    ).json()) as { hits: { hits: { _source: Record<string, unknown> }[] } };
    const source = nginx.hits.hits[0]?._source ?? {};
    expect(source[F.EVENT_DURATION]).toBe(4_000_000);
    expect(source[F.HTTP_STATUS]).toBe(202);
    expect(source[F.TIMESTAMP]).toMatch(/\.\d{3}Z$/);

    const exit = await stopShipper(shipper);
    expect(exit).toEqual({ code: 0, signal: null });
    const registry = JSON.parse(readFileSync(join(logDir, '.shipper', 'registry.json'), 'utf8')) as {
      files: { path: string; offset: number }[];
    };
    for (const writer of writers) {
      expect(registry.files.find((entry) => entry.path === writer.path)?.offset).toBe(statSync(writer.path).size);
    }
    const last = shipperMetrics(logDir).at(-1);
    expect(last?.[F.SHIPPER_LINES_READ]).toBeGreaterThanOrEqual(markers.length);
    expect(last?.[F.SHIPPER_DEAD_LETTERED]).toBe(0);
  });
});
