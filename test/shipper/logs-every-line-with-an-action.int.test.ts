/**
 * Every line the shipper logs about itself carries `event.action` from the vocabulary, so
 * dashboards and the explorer can select it. One run provokes each kind of line: start, an
 * Elasticsearch refusal and recovery, a dead-lettered line, a truncated source, metrics, stop.
 * DTQ_ES_URL carries credentials, which no line may repeat.
 * A local HTTP server stands in for Elasticsearch, because a real node does not refuse on demand.
 */
import { appendFileSync, mkdtempSync, readFileSync, rmSync, truncateSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { waitFor } from '../utils/wait.ts';
import { LineWriter, startShipper, stopShipper } from './fixtures.ts';

const logDir = mkdtempSync(join(tmpdir(), 'dtq-shipper-actions-'));
let server: Server | undefined;

afterAll(() => {
  server?.close();
  rmSync(logDir, { recursive: true, force: true });
});

/** A `_bulk` stand-in: 503 to the first request, then 201 for every document; remembers the task ids. */
async function standIn(): Promise<{ url: string; taskIds: Set<string> }> {
  const taskIds = new Set<string>();
  let requests = 0;
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      requests++;
      if (requests === 1) {
        response.writeHead(503, { 'content-type': 'application/json' }).end('{"error":"starting","status":503}');
        return;
      }
      const lines = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean);
      const documents = lines.filter((_, i) => i % 2 === 1).map((line) => JSON.parse(line) as Record<string, unknown>);
      for (const document of documents) {
        const taskId = document[F.TASK_ID];
        if (typeof taskId === 'string') taskIds.add(taskId);
      }
      const items = documents.map(() => ({ create: { status: 201 } }));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: false, items }));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, taskIds };
}

it('gives every line it logs an event.action of the vocabulary', { timeout: 120_000 }, async () => {
  const { url, taskIds } = await standIn();
  const writer = new LineWriter(logDir, 'api-1', 'api');
  writer.write(20);
  appendFileSync(writer.path, `${JSON.stringify({ [F.MESSAGE]: 'x'.repeat(8_192) })}\n`);
  const shipper = startShipper({
    logDir,
    // Credentials in DTQ_ES_URL must reach Elasticsearch only, never the shipper's own lines.
    esUrl: url.replace('http://', 'http://elastic:s3cret-pw@'),
    prefix: 'unused',
    env: {
      DTQ_SHIPPER_SETUP: '0',
      DTQ_SHIPPER_MAX_LINE_BYTES: '4096',
      DTQ_SHIPPER_SCAN_INTERVAL_MS: '200',
      DTQ_SHIPPER_BACKOFF_INITIAL_MS: '50',
      DTQ_SHIPPER_BACKOFF_MAX_MS: '200',
    },
  });
  const shipped = (markers: readonly string[]) => () => markers.every((marker) => taskIds.has(marker));
  await waitFor('the first lines at the stand-in', shipped(writer.markers), { timeoutMs: 60_000 });

  // Cut the file to nothing and go on writing: the shipper must notice and read it from the start.
  truncateSync(writer.path, 0);
  const before = writer.markers.length;
  writer.write(5);
  await waitFor('the lines written after the truncation', shipped(writer.markers.slice(before)), { timeoutMs: 60_000 });
  expect(await stopShipper(shipper)).toEqual({ code: 0, signal: null });

  const text = readFileSync(join(logDir, 'shipper.ndjson'), 'utf8');
  expect(text).not.toContain('s3cret-pw');
  const lines = text
    .split('\n')
    .filter(Boolean)
    .map((line) => JSON.parse(line) as Record<string, unknown>);
  const started = lines.find((line) => line[F.EVENT_ACTION] === EVENTS.SERVICE_STARTED);
  expect(started?.[F.MESSAGE]).toContain(`to ${url.replace('http://', 'http://***:***@')} `);
  const vocabulary = new Set<unknown>(Object.values(EVENTS));
  expect(lines.filter((line) => !vocabulary.has(line[F.EVENT_ACTION]))).toEqual([]);
  // The run provoked every kind of line it set out to, so the check above covered them.
  expect(new Set(lines.map((line) => line[F.EVENT_ACTION]))).toEqual(
    new Set([
      EVENTS.SERVICE_STARTED,
      EVENTS.DEPENDENCY_UNAVAILABLE,
      EVENTS.DEPENDENCY_RECOVERED,
      EVENTS.SHIPPER_DEAD_LETTERED,
      EVENTS.SHIPPER_SOURCE_TRUNCATED,
      EVENTS.SHIPPER_METRICS,
      EVENTS.SERVICE_STOPPING,
      EVENTS.SERVICE_STOPPED,
    ]),
  );
});
