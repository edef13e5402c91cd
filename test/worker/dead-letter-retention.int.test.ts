/**
 * Dead letters are bounded: 20 tasks with a ~0.5 MB payload that a real worker fails (sent
 * through a real API) grow Redis by a few KiB each, not by their payload, and only the newest
 * DTQ_DEAD_LETTER_MAX_COUNT dead letters are kept; each keeps what a person needs and a capped
 * copy of the payload. Dead letters past DTQ_DEAD_LETTER_MAX_AGE_S are removed.
 */
import { Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import {
  DEAD_LETTER_PAYLOAD_CHARS,
  DEAD_LETTER_QUEUE,
  type DeadLetterJobData,
  queuePrefix,
} from '../../workload/queue/contract.ts';
import { trimDeadLetters } from '../../workload/worker/dead-letter.ts';
import { type ApiHarness, startApiHarness } from '../api/api-harness.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, type Harness } from './worker-harness.ts';

const FAILING = 20;
const KEEP = 5;
const N = 500;

let redis: TestRedis;
let api: ApiHarness;
let harness: Harness;
let client: Redis;
let deadLetter: Queue<DeadLetterJobData>;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApiHarness({ faults: true }, { redis });
  harness = createHarness(redis.url);
  client = new Redis(redis.url);
  deadLetter = new Queue<DeadLetterJobData>(DEAD_LETTER_QUEUE, {
    connection: client,
    prefix: queuePrefix(DEAD_LETTER_QUEUE),
  });
  await harness.spawnWorker('worker-1', { DTQ_DEAD_LETTER_MAX_COUNT: String(KEEP) });
});

afterAll(async () => {
  await deadLetter?.close();
  client?.disconnect();
  await harness?.cleanup();
  await api?.close();
  await redis?.close();
});

/** A valid VaR of 500 positions with an explicit identity matrix (~0.5 MB), poisoned by fault injection. */
function poisonedBody(i: number): string {
  const correlations = Array.from({ length: N }, (_, r) => Array.from({ length: N }, (_, c) => (r === c ? 1 : 0)));
  const positions = Array.from({ length: N }, (_, p) => ({ symbol: `SYM-${i}-${p}`, quantity: 10, price: 100 }));
  return JSON.stringify({
    task_type: 'calculate_var',
    data: {
      portfolio_data: { portfolio_id: `dlq-${i}`, positions, correlations },
      simulations: 100,
      fault: { poison: true },
    },
  });
}

async function usedMemory(): Promise<number> {
  const info = await client.info('memory');
  return Number(/used_memory:(\d+)/.exec(info)?.[1]);
}

/** Post a poisoned task and wait until the worker has dead-lettered it and capped its failed job. */
async function failOne(i: number): Promise<string> {
  const body = poisonedBody(i);
  const response = await api.postTask({ payload: body });
  expect(response.statusCode).toBe(202);
  const taskId = (response.json() as { task_id: string }).task_id;
  const queue = api.inspect('medium');
  await waitFor(
    `task ${taskId} to be dead-lettered with a capped payload`,
    async () => ((await queue.getJob(taskId))?.data.data as { dead_lettered?: boolean } | undefined)?.dead_lettered,
    { timeoutMs: 60_000 },
  );
  return taskId;
}

describe('dead-letter retention', () => {
  it(`keeps ${FAILING} failed ~0.5 MB tasks in a bounded amount of Redis memory`, async () => {
    // One failure first, so scripts, queues and the dead-letter queue exist before measuring.
    await failOne(-1);
    const payloadChars = poisonedBody(0).length;
    const before = await usedMemory();
    const ids: string[] = [];
    for (let i = 0; i < FAILING; i++) ids.push(await failOne(i));
    const grown = (await usedMemory()) - before;
    // Per task: a dead letter or a failed job each holds at most the capped payload (4 KiB) plus
    // its fields, BullMQ's job options, stack trace and a few event-stream entries: under 16 KiB
    // together. Keeping the payloads would be FAILING × 2 × ~0.5 MB.
    const bound = FAILING * 16 * 1024;
    expect(grown, `Redis grew by ${grown} bytes`).toBeLessThan(bound);
    expect(bound).toBeLessThan(payloadChars);

    // Only the newest KEEP dead letters remain, each with what a person needs.
    expect(await deadLetter.getWaitingCount()).toBe(KEEP);
    const kept = (await deadLetter.getWaiting(0, -1)).map((job) => job.id).sort();
    expect(kept).toEqual(ids.slice(-KEEP).sort());
    const letter = await waitFor('the newest dead letter', () => deadLetter.getJob(ids.at(-1) as string));
    expect(letter.data).toMatchObject({
      original_task_id: ids.at(-1),
      task_type: 'calculate_var',
      original_queue: 'medium',
      attempts: 1,
      error_code: 'DTQ_ERR_WORKER_FAULT_POISON',
      truncated: true,
    });
    expect(letter.data.correlation_id).toMatch(/^[0-9a-f]{32}$/);
    expect(letter.data.failed_at).toBeGreaterThan(0);
    expect(letter.data.enqueued_at).toBeGreaterThan(0);
    expect(letter.data.payload).toHaveLength(DEAD_LETTER_PAYLOAD_CHARS);
    expect(letter.data.payload_chars).toBeGreaterThan(400_000);
    expect(letter.data.payload.startsWith('{"portfolio_data":{"portfolio_id":"dlq-19"')).toBe(true);
    expect(Object.hasOwn(letter.data, 'data')).toBe(false);

    // The failed task is still readable through the API.
    const status = await api.app.inject({ method: 'GET', url: `/api/v1/tasks/${ids[0]}` });
    expect(status.json()).toMatchObject({ status: 'failed', attempts: 1 });
  });

  it('removes dead letters older than the age limit', async () => {
    const name = `dead-letter-age-${Date.now()}`;
    const queue = new Queue<DeadLetterJobData>(name, {
      connection: client,
      prefix: queuePrefix(name),
    });
    const letter = (id: string) => ({
      task_type: 'calculate_var' as const,
      priority: 'low' as const,
      correlation_id: id,
      enqueued_at: Date.now(),
      original_task_id: id,
      original_queue: 'low',
      attempts: 1,
      failed_reason: 'test',
      failed_at: Date.now(),
      payload: '{}',
      payload_chars: 2,
      truncated: false,
    });
    try {
      for (const id of ['old-1', 'old-2']) await queue.add('dead-letter', letter(id), { jobId: id });
      await new Promise((resolve) => setTimeout(resolve, 1_100));
      await queue.add('dead-letter', letter('new-1'), { jobId: 'new-1' });
      await trimDeadLetters(queue, { maxAgeS: 1, maxCount: 100 });
      expect((await queue.getWaiting(0, -1)).map((job) => job.id)).toEqual(['new-1']);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });
});
