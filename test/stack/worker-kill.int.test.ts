/**
 * kill -9 of a worker in the middle of a job, through the whole stack: the job is recovered as
 * stalled and completed by another worker, and both attempts' lines carry the request's
 * correlation id.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { sampleTaskBody } from '../../workload/stack/sample-tasks.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { waitFor } from '../utils/wait.ts';

let stack: TestStack;

beforeAll(async () => {
  // A short job lock and stalled check, so the lost job is noticed in seconds rather than 30 s.
  stack = await startStack({
    workers: 2,
    apis: 1,
    childEnv: { DTQ_JOB_LOCK_MS: '5000', DTQ_STALLED_INTERVAL_MS: '2000' },
  });
});

afterAll(async () => {
  await stack?.stop();
});

it('completes a job on another worker after its worker is killed with SIGKILL mid-job, same correlation id on both attempts', async () => {
  const correlationId = `e2e-kill-${Date.now()}`;
  const response = await stack.postTask(sampleTaskBody('calculate_var', 'high', 21, { sleep_ms: 4000 }), {
    'x-request-id': correlationId,
  });
  expect(response.status, response.text).toBe(202);
  const taskId = (response.json() as { task_id: string }).task_id;

  const started = await waitFor('the job to start on a worker', () =>
    stack.readLogs().find((l) => l[F.TASK_ID] === taskId && l[F.EVENT_ACTION] === EVENTS.TASK_STARTED),
  );
  const victim = String(started[F.SERVICE_INSTANCE]);
  const index = stack.workers.findIndex((worker) => worker.instance === victim);
  expect(index).toBeGreaterThanOrEqual(0);
  const exit = await stack.killWorker(index, 'SIGKILL');
  expect(exit.signal).toBe('SIGKILL');

  // Recovery waits for BullMQ's stalled-job check; the job then sleeps again on the survivor.
  const final = await stack.waitForTask(taskId, 120_000);
  expect(final.status).toBe('succeeded');

  const lines = stack
    .readLogs()
    .filter((l) => l[F.TASK_ID] === taskId && l[F.SERVICE_NAME] === 'worker')
    .sort((a, b) => String(a[F.TIMESTAMP]).localeCompare(String(b[F.TIMESTAMP])));
  const starts = lines.filter((l) => l[F.EVENT_ACTION] === EVENTS.TASK_STARTED);
  expect(starts.length).toBeGreaterThanOrEqual(2);
  expect(starts[0]?.[F.SERVICE_INSTANCE]).toBe(victim);
  const completed = lines.find((l) => l[F.EVENT_ACTION] === EVENTS.TASK_COMPLETED);
  expect(completed?.[F.SERVICE_INSTANCE]).toBeDefined();
  expect(completed?.[F.SERVICE_INSTANCE]).not.toBe(victim);
  for (const line of lines) expect(line[F.CORRELATION_ID]).toBe(correlationId);
}, 180_000);
