/** What `dtq-ship` says on stderr about its connection to Elasticsearch (pure, for tests). */
import type { ConnectionNotice } from './shipper.ts';

/**
 * A connection notice as one stderr line: said at once, so a shipper pointed at the wrong place
 * does not sit silent while it retries.
 */
export function connectionText(notice: ConnectionNotice, nodes: string): string {
  const seconds = (ms: number) => `${(ms / 1000).toFixed(1)} s`;
  switch (notice.kind) {
    case 'retrying':
      return notice.retries === 1
        ? `dtq-ship: Elasticsearch at ${nodes} failed: ${notice.reason}. Retrying with backoff (next in ${seconds(notice.delayMs)}); the lines stay on disk.`
        : `dtq-ship: retry ${notice.retries} in ${seconds(notice.delayMs)} (${notice.code})`;
    case 'failover':
      return `dtq-ship: node ${notice.node} failed (${notice.reason}); sending to the next node`;
    case 'recovered':
      return `dtq-ship: Elasticsearch answers again after ${notice.failures} failed attempt(s)`;
  }
}
