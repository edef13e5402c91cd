/** Bulk-load hits into Elasticsearch the way the shipper indexes them (tests and benchmark). */

import type { LogRecord } from '../../contract/vocabulary.ts';
import type { Hit } from '../../explorer/model/types.ts';

/** Index `hits` in batches with `_bulk`, into the index `indexOf` names, then refresh. */
export async function bulkLoad(
  url: string,
  hits: readonly Hit[],
  indexOf: (record: LogRecord) => string,
  batch = 5000,
): Promise<void> {
  const indices = new Set<string>();
  for (let i = 0; i < hits.length; i += batch) {
    const body: string[] = [];
    for (const hit of hits.slice(i, i + batch)) {
      const index = indexOf(hit.record);
      indices.add(index);
      body.push(JSON.stringify({ create: { _index: index } }), JSON.stringify(hit.record));
    }
    const response = await fetch(`${url}/_bulk`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body: `${body.join('\n')}\n`,
      signal: AbortSignal.timeout(120_000),
    });
    const result = (await response.json()) as { errors: boolean; items: { create: { error?: unknown } }[] };
    if (!response.ok || result.errors) {
      const first = result.items?.find((item) => item.create.error)?.create.error;
      throw new Error(`bulk load failed: ${response.status} ${JSON.stringify(first)}`);
    }
  }
  await fetch(`${url}/${[...indices].map(encodeURIComponent).join(',')}/_refresh`, { method: 'POST' });
}
