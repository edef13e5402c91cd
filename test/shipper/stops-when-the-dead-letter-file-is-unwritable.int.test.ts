/**
 * A rejected line that cannot be written to the dead-letter file stops the shipper at once, with
 * the error that says so, even while other batches still wait for Elasticsearch's answer; the
 * registry stays before that line, so the next start ships it (and nothing twice).
 */
import { appendFileSync, existsSync, mkdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { deadLetterPath } from '../../shipper/shipper.ts';
import { type PausableProxy, startPausableProxy } from '../utils/pausable-proxy.ts';
import { accountFor, LineWriter, registryOffsets, startShipper, stopShipper, useShippingTestbed } from './fixtures.ts';

const BATCH_LINES = 100;

describe('an unwritable dead-letter file', () => {
  const bed = useShippingTestbed('dead-letter-unwritable');
  const { prefix, logDir } = bed;
  let proxy: PausableProxy | undefined;
  afterAll(async () => {
    await proxy?.close();
  });

  it('stops the shipper with its error while other writes wait, and loses nothing', { timeout: 180_000 }, async () => {
    const writer = new LineWriter(logDir, 'api-1', 'api');
    writer.write(BATCH_LINES);
    const badLineOffset = readFileSync(writer.path).length;
    appendFileSync(writer.path, 'not json at all\n');
    writer.write(6 * BATCH_LINES);
    // A directory where the dead-letter file should be: appending to it fails.
    const deadLetters = deadLetterPath(join(logDir, '.shipper'));
    mkdirSync(deadLetters, { recursive: true });

    // The first two batches (the second holds the bad line) are answered at once; every later
    // one is indexed by Elasticsearch but its answer is held, as if it were slow or down. The
    // sender is then between sending the next batches and waiting on their answers when the
    // second batch's acknowledgement fails, and must stop all the same.
    proxy = await startPausableProxy(bed.url);
    const answered = [writer.markers[0], writer.markers[BATCH_LINES + 50]].map((marker) => `"task_id":"${marker}"`);
    proxy.pauseResponses(
      (requestLine, requestText) =>
        requestLine.includes('/_bulk') && !answered.some((marker) => requestText().includes(marker)),
    );
    const first = startShipper({
      logDir,
      esUrl: proxy.url,
      prefix,
      env: {
        DTQ_SHIPPER_MAX_BATCH_LINES: String(BATCH_LINES),
        DTQ_SHIPPER_MAX_CONCURRENT_EXPORTS: '3',
        DTQ_SHIPPER_REGISTRY_FLUSH_MS: '1',
        DTQ_SHIPPER_EXPORT_TIMEOUT_MS: '600000',
      },
    });
    let timer: NodeJS.Timeout | undefined;
    const exit = await Promise.race([
      first.exited,
      new Promise<'still running'>((resolve) => {
        timer = setTimeout(() => resolve('still running'), 60_000);
      }),
    ]);
    clearTimeout(timer);
    if (exit === 'still running') await stopShipper(first);
    expect(exit).not.toBe('still running');
    expect(exit).toMatchObject({ code: 1 });
    expect(first.output()).toContain('DTQ_ERR_SHIPPER_DEAD_LETTER_UNWRITABLE');
    // The bad line is not acknowledged: it has no dead letter yet.
    expect(registryOffsets(logDir).get(writer.path) ?? 0).toBeLessThanOrEqual(badLineOffset);

    // Fixed, the next run ships the rest once and dead-letters the bad line once.
    await proxy.close();
    proxy = undefined;
    rmSync(deadLetters, { recursive: true });
    const second = startShipper({ logDir, esUrl: bed.url, prefix, args: ['--once'] });
    expect(await second.exited).toMatchObject({ code: 0 });
    const { lost, doubled, unexpected } = await accountFor(bed.url, prefix, writer.markers);
    expect({ lost, doubled, unexpected }).toEqual({ lost: [], doubled: [], unexpected: [] });
    expect(existsSync(deadLetters)).toBe(true);
    const records = readFileSync(deadLetters, 'utf8').trim().split('\n');
    expect(records.map((line) => JSON.parse(line) as { reason: string; offset: number })).toEqual([
      expect.objectContaining({ reason: 'not_json', offset: badLineOffset }),
    ]);
  });
});
