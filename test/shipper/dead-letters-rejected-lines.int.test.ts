import { appendFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import type { DeadLetterRecord } from '../../shipper/dead-letter.ts';
import { REJECT_REASONS } from '../../shipper/line.ts';
import { waitFor } from '../utils/wait.ts';
import { accountFor, LineWriter, shipperMetrics, startShipper, stopShipper, useShippingTestbed } from './fixtures.ts';

describe('shipper and lines Elasticsearch cannot take', () => {
  const bed = useShippingTestbed('dead');
  const { prefix, logDir } = bed;

  it('dead-letters a non-JSON line, one that only looks like JSON, a 1 MB line, a type conflict and a line without time; the rest flows', {
    timeout: 240_000,
  }, async () => {
    const writer = new LineWriter(logDir, 'api-1', 'api');
    const now = new Date().toISOString();
    writer.write(50);
    appendFileSync(writer.path, 'this is not json\n');
    writer.write(50);
    appendFileSync(writer.path, `${JSON.stringify({ [F.TIMESTAMP]: now, [F.MESSAGE]: 'x'.repeat(1024 * 1024) })}\n`);
    writer.write(50);
    appendFileSync(writer.path, `${JSON.stringify({ [F.TIMESTAMP]: now, [F.HTTP_STATUS]: 'not-a-number' })}\n`);
    appendFileSync(writer.path, `${JSON.stringify({ [F.MESSAGE]: 'no time' })}\n`);
    // Starts and ends like an object and has a plain @timestamp, so the shipper does not parse
    // it (shipper/line.ts fastTimestampMs): Elasticsearch's parser rejects it instead.
    const lookalike = `{"${F.TIMESTAMP}":"${now}","${F.MESSAGE}":"unterminated}`;
    appendFileSync(writer.path, `${lookalike}\n`);
    writer.write(50);

    const shipper = startShipper({ logDir, esUrl: bed.url, prefix });
    const report = await accountFor(bed.url, prefix, writer.markers, 120_000);
    expect(report).toEqual({ lost: [], doubled: [], unexpected: [] });

    const deadLetterFile = join(logDir, '.shipper', 'dead-letter.ndjson');
    await waitFor(
      'five dead letters',
      () => existsSync(deadLetterFile) && readFileSync(deadLetterFile, 'utf8').split('\n').length > 5,
    );
    const records = readFileSync(deadLetterFile, 'utf8')
      .trim()
      .split('\n')
      .map((line) => JSON.parse(line) as DeadLetterRecord);
    expect(records.map((record) => record.reason).sort()).toEqual(
      [
        REJECT_REASONS.NOT_JSON,
        REJECT_REASONS.LINE_TOO_LONG,
        REJECT_REASONS.ES_REJECTED,
        REJECT_REASONS.ES_REJECTED,
        REJECT_REASONS.BAD_TIMESTAMP,
      ].sort(),
    );
    const byReason = new Map(records.map((record) => [record.reason, record]));
    const rejected = records.filter((record) => record.reason === REJECT_REASONS.ES_REJECTED);
    const parseFailure = rejected.find((record) => record.line === lookalike);
    expect(parseFailure?.detail).toMatch(/^400 document_parsing_exception/);
    expect(byReason.get(REJECT_REASONS.NOT_JSON)?.line).toBe('this is not json');
    expect(byReason.get(REJECT_REASONS.LINE_TOO_LONG)?.line_bytes).toBeGreaterThan(1024 * 1024);
    expect(byReason.get(REJECT_REASONS.LINE_TOO_LONG)?.line_truncated).toBe(true);
    expect(rejected.find((record) => record.line !== lookalike)?.detail).toMatch(/400 .*http\.response\.status_code/);
    for (const record of records) expect(record.source).toBe(writer.path);

    expect(await stopShipper(shipper)).toEqual({ code: 0, signal: null });
    const last = shipperMetrics(logDir).at(-1);
    expect(last?.[F.SHIPPER_DEAD_LETTERED]).toBe(5);
    // Counted once, never retried: a second run finds nothing new to dead-letter.
    const before = shipperMetrics(logDir).length;
    const again = startShipper({ logDir, esUrl: bed.url, prefix });
    await waitFor('metrics of the second run', () => shipperMetrics(logDir).length > before, { timeoutMs: 60_000 });
    expect(await stopShipper(again)).toEqual({ code: 0, signal: null });
    expect(shipperMetrics(logDir).at(-1)?.[F.SHIPPER_DEAD_LETTERED]).toBe(0);
    expect(readFileSync(deadLetterFile, 'utf8').trim().split('\n')).toHaveLength(5);
  });
});
