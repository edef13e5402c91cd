/**
 * Both reference systems' lines in one index: the Node stack and the FastAPI + Celery stack run
 * one after the other, each with 1 API and 1 worker, each shipping its log directory with the
 * real shipper into the same index prefix. Then, unchanged: `dtq-explore <id> --json` rebuilds
 * a retried request of each system from that index, `dtq-explore --stats` and the dashboards'
 * panel queries count both systems' requests and tasks, and the file-source `--stats` over a
 * directory holding both systems' files agrees with Elasticsearch on the same lines.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { indexPattern } from '../../contract/indices.ts';
import { EVENTS, F, type LogRecord } from '../../contract/vocabulary.ts';
import { panelById } from '../../dashboards/definitions.ts';
import { type PanelRow, panelRows, panelSearch } from '../../dashboards/es-query.ts';
import { EsClient } from '../../elk/client.ts';
import { plainConnection } from '../../elk/connection.ts';
import { sampleTaskData } from '../../workload/stack/sample-tasks.ts';
import { ensureBuilt, runExplore } from '../explorer/binary.ts';
import { deleteIndicesWithPrefix, testElasticsearch, uniqueIndexPrefix } from '../utils/elasticsearch.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { TEST_PYTHON_ENV_DIR, testPythonEnv } from './python-env.ts';

/** Tasks each system is sent: one that fails its first attempt and is retried, then plain ones. */
const PLAIN_TASKS = 2;
const TASKS_PER_SYSTEM = 1 + PLAIN_TASKS;

const run = randomUUID().slice(0, 8);
const NODE_RETRY = `both-node-retry-${run}`;
const CELERY_RETRY = `both-celery-retry-${run}`;

let url = '';
const prefix = uniqueIndexPrefix();
let logsRoot = '';
const env = (): NodeJS.ProcessEnv => ({ DTQ_ES_URL: url, DTQ_ES_INDEX_PREFIX: prefix });

/** Every line of every NDJSON file under `dir` (both systems' subfolders). */
function linesUnder(dir: string): LogRecord[] {
  return readdirSync(dir, { recursive: true, encoding: 'utf8' })
    .filter((file) => file.endsWith('.ndjson'))
    .flatMap((file) => readFileSync(join(dir, file), 'utf8').split('\n'))
    .filter((line) => line.trim() !== '')
    .map((line) => JSON.parse(line) as LogRecord);
}

/** A system's stack with its lines under `logsRoot/<system>`, shipped into the shared prefix. */
function start(system: 'node' | 'celery'): Promise<TestStack> {
  return startStack({
    system,
    apis: 1,
    workers: 1,
    logDir: join(logsRoot, system),
    esUrl: url,
    // The shipper reads the index prefix from the environment it is given.
    childEnv: { DTQ_ES_INDEX_PREFIX: prefix },
    ...(system === 'celery' ? { pythonEnvDir: TEST_PYTHON_ENV_DIR, celeryConcurrency: 1 } : {}),
  });
}

/** The Node system: a retried task and plain ones, each waited for; stopping ships the last lines. */
async function runNode(): Promise<void> {
  const stack = await start('node');
  try {
    // A distinct input per task: the workload answers a repeated one from its result cache.
    const send = async (cid: string, seed: number, fault: boolean): Promise<void> => {
      const data = { ...sampleTaskData('calculate_var', seed), ...(fault ? { fault: { fail_attempts: 1 } } : {}) };
      const created = await stack.postTask(
        { task_type: 'calculate_var', data, priority: 'high' },
        { 'x-request-id': cid },
      );
      expect(created.status, created.text).toBe(202);
      const done = await stack.waitForTask((created.json() as { task_id: string }).task_id);
      expect(done.status).toBe('succeeded');
    };
    await send(NODE_RETRY, 0, true);
    for (let i = 1; i <= PLAIN_TASKS; i++) await send(`both-node-${run}-${i}`, i, false);
  } finally {
    await stack.stop();
  }
}

