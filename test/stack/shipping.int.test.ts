/**
 * `npm run workload` with DTQ_ES_URL: the stack runs the shipper too, and one request's lines
 * from nginx, the API and the worker arrive in Elasticsearch under its correlation id.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { sampleTaskBody } from '../../workload/stack/sample-tasks.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { waitFor } from '../utils/wait.ts';

let stack: TestStack;
let esUrl: string;
const prefix = uniqueIndexPrefix();

beforeAll(async () => {
  esUrl = (await testElasticsearch()).url;
  stack = await startStack({
    apis: 1,
    workers: 1,
    esUrl,
    childEnv: { DTQ_ES_INDEX_PREFIX: prefix, DTQ_SHIPPER_FLUSH_INTERVAL_MS: '200' },
  });
  // The shared Elasticsearch may still be starting (tens of seconds, minutes on a busy machine).
}, 420_000);

afterAll(async () => {
  await stack?.stop();
  if (esUrl) await deleteIndicesWithPrefix(esUrl, prefix);
});

it('ships the lines of nginx, the API and the worker to Elasticsearch when DTQ_ES_URL is set', async () => {
  expect(stack.shipper?.isRunning()).toBe(true);
  const correlationId = `e2e-ship-${Date.now()}`;
  const response = await stack.postTask(sampleTaskBody('stress_test', 'medium', 31), { 'x-request-id': correlationId });
  expect(response.status, response.text).toBe(202);
  await stack.waitForTask((response.json() as { task_id: string }).task_id);

  const services = await waitFor(
    'lines of nginx, api and worker in Elasticsearch',
    async () => {
      const result = await fetch(`${esUrl}/${prefix}*/_search`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          size: 0,
          query: { term: { [F.CORRELATION_ID]: correlationId } },
          aggs: { services: { terms: { field: F.SERVICE_NAME } } },
        }),
      });
      if (!result.ok) return undefined;
      const body = (await result.json()) as { aggregations?: { services: { buckets: { key: string }[] } } };
      const names = new Set(body.aggregations?.services.buckets.map((bucket) => bucket.key));
      return names.has('nginx') && names.has('api') && names.has('worker') ? names : undefined;
    },
    { timeoutMs: 60_000, intervalMs: 500 },
  );
  expect([...services].sort()).toEqual(expect.arrayContaining(['api', 'nginx', 'worker']));
}, 120_000);
