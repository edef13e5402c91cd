/**
 * The bulk writer's reading of an answer without errors (`{"errors":false,…}`, counted rather
 * than parsed): every document is created only when the answer holds one item per document
 * sent; an answer short of items is a failed round, and the batch is sent again.
 */
import { describe, expect, it } from 'vitest';
import type { HttpResponse, RequestOptions } from '../../contract/http-client.ts';
import { type BulkTransport, BulkWriter } from '../../shipper/bulk-writer.ts';
import { bulkDocs } from '../utils/bulk-docs.ts';

const docs = bulkDocs([0, 1, 2].map((i) => Buffer.from(`{"create":{"_index":"t","_id":"${i}"}}\n{"n":${i}}\n`)));

/** Answers the nth request with `errors:false` and `items(nth)` items of status 201, as filter_path leaves them. */
function transportAnswering(items: (nth: number) => number, bodies: string[]): BulkTransport {
  return {
    async send(_method: string, _path: string, options: RequestOptions): Promise<HttpResponse> {
      bodies.push(Buffer.from(options.body as Uint8Array).toString());
      const list = Array.from({ length: items(bodies.length) }, () => '{"create":{"status":201}}').join(',');
      const text = `{"errors":false,"items":[${list}]}`;
      return { status: 200, headers: {}, text, ms: 0, json: () => JSON.parse(text) };
    },
    close() {},
  };
}

function writer(transport: BulkTransport, retries: string[]): BulkWriter {
  return new BulkWriter({
    url: 'http://unused.invalid',
    exportTimeoutMs: 1_000,
    backoffInitialMs: 1,
    backoffMaxMs: 1,
    transport,
    onRetry: (reason) => retries.push(reason),
  });
}

describe('a bulk answer without errors', () => {
  it('counts every document created when it holds one item per document', async () => {
    const bodies: string[] = [];
    const retries: string[] = [];
    const outcomes = await writer(
      transportAnswering(() => 3, bodies),
      retries,
    ).write(docs, new AbortController().signal);
    expect(outcomes).toEqual([{ status: 'created' }, { status: 'created' }, { status: 'created' }]);
    expect(bodies).toHaveLength(1);
    expect(retries).toEqual([]);
  });

  it('sends the batch again when it holds fewer items than documents sent', async () => {
    const bodies: string[] = [];
    const retries: string[] = [];
    const outcomes = await writer(
      transportAnswering((nth) => (nth === 1 ? 2 : 3), bodies),
      retries,
    ).write(docs, new AbortController().signal);
    expect(outcomes).toEqual([{ status: 'created' }, { status: 'created' }, { status: 'created' }]);
    expect(bodies).toHaveLength(2);
    expect(bodies[1]).toBe(bodies[0]);
    expect(retries).toHaveLength(1);
    expect(retries[0]).toContain('bulk answered 2 items for 3 documents');
  });
});
