/**
 * The bulk writer's retry and split rules, against a small HTTP server that answers `_bulk`
 * the way Elasticsearch does in cases a real node will not produce on demand: a whole request
 * refused as too large (413), and documents answered 429 once. The real node's answers
 * (201, 409, mapping rejections, outages) are covered by the shipping tests.
 */
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterEach, describe, expect, it } from 'vitest';
import { dailyIndexNamer } from '../../contract/indices.ts';
import { F } from '../../contract/vocabulary.ts';
import { Batch } from '../../shipper/batcher.ts';
import { BulkWriter } from '../../shipper/bulk-writer.ts';
import { prepareLine, type SourceLine } from '../../shipper/line.ts';

interface Received {
  ids: string[];
  bytes: number;
}

let server: Server | undefined;

afterEach(() => {
  server?.close();
  server = undefined;
});

/** A `_bulk` endpoint: 413 above `maxBytes`, 429 the first time it sees an id in `busyOnce`. */
async function fakeBulk(maxBytes: number, busyOnce: Set<string>): Promise<{ url: string; requests: Received[] }> {
  const requests: Received[] = [];
  server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (chunk: Buffer) => chunks.push(chunk));
    request.on('end', () => {
      const body = Buffer.concat(chunks);
      const lines = body.toString('utf8').split('\n').slice(0, -1);
      const ids = lines
        .filter((_, i) => i % 2 === 0)
        .map((action) => (JSON.parse(action) as { create: { _id: string } }).create._id);
      requests.push({ ids, bytes: body.length });
      // Every document line must be the JSON that was queued, in order, after its action.
      for (let i = 1; i < lines.length; i += 2) JSON.parse(lines[i] as string);
      if (body.length > maxBytes) {
        response.writeHead(413).end('request entity too large');
        return;
      }
      const items = ids.map((id) => {
        if (busyOnce.delete(id)) return { create: { status: 429, error: { type: 'es_rejected_execution_exception' } } };
        return { create: { status: 201 } };
      });
      response.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ errors: true, items }));
    });
  });
  await new Promise<void>((resolve) => server?.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, requests };
}

function batchOf(count: number): Batch {
  const batch = new Batch();
  const indexFor = dailyIndexNamer('t');
  let offset = 0;
  for (let i = 0; i < count; i++) {
    const text = JSON.stringify({
      [F.TIMESTAMP]: '2026-03-01T10:00:00.000Z',
      [F.MESSAGE]: `line ${i} ${'x'.repeat(50)}`,
    });
    const line: SourceLine = { fingerprint: 'f'.repeat(32), path: '/x', offset, end: offset + text.length + 1, text };
    line.bytes = Buffer.from(text);
    offset = line.end;
    batch.add(line, prepareLine(line, indexFor));
  }
  return batch;
}

const options = { exportTimeoutMs: 5_000, backoffInitialMs: 1, backoffMaxMs: 5 };

describe('bulk writer', () => {
  it('splits a batch refused as too large until every part fits, and delivers every document once', async () => {
    const { url, requests } = await fakeBulk(2_500, new Set());
    const docs = batchOf(40);
    const outcomes = await new BulkWriter({ url, ...options }).write(docs, new AbortController().signal);
    expect(outcomes.every((o) => o.status === 'created')).toBe(true);
    const accepted = requests.filter((r) => r.bytes <= 2_500);
    expect(requests.some((r) => r.bytes > 2_500)).toBe(true);
    const delivered = accepted.flatMap((r) => r.ids);
    expect(new Set(delivered).size).toBe(40);
    expect(delivered).toHaveLength(40);
  });

  it('sends again only the documents answered 429, and their bytes are intact', async () => {
    const docs = batchOf(10);
    const first = await fakeBulk(1e9, new Set());
    await new BulkWriter({ url: first.url, ...options }).write(docs, new AbortController().signal);
    const ids = first.requests[0]?.ids ?? [];
    server?.close();

    const busy = new Set([ids[1] as string, ids[4] as string, ids[7] as string]);
    const { url, requests } = await fakeBulk(1e9, busy);
    const outcomes = await new BulkWriter({ url, ...options }).write(docs, new AbortController().signal);
    expect(outcomes.every((o) => o.status === 'created')).toBe(true);
    expect(requests.map((r) => r.ids)).toEqual([ids, [ids[1], ids[4], ids[7]]]);
  });
});
