/**
 * The shipper's self-metrics, as counters since start plus lag: as `shipper.metrics` log lines
 * in the vocabulary, and as Prometheus metrics for DTQ_SHIPPER_METRICS_PORT.
 */
import { Counter, Gauge, type Registry } from 'prom-client';
import { F } from '../contract/vocabulary.ts';
import type { EventFields } from '../instrumentation/logger.ts';
import { createMetricsRegistry } from '../instrumentation/metrics.ts';

/** Counters since start. */
export interface ShipperCounters {
  linesRead: number;
  linesShipped: number;
  duplicates: number;
  retries: number;
  deadLettered: number;
  /** Lines whose bytes were not valid UTF-8 (shipped with U+FFFD, flagged shipper.invalid_utf8). */
  invalidUtf8Lines: number;
}

/** A point-in-time view of the shipper. */
export interface ShipperSnapshot extends ShipperCounters {
  /** Bytes in the source files not yet acknowledged. */
  lagBytes: number;
  /** Age of the oldest line read but not yet acknowledged, in seconds (0 when none). */
  lagSeconds: number;
}

/** Fresh zero counters. */
export function zeroCounters(): ShipperCounters {
  return { linesRead: 0, linesShipped: 0, duplicates: 0, retries: 0, deadLettered: 0, invalidUtf8Lines: 0 };
}

/** The snapshot as `shipper.metrics` event fields. */
export function metricsFields(snapshot: ShipperSnapshot): EventFields {
  return {
    [F.SHIPPER_LINES_READ]: snapshot.linesRead,
    [F.SHIPPER_LINES_SHIPPED]: snapshot.linesShipped,
    [F.SHIPPER_DUPLICATES]: snapshot.duplicates,
    [F.SHIPPER_RETRIES]: snapshot.retries,
    [F.SHIPPER_DEAD_LETTERED]: snapshot.deadLettered,
    [F.SHIPPER_INVALID_UTF8_LINES]: snapshot.invalidUtf8Lines,
    [F.SHIPPER_LAG_BYTES]: snapshot.lagBytes,
    [F.SHIPPER_LAG_SECONDS]: Math.round(snapshot.lagSeconds * 1000) / 1000,
  };
}

/**
 * The same numbers as Prometheus metrics (docs/pipeline.md lists them), read from `snapshot`
 * when scraped: counters since start and the lag gauges of the `shipper.metrics` line.
 */
export function shipperRegistry(instance: string, snapshot: () => ShipperSnapshot): Registry {
  const registry = createMetricsRegistry({ service: 'shipper', instance });
  // One snapshot per scrape: prom-client collects every metric in the same tick.
  let taken: ShipperSnapshot | undefined;
  const read = (): ShipperSnapshot => {
    if (taken === undefined) {
      taken = snapshot();
      setImmediate(() => {
        taken = undefined;
      });
    }
    return taken;
  };
  const counter = (name: string, help: string, value: (s: ShipperSnapshot) => number) =>
    new Counter({
      name,
      help,
      registers: [registry],
      collect() {
        this.reset();
        this.inc(value(read()));
      },
    });
  const gauge = (name: string, help: string, value: (s: ShipperSnapshot) => number) =>
    new Gauge({
      name,
      help,
      registers: [registry],
      collect() {
        this.set(value(read()));
      },
    });
  counter('dtq_shipper_lines_read_total', 'Lines read from the log files since start.', (s) => s.linesRead);
  counter(
    'dtq_shipper_lines_acknowledged_total',
    'Lines Elasticsearch acknowledged (created, or already there) since start.',
    (s) => s.linesShipped,
  );
  counter(
    'dtq_shipper_duplicates_total',
    'Acknowledged lines Elasticsearch already had (409 on create) since start.',
    (s) => s.duplicates,
  );
  counter(
    'dtq_shipper_lines_dead_lettered_total',
    'Lines written to the dead-letter file since start.',
    (s) => s.deadLettered,
  );
  counter(
    'dtq_shipper_invalid_utf8_lines_total',
    'Lines read whose bytes were not valid UTF-8 (shipped with U+FFFD in their place) since start.',
    (s) => s.invalidUtf8Lines,
  );
  counter('dtq_shipper_retries_total', 'Bulk requests (and index setups) retried since start.', (s) => s.retries);
  gauge('dtq_shipper_lag_bytes', 'Bytes in the log files not yet acknowledged.', (s) => s.lagBytes);
  gauge(
    'dtq_shipper_lag_seconds',
    'Age of the oldest line read but not yet acknowledged (0 when none).',
    (s) => s.lagSeconds,
  );
  return registry;
}
