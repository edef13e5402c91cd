/**
 * The FastAPI + Celery workload end to end: real uvicorn servers, real Celery workers (prefork
 * pools), real Redis and nginx started by the stack; requests through nginx, then the real
 * dtq-explore binary rebuilds each Celery task's timeline from the log files with the default
 * `dtq` profile: attempts, a retry with its backoff, a dead letter, a redelivery after a pool
 * process was killed, and status polls made under other correlation ids.
 */
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { Ajv2020 } from 'ajv/dist/2020.js';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { ensureBuilt, ROOT, runExplore } from '../explorer/binary.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { waitFor } from '../utils/wait.ts';
import { TEST_PYTHON_ENV_DIR, testPythonEnv } from './python-env.ts';

let stack: TestStack;

beforeAll(async () => {
  ensureBuilt();
  await testPythonEnv();
  stack = await startStack({
    system: 'celery',
    pythonEnvDir: TEST_PYTHON_ENV_DIR,
    apis: 2,
    workers: 2,
    celeryConcurrency: 2,
    // A message of a dead worker goes back to the queue after 5 s (the default is 30 s); every
    // task here, retry countdowns included, ends well within it.
    childEnv: { DTQ_CELERY_VISIBILITY_TIMEOUT_S: '5' },
  });
}, 900_000);

afterAll(async () => {
  await stack?.stop();
});

/** The design notes' example request (docs: "Testing the Fix"), verbatim. */
const EXAMPLE = {
  task_type: 'calculate_var',
  data: { portfolio_data: { positions: [{ symbol: 'AAPL', quantity: 100, price: 150.0 }] } },
  priority: 'high',
};

interface Attempt {
  number: number;
  instance: string;
  result: string;
  failure: string | null;
  redelivered: boolean;
  retry_delay_ms: number | null;
  queue_wait_ms: number | null;
}
interface Trace {
  outcome: { status: string };
  requests: { status: number | null; api_instance: string | null; nginx: { status: number } | null }[];
  tasks: {
    task_id: string;
    task_type: string | null;
    queue: string | null;
    priority: string | null;
    outcome: string;
    attempts: Attempt[];
    polls: { correlation_id: string; status: number | null }[];
  }[];
}

async function post(correlationId: string, body: unknown): Promise<string> {
  const response = await stack.postTask(body, { 'x-request-id': correlationId });
  expect(response.status, response.text).toBe(201);
  const taskId = (response.json() as { task_id: string }).task_id;
  expect(response.headers.location).toBe(`/api/v1/tasks/${taskId}`);
  return taskId;
}

/** Poll the status through nginx, each poll under its own correlation id, until `state`. */
async function pollUntil(taskId: string, state: string, timeoutMs = 60_000): Promise<number> {
  let polls = 0;
  await waitFor(
    `task ${taskId} to reach ${state}`,
    async () => {
      polls++;
      const response = await stack.client.send('GET', `/api/v1/tasks/${taskId}`, {
        headers: { 'x-request-id': `poll-${taskId.slice(0, 8)}-${polls}` },
      });
      return (response.json() as { status: string }).status === state ? true : undefined;
    },
    { timeoutMs, intervalMs: 300 },
  );
  return polls;
}

async function explore(correlationId: string): Promise<Trace> {
  const result = await runExplore([correlationId, '--json', '--logs', stack.logDir]);
  expect(result.code, result.stderr).toBe(0);
  return JSON.parse(result.stdout) as Trace;
}

function fault(f: Record<string, unknown>) {
  return { ...EXAMPLE, data: { ...EXAMPLE.data, fault: f } };
}

it("traces the design notes' example request from nginx through FastAPI to a Celery worker, with its status polls", async () => {
  const taskId = await post('ULTIMATE-SUCCESS-123', EXAMPLE);
  const polls = await pollUntil(taskId, 'SUCCESS');

  const trace = await explore('ULTIMATE-SUCCESS-123');
  expect(trace.outcome.status).toBe('succeeded');
  const [request] = trace.requests;
  expect(request?.status).toBe(201);
  expect(request?.nginx?.status).toBe(201);
  expect(request?.api_instance).toMatch(/^api-[12]$/);
  const [task] = trace.tasks;
  expect(task).toMatchObject({ task_id: taskId, task_type: 'calculate_var', queue: 'high', priority: 'high' });
  expect(task?.attempts).toHaveLength(1);
  expect(task?.attempts[0]).toMatchObject({ number: 1, result: 'succeeded', redelivered: false });
  expect(task?.attempts[0]?.instance).toMatch(/^worker-[12]\.[12]$/);
  expect(task?.attempts[0]?.queue_wait_ms).toBeGreaterThanOrEqual(0);
  // One W3C trace from the API's request to the worker's attempt (traceparent in the message).
  const lines = stack.readLogs().filter((l) => l[F.CORRELATION_ID] === 'ULTIMATE-SUCCESS-123');
  const traceIds = new Set(lines.filter((l) => l[F.SERVICE_NAME] !== 'nginx').map((l) => l['trace.id']));
  expect([...traceIds]).toEqual([expect.stringMatching(/^[0-9a-f]{32}$/)]);
  expect(lines.some((l) => l[F.SERVICE_NAME] === 'worker')).toBe(true);
  // Every poll was its own request under its own id; each hangs off the task with nginx's 200.
  expect(task?.polls.length).toBe(polls);
  for (const poll of task?.polls ?? []) {
    expect(poll.correlation_id).toMatch(new RegExp(`^poll-${taskId.slice(0, 8)}-\\d+$`));
    expect(poll.status).toBe(200);
  }
}, 120_000);

