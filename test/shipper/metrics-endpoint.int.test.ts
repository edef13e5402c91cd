/**
 * A shipper started with DTQ_SHIPPER_METRICS_PORT=0 logs the port it chose and serves its
 * self-metrics there in Prometheus format: once it has caught up, lines read equal lines
 * acknowledged plus lines dead-lettered, exactly the lines of the directory, and the lag is zero.
 */
import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { metricTypes, parseSamples, sampleValue, scrape } from '../utils/prometheus.ts';
import { waitFor } from '../utils/wait.ts';
import { accountFor, LineWriter, startShipper, stopShipper, useShippingTestbed } from './fixtures.ts';

function linesOf(path: string): number {
  return existsSync(path)
    ? readFileSync(path, 'utf8')
        .split('\n')
        .filter((line) => line !== '').length
    : 0;
}

describe('shipper metrics endpoint', () => {
  const bed = useShippingTestbed('metrics');
  const { prefix, logDir } = bed;

  it('serves lines read, acknowledged and dead-lettered, retries and lag, matching what it shipped', {
    timeout: 180_000,
  }, async () => {
    const api = new LineWriter(logDir, 'api-1', 'api');
    const worker = new LineWriter(logDir, 'worker-1', 'worker');
    api.write(120);
    appendFileSync(api.path, 'this is not json\n');
    worker.write(80);
    // Valid JSON the mapping refuses (a status that is not a number): Elasticsearch rejects it.
    appendFileSync(
      worker.path,
      `${JSON.stringify({ [F.TIMESTAMP]: new Date().toISOString(), [F.HTTP_STATUS]: 'x' })}\n`,
    );

    // No periodic shipper.metrics lines: its own log then stops growing once it has started.
    const shipper = startShipper({
      logDir,
      esUrl: bed.url,
      prefix,
      env: { DTQ_SHIPPER_METRICS_PORT: '0', DTQ_SHIPPER_METRICS_INTERVAL_MS: '3600000' },
    });
    try {
      const ownLog = join(logDir, 'shipper.ndjson');
      const listening = await waitFor(
        'the metrics.listening line',
        () =>
          readFileSync(ownLog, 'utf8')
            .split('\n')
            .filter((line) => line.includes(EVENTS.METRICS_LISTENING))
            .map((line) => JSON.parse(line) as Record<string, unknown>)[0],
      );
      const url = `http://${String(listening[F.SERVER_ADDRESS])}:${Number(listening[F.SERVER_PORT])}/metrics`;

      const report = await accountFor(bed.url, prefix, [...api.markers, ...worker.markers]);
      expect(report).toEqual({ lost: [], doubled: [], unexpected: [] });

      const value = (text: string, name: string) => sampleValue(text, name) ?? Number.NaN;
      // Caught up: everything read has its answer, nothing is left unacknowledged.
      const text = await waitFor('the shipper to catch up', async () => {
        const current = await scrape(url);
        const read = value(current, 'dtq_shipper_lines_read_total');
        const answered =
          value(current, 'dtq_shipper_lines_acknowledged_total') +
          value(current, 'dtq_shipper_lines_dead_lettered_total');
        const caughtUp = value(current, 'dtq_shipper_lag_bytes') === 0 && read === answered;
        return caughtUp && read === api.written + worker.written + 2 + linesOf(ownLog) ? current : undefined;
      });

      expect(value(text, 'dtq_shipper_lines_dead_lettered_total')).toBe(2);
      expect(value(text, 'dtq_shipper_lines_acknowledged_total')).toBe(api.written + worker.written + linesOf(ownLog));
      expect(value(text, 'dtq_shipper_duplicates_total')).toBe(0);
      expect(value(text, 'dtq_shipper_retries_total')).toBe(0);
      expect(value(text, 'dtq_shipper_lag_seconds')).toBe(0);

      const types = metricTypes(text);
      expect(types.get('dtq_shipper_lines_read_total')).toBe('counter');
      expect(types.get('dtq_shipper_lag_bytes')).toBe('gauge');
      for (const sample of parseSamples(text)) {
        expect(sample.labels).toMatchObject({ service: 'shipper', instance: 'shipper' });
      }

      // More lines move the counters on.
      api.write(30);
      await waitFor('30 more lines acknowledged', async () => {
        const later = await scrape(url);
        return (
          value(later, 'dtq_shipper_lines_acknowledged_total') >=
          value(text, 'dtq_shipper_lines_acknowledged_total') + 30
        );
      });
    } finally {
      const { code } = await stopShipper(shipper);
      expect(code).toBe(0);
    }
  });
});