/** The Celery system, alike; its GET answers with Celery's own states. */
async function runCelery(): Promise<void> {
  const stack = await start('celery');
  try {
    const send = async (cid: string, fault: boolean): Promise<void> => {
      const data = {
        portfolio_data: { positions: [{ symbol: 'AAPL', quantity: 100, price: 150.0 }] },
        ...(fault ? { fault: { fail_attempts: 1 } } : {}),
      };
      const created = await stack.postTask(
        { task_type: 'calculate_var', data, priority: 'medium' },
        { 'x-request-id': cid },
      );
      expect(created.status, created.text).toBe(201);
      const taskId = (created.json() as { task_id: string }).task_id;
      let state = '';
      for (let i = 0; i < 150 && state !== 'SUCCESS'; i++) {
        await sleep(200);
        const poll = await stack.client.send('GET', `/api/v1/tasks/${taskId}`);
        state = (poll.json() as { status: string }).status;
      }
      expect(state).toBe('SUCCESS');
    };
    await send(CELERY_RETRY, true);
    for (let i = 0; i < PLAIN_TASKS; i++) await send(`both-celery-${run}-${i}`, false);
  } finally {
    await stack.stop();
  }
}

beforeAll(async () => {
  ensureBuilt();
  await testPythonEnv();
  ({ url } = await testElasticsearch());
  logsRoot = mkdtempSync(join(tmpdir(), 'dtq-both-'));
  // One after the other: two stacks at once would only compete for the machine.
  await runNode();
  await runCelery();
  await refresh();
}, 900_000);

afterAll(async () => {
  if (url) await deleteIndicesWithPrefix(url, prefix);
  if (logsRoot) rmSync(logsRoot, { recursive: true, force: true });
});

async function refresh(): Promise<void> {
  const client = new EsClient(plainConnection(url));
  try {
    await client.request('POST', `/${indexPattern(prefix)}/_refresh`);
  } finally {
    client.close();
  }
}

/** One panel's rows over the shared index, totals only, as the dashboards and --stats query it. */
async function rowsOf(panelId: string): Promise<PanelRow[]> {
  const panel = panelById(panelId);
  const client = new EsClient(plainConnection(url));
  try {
    const response = await client.request('POST', `/${indexPattern(prefix)}/_search`, {
      body: panelSearch(panel, { totals: true }),
    });
    return panelRows(panel, response, { totals: true });
  } finally {
    client.close();
  }
}

/** A bucketed panel's document counts by one bucket's key. */
const countsBy = (rows: PanelRow[], bucket: string): Record<string, number> =>
  Object.fromEntries(rows.map((row) => [String(row.keys[bucket]), row.docCount]));

/** How many lines of `lines` have event.action `action`. */
const countOf = (lines: LogRecord[], action: string): number =>
  lines.filter((line) => line[F.EVENT_ACTION] === action).length;

interface Trace {
  source: { kind: string };
  outcome: { status: string };
  requests: { status: number | null; nginx: { status: number } | null }[];
  tasks: { queue: string | null; type: string | null; attempts: { number: number; result: string }[] }[];
}

