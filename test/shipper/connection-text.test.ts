/** The lines dtq-ship writes on stderr about its connection: the first failure in full, then a count. */
import { describe, expect, it } from 'vitest';
import { connectionText } from '../../shipper/connection-text.ts';

describe("dtq-ship's connection lines", () => {
  it('says the first failure in full, then counts the retries with their cause', () => {
    const first = connectionText(
      {
        kind: 'retrying',
        reason: 'GET http://es:9200/_cluster/health: connect ECONNREFUSED',
        code: 'ECONNREFUSED',
        retries: 1,
        delayMs: 250,
      },
      'http://es:9200',
    );
    expect(first).toBe(
      'dtq-ship: Elasticsearch at http://es:9200 failed: GET http://es:9200/_cluster/health: connect ECONNREFUSED. Retrying with backoff (next in 0.3 s); the lines stay on disk.',
    );
    expect(
      connectionText({ kind: 'retrying', reason: 'same', code: 'ECONNREFUSED', retries: 4, delayMs: 2000 }, 'x'),
    ).toBe('dtq-ship: retry 4 in 2.0 s (ECONNREFUSED)');
  });

  it('says a node passed over and the end of an outage', () => {
    expect(connectionText({ kind: 'failover', node: 'http://es-2:9200', reason: 'ECONNRESET' }, 'x')).toBe(
      'dtq-ship: node http://es-2:9200 failed (ECONNRESET); sending to the next node',
    );
    expect(connectionText({ kind: 'recovered', failures: 7 }, 'x')).toBe(
      'dtq-ship: Elasticsearch answers again after 7 failed attempt(s)',
    );
  });
});