it('shows a transient failure, its exponential backoff and the successful third attempt', async () => {
  const taskId = await post('celery-retry-1', fault({ fail_attempts: 2 }));
  await pollUntil(taskId, 'SUCCESS');

  const [task] = (await explore('celery-retry-1')).tasks;
  expect(task?.outcome).toBe('succeeded');
  expect(task?.attempts.map((a) => [a.number, a.result])).toEqual([
    [1, 'failed'],
    [2, 'failed'],
    [3, 'succeeded'],
  ]);
  expect(task?.attempts[0]?.failure).toBe('DTQ_ERR_PRICING_TIMEOUT: market data timed out (injected)');
  // retry_backoff=1: 1 s, then 2 s.
  expect(task?.attempts.map((a) => a.retry_delay_ms)).toEqual([1000, 2000, null]);
}, 120_000);

it('dead-letters a poison task at once, without retrying it', async () => {
  const taskId = await post('celery-poison-1', fault({ poison: true }));
  await pollUntil(taskId, 'FAILURE');

  const trace = await explore('celery-poison-1');
  expect(trace.outcome.status).toBe('failed');
  const [task] = trace.tasks;
  expect(task?.outcome).toBe('dead_lettered');
  expect(task?.attempts).toHaveLength(1);
  expect(task?.attempts[0]?.failure).toBe('DTQ_ERR_TASK_POISON: the portfolio cannot be priced (injected poison)');
}, 120_000);

it('redelivers a task whose pool process was killed mid-task (acks_late) and shows the lost attempt', async () => {
  const taskId = await post('celery-killed-1', fault({ sleep_ms: 3000 }));
  const started = await waitFor('the task to start', () =>
    stack.readLogs().find((l) => l[F.TASK_ID] === taskId && l[F.EVENT_ACTION] === EVENTS.TASK_STARTED),
  );
  const pid = Number(started[F.PROCESS_PID]);
  expect(stack.workers.some((w) => w.child.pid === pid)).toBe(false); // a pool process, not the worker itself
  process.kill(pid, 'SIGKILL');
  await pollUntil(taskId, 'SUCCESS');

  const [task] = (await explore('celery-killed-1')).tasks;
  expect(task?.outcome).toBe('succeeded');
  expect(task?.attempts.map((a) => [a.number, a.result, a.redelivered])).toEqual([
    [1, 'stalled', false],
    [2, 'succeeded', true],
  ]);
  const lines = stack.readLogs().filter((l) => l[F.TASK_ID] === taskId && l[F.SERVICE_NAME] === 'worker');
  for (const line of lines) expect(line[F.CORRELATION_ID]).toBe('celery-killed-1');
}, 120_000);

it('redelivers the task of a whole worker killed with SIGKILL to another worker once its visibility timeout passes', async () => {
  const taskId = await post('celery-worker-killed-1', fault({ sleep_ms: 3000 }));
  const started = await waitFor('the task to start', () =>
    stack.readLogs().find((l) => l[F.TASK_ID] === taskId && l[F.EVENT_ACTION] === EVENTS.TASK_STARTED),
  );
  const victim = String(started[F.SERVICE_INSTANCE]).split('.')[0];
  const index = stack.workers.findIndex((w) => w.instance === victim);
  expect(index).toBeGreaterThanOrEqual(0);
  expect((await stack.killWorker(index, 'SIGKILL')).signal).toBe('SIGKILL');
  await pollUntil(taskId, 'SUCCESS', 90_000);

  const [task] = (await explore('celery-worker-killed-1')).tasks;
  expect(task?.outcome).toBe('succeeded');
  expect(task?.attempts.map((a) => [a.number, a.result, a.redelivered])).toEqual([
    [1, 'stalled', false],
    [2, 'succeeded', true],
  ]);
  expect(task?.attempts[0]?.instance.startsWith(`${victim}.`)).toBe(true);
  expect(task?.attempts[1]?.instance.startsWith(`${victim}.`)).toBe(false);
}, 150_000);

it('writes only lines that meet the log contract schema, from every Python process', () => {
  const schema = JSON.parse(readFileSync(join(ROOT, 'docs', 'log-contract.schema.json'), 'utf8'));
  const validate = new Ajv2020({ allErrors: true }).compile(schema);
  const files = readdirSync(stack.logDir).filter((f) => /^(api|worker)-.*\.ndjson$/.test(f));
  expect(files.length).toBeGreaterThanOrEqual(4);
  let checked = 0;
  for (const file of files) {
    for (const text of readFileSync(join(stack.logDir, file), 'utf8').split('\n').filter(Boolean)) {
      const line = JSON.parse(text);
      expect(validate(line) ? [] : validate.errors, `${file}: ${text}`).toEqual([]);
      checked++;
    }
  }
  expect(checked).toBeGreaterThan(20);
});
