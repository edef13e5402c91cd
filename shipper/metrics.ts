/** The shipper's self-metrics, as counters since start plus lag, in the log vocabulary. */

import { F } from '../contract/vocabulary.ts';
import type { EventFields } from '../instrumentation/logger.ts';

/** Counters since start. */
export interface ShipperCounters {
  linesRead: number;
  linesShipped: number;
  duplicates: number;
  retries: number;
  deadLettered: number;
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
  return { linesRead: 0, linesShipped: 0, duplicates: 0, retries: 0, deadLettered: 0 };
}

/** The snapshot as `shipper.metrics` event fields. */
export function metricsFields(snapshot: ShipperSnapshot): EventFields {
  return {
    [F.SHIPPER_LINES_READ]: snapshot.linesRead,
    [F.SHIPPER_LINES_SHIPPED]: snapshot.linesShipped,
    [F.SHIPPER_DUPLICATES]: snapshot.duplicates,
    [F.SHIPPER_RETRIES]: snapshot.retries,
    [F.SHIPPER_DEAD_LETTERED]: snapshot.deadLettered,
    [F.SHIPPER_LAG_BYTES]: snapshot.lagBytes,
    [F.SHIPPER_LAG_SECONDS]: Math.round(snapshot.lagSeconds * 1000) / 1000,
  };
}
