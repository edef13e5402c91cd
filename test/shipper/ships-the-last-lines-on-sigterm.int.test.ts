/**
 * A service's last lines are written just before the shipper is stopped (the stack stops the
 * services first, then the shipper). Stopping must ship them, not leave them for a next start
 * that may never come: on SIGTERM the shipper looks for new files once more and reads every
 * file to its end. The poll and scan intervals are made long here, so only that last look can
 * find the lines written after the shipper went quiet.
 */
import { type AddressInfo, createServer, type Server, type Socket } from 'node:net';
import { afterAll, describe, expect, it } from 'vitest';
import { waitFor } from '../utils/wait.ts';
import { accountFor, LineWriter, markerCounts, startShipper, stopShipper, useShippingTestbed } from './fixtures.ts';

describe('shipper stopped with SIGTERM', () => {
  const bed = useShippingTestbed('last-lines');
  const { prefix, logDir } = bed;

  it('ships the lines appended and the file created just before the signal', { timeout: 120_000 }, async () => {
    const early = new LineWriter(logDir, 'worker-1', 'worker');
    early.write(5);
    const shipper = startShipper({
      logDir,
      esUrl: bed.url,
      prefix,
      env: { DTQ_SHIPPER_POLL_INTERVAL_MS: '600000', DTQ_SHIPPER_SCAN_INTERVAL_MS: '600000' },
    });
    // Shipped and then idle: every file read to its end, the reader in its pause between polls.
    await waitFor('the first lines shipped', async () => (await markerCounts(bed.url, prefix)).size === 5, {
      timeoutMs: 60_000,
      intervalMs: 200,
    });

    early.write(3); // the worker's last lines
    const late = new LineWriter(logDir, 'api-1', 'api');
    late.write(2); // a file the shipper has not seen yet
    const exit = await stopShipper(shipper);
    expect(exit, shipper.output()).toEqual({ code: 0, signal: null });

    // Nothing runs any more: what is in Elasticsearch now is what this stop delivered.
    const report = await accountFor(bed.url, prefix, [...early.markers, ...late.markers], 5_000);
    expect(report).toEqual({ lost: [], doubled: [], unexpected: [] });
  });
});

describe('shipper stopped with SIGTERM while Elasticsearch is down', () => {
  const bed = useShippingTestbed('stop-while-down');
  const { prefix, logDir } = bed;

  it('exits within its shutdown timeout with the reader held by a full queue, and the next run ships every line once', {
    timeout: 120_000,
  }, async () => {
    const backlog = new LineWriter(logDir, 'worker-1', 'worker');
    backlog.write(20_000);
    const shutdownTimeoutMs = 1_000;
    const down = startShipper({
      logDir,
      esUrl: 'http://127.0.0.1:9',
      prefix,
      // Small batches and one queued: the reader waits for room long before the backlog's end.
      env: {
        DTQ_SHIPPER_MAX_BATCH_LINES: '100',
        DTQ_SHIPPER_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs),
      },
    });
    await waitFor('the sender retrying', () => down.output().includes('Retrying with backoff'), {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const stoppedAt = Date.now();
    expect(await stopShipper(down), down.output()).toEqual({ code: 0, signal: null });
    // The timeout, and the process's own exit, not one more backoff or a read of the whole backlog.
    expect(Date.now() - stoppedAt).toBeLessThan(shutdownTimeoutMs + 4_000);

    const next = startShipper({ logDir, esUrl: bed.url, prefix, args: ['--once'] });
    expect(await next.exited, next.output()).toEqual({ code: 0, signal: null });
    expect(await accountFor(bed.url, prefix, backlog.markers, 5_000)).toEqual({
      lost: [],
      doubled: [],
      unexpected: [],
    });
  });
});

describe('shipper stopped with SIGTERM while Elasticsearch accepts connections and never answers', () => {
  const bed = useShippingTestbed('stop-while-silent');
  let silent: Server | undefined;
  const held: Socket[] = [];
  afterAll(async () => {
    for (const socket of held) socket.destroy();
    await new Promise<void>((resolve) => (silent ? silent.close(() => resolve()) : resolve()));
  });

  it('exits within its shutdown timeout instead of waiting out the setup request', { timeout: 60_000 }, async () => {
    let requests = 0;
    silent = createServer((socket) => {
      held.push(socket);
      socket.on('data', () => requests++);
    });
    await new Promise<void>((resolve) => silent?.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as AddressInfo;
    new LineWriter(bed.logDir, 'worker-1', 'worker').write(10);
    const shutdownTimeoutMs = 1_000;
    const shipper = startShipper({
      logDir: bed.logDir,
      esUrl: `http://127.0.0.1:${port}`,
      prefix: bed.prefix,
      env: { DTQ_SHIPPER_SHUTDOWN_TIMEOUT_MS: String(shutdownTimeoutMs) },
    });
    // Its first request (the index template's setup) is waiting for an answer.
    await waitFor('the setup request', () => requests > 0, { timeoutMs: 30_000, intervalMs: 50 });
    const stoppedAt = Date.now();
    expect(await stopShipper(shipper), shipper.output()).toEqual({ code: 0, signal: null });
    // The setup's own request timeout is 10 s; the shutdown timeout cuts it short.
    expect(Date.now() - stoppedAt).toBeLessThan(shutdownTimeoutMs + 4_000);
  });
});
