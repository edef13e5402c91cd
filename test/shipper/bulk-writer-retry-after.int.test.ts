/**
 * Retry-After over real HTTP: a local server stands in for Elasticsearch, answers the first
 * `_bulk` request 429 or 503 with a Retry-After, then 201s, and records when each request
 * arrived. Real Elasticsearch does not send Retry-After on demand, hence the stand-in.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { BulkWriter } from '../../shipper/bulk-writer.ts';
import { bulkDocs } from '../utils/bulk-docs.ts';

let server: Server | undefined;

afterEach(() => {
  server?.close();
  server = undefined;
});

/** A `_bulk` endpoint that refuses the first request with `status` and `retryAfter()`, then accepts. */
async function busyOnce(status: number, retryAfter: () => string): Promise<{ url: string; arrivals: number[] }> {
  const arrivals: number[] = [];
  server = createServer((request, response) => {
    arrivals.push(performance.now());
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      if (arrivals.length === 1) {
        response.writeHead(status, { 'retry-after': retryAfter(), 'content-type': 'application/json' });
        response.end('{"error":{"type":"es_rejected_execution_exception"},"status":429}');
        return;
      }
      const documents = Buffer.concat(chunks).toString('utf8').split('\n').filter(Boolean).length / 2;
      const items = Array.from({ length: documents }, () => ({ create: { status: 201 } }));
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: false, items }));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, arrivals };
}

const docs = bulkDocs([0, 1, 2].map((i) => Buffer.from(`{"create":{"_index":"t","_id":"${i}"}}\n{"n":${i}}\n`)));

/** Write `docs` through a writer whose own backoff is a millisecond, so any longer wait is the server's. */
async function write(url: string, backoffMaxMs: number): Promise<number[]> {
  const delays: number[] = [];
  const writer = new BulkWriter({
    url,
    exportTimeoutMs: 10_000,
    backoffInitialMs: 1,
    backoffMaxMs,
    onRetry: (_reason, _failures, delayMs) => delays.push(delayMs),
  });
  try {
    const outcomes = await writer.write(docs, new AbortController().signal);
    expect(outcomes.map((outcome) => outcome.status)).toEqual(['created', 'created', 'created']);
  } finally {
    writer.close();
  }
  return delays;
}

/** Timers may fire a millisecond or so before their nominal time as measured by another clock. */
const CLOCK_SLACK_MS = 10;

describe('bulk writer and Retry-After', () => {
  it('waits the seconds a 429 asks for before sending the batch again', async () => {
    const { url, arrivals } = await busyOnce(429, () => '1');
    expect(await write(url, 5_000)).toEqual([1_000]);
    expect(arrivals).toHaveLength(2);
    expect((arrivals[1] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(1_000 - CLOCK_SLACK_MS);
  });

  it('waits until the HTTP date a 503 names', async () => {
    // Whole seconds only: the date is at least one second ahead of the moment it is sent.
    const { url, arrivals } = await busyOnce(503, () => new Date(Date.now() + 2_000).toUTCString());
    const [delay] = await write(url, 5_000);
    expect(delay).toBeGreaterThanOrEqual(1_000 - CLOCK_SLACK_MS);
    expect((arrivals[1] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(1_000 - CLOCK_SLACK_MS);
  });

  it('waits no longer than its ceiling when the server asks for an hour', async () => {
    const { url, arrivals } = await busyOnce(429, () => '3600');
    expect(await write(url, 300)).toEqual([300]);
    expect((arrivals[1] as number) - (arrivals[0] as number)).toBeGreaterThanOrEqual(300 - CLOCK_SLACK_MS);
  });
});
