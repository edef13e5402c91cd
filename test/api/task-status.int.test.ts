/** GET /api/v1/tasks/:task_id follows a task through queued → running → succeeded or failed. */
import { type Job, UnrecoverableError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { QUEUE_NAMES, queuePrefix, type TaskJobData } from '../../workload/queue/contract.ts';
import { waitFor } from '../utils/wait.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

let api: ApiHarness;
let worker: Worker<TaskJobData> | undefined;
let workerConnection: Redis | undefined;
let releaseRunning: () => void = () => {};
const running = Promise.withResolvers<void>();

beforeAll(async () => {
  api = await startApiHarness();
});

afterAll(async () => {
  await worker?.close();
  workerConnection?.disconnect();
  await api?.close();
});

async function create(correlationId: string): Promise<string> {
  const response = await api.postTask({
    headers: { 'x-request-id': correlationId },
    payload: {
      task_type: 'monte_carlo_pricing',
      data: { spot: 100, strike: 95, volatility: 0.25, maturity: 0.5 },
      priority: 'low',
    },
  });
  expect(response.statusCode).toBe(202);
  return response.json().task_id;
}

async function status(taskId: string) {
  const response = await api.app.inject({ method: 'GET', url: `/api/v1/tasks/${taskId}` });
  expect(response.statusCode).toBe(200);
  return response.json();
}

/** A stand-in consumer: its behaviour per job is chosen by the job's correlation id. */
async function process(job: Job<TaskJobData>): Promise<unknown> {
  switch (job.data.correlation_id) {
    case 'status-ok': {
      running.resolve();
      await new Promise<void>((resolve) => {
        releaseRunning = resolve;
      });
      return { price: 9.87 };
    }
    case 'status-poison':
      throw new UnrecoverableError('spot is not a price');
    case 'status-retry':
      if (job.attemptsMade === 0) throw new Error('transient hiccup');
      return { price: 1.23 };
    default:
      return null;
  }
}

describe('task status', () => {
  it('reports queued, then running, then succeeded with the result', async () => {
    const taskId = await create('status-ok');
    const queued = await status(taskId);
    expect(queued).toMatchObject({
      task_id: taskId,
      status: 'queued',
      task_type: 'monte_carlo_pricing',
      priority: 'low',
      queue: QUEUE_NAMES.low,
      correlation_id: 'status-ok',
      attempts: 0,
      max_attempts: 3,
    });
    expect(Date.parse(queued.enqueued_at)).not.toBeNaN();

    workerConnection = new Redis(api.redis.url, { maxRetriesPerRequest: null });
    worker = new Worker<TaskJobData>(QUEUE_NAMES.low, process, {
      connection: workerConnection,
      prefix: queuePrefix(QUEUE_NAMES.low),
      concurrency: 4,
    });
    await running.promise;
    const active = await status(taskId);
    expect(active).toMatchObject({ status: 'running', attempts: 1 });
    expect(active.started_at).toBeDefined();

    releaseRunning();
    const done = await waitFor('the task to succeed', async () => {
      const current = await status(taskId);
      return current.status === 'succeeded' ? current : undefined;
    });
    expect(done).toMatchObject({ result: { price: 9.87 }, attempts: 1 });
    expect(done.finished_at).toBeDefined();
    expect(done.error).toBeUndefined();

    const reads = api
      .lines()
      .filter((line) => line[F.EVENT_ACTION] === EVENTS.TASK_STATUS_READ && line[F.TASK_ID] === taskId)
      .map((line) => line[F.TASK_STATUS]);
    expect(reads).toEqual(expect.arrayContaining(['queued', 'running', 'succeeded']));
  });

  it('reports failed with the reason when a job fails for good', async () => {
    const taskId = await create('status-poison');
    const failed = await waitFor('the task to fail', async () => {
      const current = await status(taskId);
      return current.status === 'failed' ? current : undefined;
    });
    expect(failed).toMatchObject({ error: { message: 'spot is not a price' }, attempts: 1 });
    expect(failed.result).toBeUndefined();
  });

  it('reports a task awaiting its retry as queued with the last error, then its result alone', async () => {
    const taskId = await create('status-retry');
    const retrying = await waitFor('the first attempt to fail', async () => {
      const current = await status(taskId);
      return current.error !== undefined && current.status !== 'running' ? current : undefined;
    });
    expect(retrying).toMatchObject({ status: 'queued', error: { message: 'transient hiccup' } });
    expect(retrying.attempts).toBeGreaterThanOrEqual(1);
    const done = await waitFor('the retry to succeed', async () => {
      const current = await status(taskId);
      return current.status === 'succeeded' ? current : undefined;
    });
    expect(done).toMatchObject({ result: { price: 1.23 }, attempts: 2 });
    expect(done.error).toBeUndefined();
  });
});