describe('both systems shipped into one index prefix', () => {
  it('dtq-explore --json rebuilds a retried request of each system from that index', async () => {
    const explore = async (cid: string): Promise<Trace> => {
      const result = await runExplore([cid, '--json'], env());
      expect(result.code, result.stderr).toBe(0);
      return JSON.parse(result.stdout) as Trace;
    };
    const node = await explore(NODE_RETRY);
    const celery = await explore(CELERY_RETRY);
    for (const [trace, status, queue] of [
      [node, 202, 'high'],
      [celery, 201, 'medium'],
    ] as const) {
      expect(trace.source.kind).toBe('elasticsearch');
      expect(trace.outcome.status).toBe('succeeded');
      expect(trace.requests[0]?.status).toBe(status);
      expect(trace.requests[0]?.nginx?.status).toBe(status);
      expect(trace.tasks).toHaveLength(1);
      expect(trace.tasks[0]?.queue).toBe(queue);
      expect(trace.tasks[0]?.attempts.map((a) => [a.number, a.result])).toEqual([
        [1, 'failed'],
        [2, 'succeeded'],
      ]);
    }
  }, 120_000);

  it("the dashboards' panels count both systems' tasks per type and queue, and lines per service instance", async () => {
    const lines = linesUnder(logsRoot);
    const completedByQueue = countsBy(await rowsOf('completed-by-queue'), 'by-task-queue');
    expect(completedByQueue).toEqual({ high: TASKS_PER_SYSTEM, medium: TASKS_PER_SYSTEM });
    const started = countsBy(await rowsOf('queue-wait-by-queue'), 'by-task-queue');
    // Each system's retried task starts twice.
    expect(started).toEqual({ high: TASKS_PER_SYSTEM + 1, medium: TASKS_PER_SYSTEM + 1 });
    expect(countsBy(await rowsOf('execution-by-type'), 'by-task-type')).toEqual({
      calculate_var: 2 * TASKS_PER_SYSTEM,
    });
    const [retries] = await rowsOf('retries-total');
    expect(retries?.docCount).toBe(2);
    // Each system's retried task failed its first attempt; both failures are counted per type and reason.
    const failed = (await rowsOf('failed-tasks')).map((row) => [
      row.keys['by-event-action'],
      row.keys['by-task-type'],
      row.keys['by-error-code'],
      row.docCount,
    ]);
    expect(failed.sort()).toEqual([
      [EVENTS.TASK_FAILED, 'calculate_var', 'DTQ_ERR_PRICING_TIMEOUT', 1],
      [EVENTS.TASK_FAILED, 'calculate_var', 'DTQ_ERR_WORKER_FAULT_TRANSIENT', 1],
    ]);
    const enqueued = countsBy(await rowsOf('throughput-by-priority'), 'by-task-priority');
    expect(enqueued).toEqual({ high: TASKS_PER_SYSTEM, medium: TASKS_PER_SYSTEM });

    // Per service instance: both systems name their processes api-1 and worker-1, so each row
    // holds the lines of both; the shipped lines are exactly those of the two directories.
    const byInstance = Object.fromEntries(
      (await rowsOf('error-rate-by-instance')).map((row) => [
        `${row.keys['by-service-name']}/${row.keys['by-service-instance']}`,
        row.docCount,
      ]),
    );
    const expected: Record<string, number> = {};
    for (const line of lines) {
      if (line[F.SERVICE_NAME] === 'shipper') continue;
      const key = `${line[F.SERVICE_NAME]}/${line[F.SERVICE_INSTANCE]}`;
      expected[key] = (expected[key] ?? 0) + 1;
    }
    const { 'shipper/shipper': _shipper, ...shipped } = byInstance;
    expect(shipped).toEqual(expected);
    const [nginxLatency] = await rowsOf('nginx-latency');
    expect(nginxLatency?.docCount).toBe(countOf(lines, EVENTS.NGINX_ACCESS));
    const [apiLatency] = await rowsOf('api-latency');
    expect(apiLatency?.docCount).toBe(countOf(lines, EVENTS.HTTP_REQUEST_COMPLETED));
  });

  it('dtq-explore --stats from Elasticsearch counts both systems, and the file overview agrees', async () => {
    const es = await runExplore(['--stats'], env());
    expect(es.code, es.stderr).toBe(0);
    const lines = linesUnder(logsRoot);
    // The "Tasks completed" column of the per-type table: both systems' calculate_var tasks.
    expect(es.stdout).toMatch(new RegExp(`\\n  calculate_var .* ${2 * TASKS_PER_SYSTEM}\\n`));
    expect(es.stdout).toMatch(/Retries scheduled\n {2}Retries\n {2}2\n/);
    // "Tasks started" per queue: Node's on high, Celery's on medium, the retried one twice each.
    // Rows are ordered by p95, so each is matched on its own.
    for (const queue of ['high', 'medium'])
      expect(es.stdout).toMatch(new RegExp(`\\n  ${queue} .* ${TASKS_PER_SYSTEM + 1}\\n`));

    // The same lines, read from the files of both systems' directories.
    const files = await runExplore(['--stats', '--json', '--logs', logsRoot], {});
    expect(files.code, files.stderr).toBe(0);
    const overview = JSON.parse(files.stdout) as {
      source: { kind: string };
      requests: number;
      status_classes: Record<string, number>;
      tasks: number;
      states: Record<string, number>;
    };
    expect(overview.source.kind).toBe('files');
    // Requests that enqueued a task (status polls belong to their task, not counted as requests).
    const enqueued = (await rowsOf('throughput-by-priority')).reduce((sum, row) => sum + row.docCount, 0);
    expect(enqueued).toBe(countOf(lines, EVENTS.TASK_ENQUEUED));
    expect(overview.requests).toBe(enqueued);
    expect(overview.status_classes).toEqual({ '2xx': enqueued });
    const completed = (await rowsOf('execution-by-type')).reduce((sum, row) => sum + row.docCount, 0);
    expect(overview.tasks).toBe(completed);
    expect(overview.states).toEqual({ succeeded: completed });
    expect(completed).toBe(2 * TASKS_PER_SYSTEM);
  }, 60_000);
});
