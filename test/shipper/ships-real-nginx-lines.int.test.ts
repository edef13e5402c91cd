import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';
import { waitFor } from '../utils/wait.ts';
import { startShipper, stopShipper } from './fixtures.ts';

describe('shipper and a real nginx', () => {
  const prefix = uniqueIndexPrefix();
  const logDir = mkdtempSync(join(tmpdir(), 'dtq-nginx-ship-'));
  let url = '';
  let upstream: Server;
  let nginx: TestNginx;

  beforeAll(async () => {
    ({ url } = await testElasticsearch());
    upstream = createServer((_request, response) =>
      response.writeHead(202, { 'content-type': 'application/json' }).end('{}'),
    );
    await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
    nginx = await startNginx({ upstreams: [`127.0.0.1:${(upstream.address() as AddressInfo).port}`], logDir });
  });
  afterAll(async () => {
    await nginx?.stop();
    upstream?.close();
    await deleteIndicesWithPrefix(url, prefix);
    rmSync(logDir, { recursive: true, force: true });
  });

  it('indexes every access-log line nginx writes exactly once, normalised', { timeout: 180_000 }, async () => {
    const shipper = startShipper({ logDir, esUrl: url, prefix });
    const ids = Array.from({ length: 40 }, (_, i) => `nginx-ship-${i}-${Date.now()}`);
    for (const id of ids) {
      const response = await fetch(`${nginx.url}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'x-request-id': id },
        body: '{}',
      });
      expect(response.status).toBe(202);
    }
    await nginx.accessLines('all requests', (line) => ids.includes(String(line[F.CORRELATION_ID])), ids.length);

    type Hit = { _source: Record<string, unknown> };
    const search = async (): Promise<Hit[]> => {
      await fetch(`${url}/${prefix}-*/_refresh`, { method: 'POST' });
      const response = await fetch(`${url}/${prefix}-*/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ size: 200, query: { terms: { [F.CORRELATION_ID]: ids } } }),
      });
      return response.ok ? ((await response.json()) as { hits: { hits: Hit[] } }).hits.hits : [];
    };
    await waitFor('nginx lines in Elasticsearch', async () => (await search()).length >= ids.length, {
      timeoutMs: 120_000,
      intervalMs: 500,
    });
    await new Promise((resolve) => setTimeout(resolve, 1_500));
    const hits = await search();
    const byId = new Map<string, number>();
    for (const hit of hits)
      byId.set(String(hit._source[F.CORRELATION_ID]), (byId.get(String(hit._source[F.CORRELATION_ID])) ?? 0) + 1);
    expect([...byId.values()].every((count) => count === 1)).toBe(true);
    expect(byId.size).toBe(ids.length);
    for (const { _source: line } of hits) {
      expect(line[F.SERVICE_NAME]).toBe('nginx');
      expect(line[F.HTTP_STATUS]).toBe(202);
      expect(typeof line[F.EVENT_DURATION]).toBe('number');
      expect(line[F.TIMESTAMP]).toMatch(/\.\d{3}Z$/);
    }
    expect(await stopShipper(shipper)).toEqual({ code: 0, signal: null });
  });
});
