/** Bulk-load hits into Elasticsearch the way the shipper indexes them (tests and benchmark). */

import type { LogRecord } from '../../contract/vocabulary.ts';
import { EsClient } from '../../elk/client.ts';
import { type EsConnection, plainConnection } from '../../elk/connection.ts';
import type { Hit } from '../../explorer/model/types.ts';

/**
 * Index `hits` in batches with `_bulk`, into the index `indexOf` names, then refresh. `target` is
 * a URL without credentials (the test node) or a connection (a benchmark's secured cluster).
 */
export async function bulkLoad(
  target: string | EsConnection,
  hits: readonly Hit[],
  indexOf: (record: LogRecord) => string,
  batch = 5000,
): Promise<void> {
  const client = new EsClient(typeof target === 'string' ? plainConnection(target) : target, {
    requestTimeoutMs: 120_000,
  });
  try {
    const indices = new Set<string>();
    for (let i = 0; i < hits.length; i += batch) {
      const body: string[] = [];
      for (const hit of hits.slice(i, i + batch)) {
        const index = indexOf(hit.record);
        indices.add(index);
        body.push(JSON.stringify({ create: { _index: index } }), JSON.stringify(hit.record));
      }
      const result = await client.request<{ errors: boolean; items: { create: { error?: unknown } }[] }>(
        'POST',
        '/_bulk',
        { body: `${body.join('\n')}\n`, headers: { 'content-type': 'application/x-ndjson' } },
      );
      if (result?.errors) {
        const first = result.items?.find((item) => item.create.error)?.create.error;
        throw new Error(`bulk load failed: ${JSON.stringify(first)}`);
      }
    }
    await client.request('POST', `/${[...indices].map(encodeURIComponent).join(',')}/_refresh`);
  } finally {
    client.close();
  }
}
