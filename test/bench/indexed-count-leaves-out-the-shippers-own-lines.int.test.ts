/**
 * The shipper races stop when Elasticsearch counts every line of the bench's files: dtq-ship's
 * own log lines (it ships the directory it logs into) must not make up for lines still missing,
 * and a peer's documents, which have no service.name, all count.
 */
import { expect, it } from 'vitest';
import { indexedCount } from '../../bench/peers/race.ts';
import { F } from '../../contract/vocabulary.ts';
import { CORE_STEPS, runSetup } from '../../elk/setup.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';

it("counts every document but the shipper's own log lines", { timeout: 240_000 }, async () => {
  const { url } = await testElasticsearch();
  const prefix = uniqueIndexPrefix();
  await runSetup({ url, prefix, steps: CORE_STEPS });
  try {
    const ts = '2026-03-01T10:00:00.000Z';
    const body = [
      { index: { _index: `${prefix}-2026.03.01` } },
      { [F.TIMESTAMP]: ts, [F.SERVICE_NAME]: 'api' },
      { index: { _index: `${prefix}-2026.03.01` } },
      { [F.TIMESTAMP]: ts, [F.SERVICE_NAME]: 'shipper' },
      { index: { _index: `${prefix}-otelcol` } },
      { body: 'x', '@timestamp': ts },
    ]
      .map((e) => `${JSON.stringify(e)}\n`)
      .join('');
    const r = await fetch(`${url}/_bulk?refresh=true`, {
      method: 'POST',
      headers: { 'content-type': 'application/x-ndjson' },
      body,
    });
    expect(((await r.json()) as { errors: boolean }).errors).toBe(false);
    expect(await indexedCount(url, prefix)).toBe(2);
    expect(await indexedCount(url, `${prefix}-none`)).toBe(0);
  } finally {
    await deleteIndicesWithPrefix(url, prefix);
  }
});
