/**
 * Lines whose bytes are not valid UTF-8 (a Latin-1 user agent, a cut multi-byte sequence) are
 * shipped with U+FFFD in place of the bad bytes and `shipper.invalid_utf8: true`, counted in
 * `shipper.metrics` and at /metrics, and reported per file with the offset of the first one. A
 * U+FFFD that was really in the source is not mistaken for one.
 */
import { appendFileSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { sampleValue, scrape } from '../utils/prometheus.ts';
import { waitFor } from '../utils/wait.ts';
import { accountFor, LineWriter, shipperMetrics, startShipper, stopShipper, useShippingTestbed } from './fixtures.ts';

function ownLines(logDir: string): Record<string, unknown>[] {
  return readFileSync(join(logDir, 'shipper.ndjson'), 'utf8')
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
}

describe('shipper and invalid UTF-8', () => {
  const bed = useShippingTestbed('utf8');
  const { prefix, logDir } = bed;

  it('ships such lines flagged, counts them, and names the file and the first offset', {
    timeout: 240_000,
  }, async () => {
    const writer = new LineWriter(logDir, 'api-1', 'api');
    writer.write(10);
    const lineWith = (marker: string, message: Buffer) =>
      Buffer.concat([
        Buffer.from(`{"${F.TIMESTAMP}":"${new Date().toISOString()}","${F.TASK_ID}":"${marker}","${F.MESSAGE}":"`),
        message,
        Buffer.from('"}\n'),
      ]);
    const firstBadOffset = statSync(writer.path).size;
    appendFileSync(writer.path, lineWith('latin1', Buffer.from('Mozilla caf\xe9', 'latin1')));
    writer.write(10);
    appendFileSync(writer.path, lineWith('cut-sequence', Buffer.from([0x41, 0xc3, 0x28, 0xff, 0xfe])));
    appendFileSync(writer.path, lineWith('real-fffd', Buffer.from('a real \ufffd in the source', 'utf8')));
    writer.write(10);
    const markers = [...writer.markers, 'latin1', 'cut-sequence', 'real-fffd'];

    const shipper = startShipper({
      logDir,
      esUrl: bed.url,
      prefix,
      env: { DTQ_SHIPPER_METRICS_PORT: '0' },
    });
    let stopped = false;
    try {
      const listening = await waitFor('the metrics.listening line', () =>
        ownLines(logDir).find((line) => line[F.EVENT_ACTION] === EVENTS.METRICS_LISTENING),
      );
      const url = `http://${String(listening[F.SERVER_ADDRESS])}:${Number(listening[F.SERVER_PORT])}/metrics`;
      expect(await accountFor(bed.url, prefix, markers)).toEqual({ lost: [], doubled: [], unexpected: [] });
      expect(sampleValue(await scrape(url), 'dtq_shipper_invalid_utf8_lines_total')).toBe(2);

      const search = await fetch(`${bed.url}/${prefix}-*/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: 10, query: { terms: { [F.TASK_ID]: ['latin1', 'cut-sequence', 'real-fffd'] } } }),
      });
      const hits = ((await search.json()) as { hits: { hits: { _source: Record<string, unknown> }[] } }).hits.hits;
      const byMarker = new Map(hits.map((hit) => [hit._source[F.TASK_ID], hit._source]));
      expect(byMarker.get('latin1')?.[F.MESSAGE]).toBe('Mozilla caf\ufffd');
      expect(byMarker.get('latin1')?.[F.SHIPPER_INVALID_UTF8]).toBe(true);
      expect(byMarker.get('cut-sequence')?.[F.MESSAGE]).toBe('A\ufffd(\ufffd\ufffd');
      expect(byMarker.get('cut-sequence')?.[F.SHIPPER_INVALID_UTF8]).toBe(true);
      expect(byMarker.get('real-fffd')?.[F.MESSAGE]).toBe('a real \ufffd in the source');
      expect(byMarker.get('real-fffd')).not.toHaveProperty(F.SHIPPER_INVALID_UTF8);

      expect(await stopShipper(shipper)).toEqual({ code: 0, signal: null });
      stopped = true;
    } finally {
      if (!stopped) await stopShipper(shipper);
    }

    const reports = ownLines(logDir).filter((line) => line[F.EVENT_ACTION] === EVENTS.SHIPPER_INVALID_UTF8_READ);
    expect(reports[0]).toMatchObject({
      [F.LOG_LEVEL]: 'warn',
      [F.SHIPPER_SOURCE]: writer.path,
      [F.SHIPPER_OFFSET]: firstBadOffset,
    });
    expect(reports.at(-1)).toMatchObject({ [F.SHIPPER_OFFSET]: firstBadOffset, [F.SHIPPER_INVALID_UTF8_LINES]: 2 });
    expect(shipperMetrics(logDir).at(-1)?.[F.SHIPPER_INVALID_UTF8_LINES]).toBe(2);
    expect(shipper.output()).toContain(
      `2 line(s) of ${writer.path} are not valid UTF-8 (first at offset ${firstBadOffset})`,
    );
  });
});
