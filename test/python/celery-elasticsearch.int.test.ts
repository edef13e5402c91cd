/**
 * The FastAPI + Celery workload's lines through the real shipper into real Elasticsearch: the
 * same stack as celery-workload.int.test.ts with DTQ_ES_URL, and dtq-explore reading the trace
 * back from Elasticsearch (not the files) with the default `dtq` profile.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { ensureBuilt, runExplore } from '../explorer/binary.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { TEST_PYTHON_ENV_DIR, testPythonEnv } from './python-env.ts';

let stack: TestStack;
let url: string;
const prefix = uniqueIndexPrefix();

beforeAll(async () => {
  ensureBuilt();
  await testPythonEnv();
  ({ url } = await testElasticsearch());
  stack = await startStack({
    system: 'celery',
    pythonEnvDir: TEST_PYTHON_ENV_DIR,
    apis: 1,
    workers: 2,
    celeryConcurrency: 1,
    esUrl: url,
    // The shipper reads the index prefix from the environment it is given.
    childEnv: { DTQ_ES_INDEX_PREFIX: prefix },
  });
}, 900_000);

afterAll(async () => {
  await stack?.stop();
  if (url) await deleteIndicesWithPrefix(url, prefix);
});

interface Trace {
  source: { kind: string };
  outcome: { status: string };
  requests: { status: number | null; nginx: { status: number } | null }[];
  tasks: {
    queue: string | null;
    attempts: { number: number; result: string; retry_delay_ms: number | null }[];
    polls: { status: number | null }[];
  }[];
}

/** dtq-explore --json against Elasticsearch until the trace is complete (the shipper needs a moment). */
async function exploreUntil(correlationId: string, done: (trace: Trace) => boolean): Promise<Trace> {
  const deadline = Date.now() + 90_000;
  let last = '';
  while (Date.now() < deadline) {
    const result = await runExplore([correlationId, '--json'], { DTQ_ES_URL: url, DTQ_ES_INDEX_PREFIX: prefix });
    if (result.code === 0) {
      const trace = JSON.parse(result.stdout) as Trace;
      if (done(trace)) return trace;
      last = JSON.stringify(trace.outcome);
    } else last = result.stderr;
    await sleep(1000);
  }
  throw new Error(`trace of ${correlationId} never completed in Elasticsearch; last: ${last}`);
}

it('rebuilds a retried Celery task with its nginx hop and status poll from Elasticsearch', async () => {
  const body = {
    task_type: 'calculate_var',
    data: {
      portfolio_data: { positions: [{ symbol: 'AAPL', quantity: 100, price: 150.0 }] },
      fault: { fail_attempts: 1 },
    },
    priority: 'medium',
  };
  const created = await stack.postTask(body, { 'x-request-id': 'celery-es-retry-1' });
  expect(created.status, created.text).toBe(201);
  const taskId = (created.json() as { task_id: string }).task_id;
  let state = '';
  for (let i = 0; i < 100 && state !== 'SUCCESS'; i++) {
    await sleep(200);
    const poll = await stack.client.send('GET', `/api/v1/tasks/${taskId}`, {
      headers: { 'x-request-id': `celery-es-poll-${i}` },
    });
    state = (poll.json() as { status: string }).status;
  }
  expect(state).toBe('SUCCESS');

  const trace = await exploreUntil(
    'celery-es-retry-1',
    (t) => t.outcome.status === 'succeeded' && t.requests[0]?.nginx !== null && (t.tasks[0]?.polls.length ?? 0) > 0,
  );
  expect(trace.source.kind).toBe('elasticsearch');
  expect(trace.requests[0]?.status).toBe(201);
  expect(trace.requests[0]?.nginx?.status).toBe(201);
  const [task] = trace.tasks;
  expect(task?.queue).toBe('medium');
  expect(task?.attempts.map((a) => [a.number, a.result, a.retry_delay_ms])).toEqual([
    [1, 'failed', 1000],
    [2, 'succeeded', null],
  ]);
  expect(task?.polls.every((p) => p.status === 200)).toBe(true);
}, 180_000);
