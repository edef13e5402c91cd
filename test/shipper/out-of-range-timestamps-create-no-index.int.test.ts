/**
 * A line whose @timestamp is outside the indexable years (year 99999, before 1970, an nginx
 * `msec` in the year 33658) is dead-lettered by the shipper itself: Elasticsearch never sees it,
 * so no daily index is created for it (Elasticsearch creates an index for a document it then
 * refuses).
 */
import { appendFileSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import type { DeadLetterRecord } from '../../shipper/dead-letter.ts';
import { REJECT_REASONS } from '../../shipper/line.ts';
import { accountFor, LineWriter, logLine, startShipper, stopShipper, useShippingTestbed } from './fixtures.ts';

describe('shipper and timestamps no index should be named after', () => {
  const bed = useShippingTestbed('ts-range');
  const { prefix, logDir } = bed;

  it('dead-letters them with the reason and creates no index for them', { timeout: 240_000 }, async () => {
    const writer = new LineWriter(logDir, 'api-1', 'api');
    writer.write(20);
    const line = (timestamp: string, marker: string) =>
      JSON.stringify({ [F.TIMESTAMP]: timestamp, [F.TASK_ID]: marker, [F.MESSAGE]: 'hostile time' });
    const hostile = [
      line('+099999-01-01T00:00:00.000Z', 'year-99999'),
      line('1969-07-20T20:17:40.000Z', 'year-1969'),
      // The fast path's own format, four digits, but before 1970.
      line('0100-01-01T00:00:00.000Z', 'year-0100'),
      // nginx lines take their time from msec: 1e12 s is in the year 33658.
      logLine('nginx', 'nginx-33658', 1).replace(/"nginx\.msec":"[^"]*"/, '"nginx.msec":"1000000000000.000"'),
    ];
    appendFileSync(writer.path, `${hostile.join('\n')}\n`);
    writer.write(20);

    const shipper = startShipper({ logDir, esUrl: bed.url, prefix });
    const report = await accountFor(bed.url, prefix, writer.markers);
    expect(await stopShipper(shipper)).toEqual({ code: 0, signal: null });
    expect(report).toEqual({ lost: [], doubled: [], unexpected: [] });

    const response = await fetch(`${bed.url}/_cat/indices/${prefix}-*?format=json&h=index`);
    const indices = ((await response.json()) as { index: string }[]).map((row) => row.index).sort();
    // Only the days of the good lines (the test may straddle midnight UTC).
    const days = new Set(
      [Date.now(), Date.now() - 600_000].map(
        (ms) => `${prefix}-${new Date(ms).toISOString().slice(0, 10).replaceAll('-', '.')}`,
      ),
    );
    expect(indices.length).toBeGreaterThan(0);
    for (const index of indices) expect(days).toContain(index);

    const records = readFileSync(join(logDir, '.shipper', 'dead-letter.ndjson'), 'utf8')
      .trim()
      .split('\n')
      .map((text) => JSON.parse(text) as DeadLetterRecord);
    expect(records.map((record) => record.line).sort()).toEqual([...hostile].sort());
    for (const record of records) {
      expect(record.reason).toBe(REJECT_REASONS.TIMESTAMP_OUT_OF_RANGE);
      expect(record.detail).toMatch(
        /outside the indexable years 1970\.\.9999 \(DTQ_SHIPPER_MIN_YEAR, DTQ_SHIPPER_MAX_YEAR\)/,
      );
    }
  });
});
