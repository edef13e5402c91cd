/**
 * The queue's half of the guarantee: BullMQ ignores an add whose job id already exists, so a
 * request that slips past the HTTP layer with a claimed task id does not create a second job,
 * as long as the first job is still retained (the API keeps completed jobs 24 h:
 * COMPLETED_RETENTION_S in workload/queue/task-queue.ts).
 */
import { randomUUID } from 'node:crypto';
import { Queue, Worker } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { newTaskId } from '../../workload/idempotency/scope.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});
afterAll(async () => {
  await redis.close();
});

async function withQueue(run: (queue: Queue) => Promise<void>): Promise<void> {
  const queue = new Queue(`test-${randomUUID()}`, { connection: { url: redis.url }, prefix: 'dtq' });
  try {
    await run(queue);
  } finally {
    await queue.obliterate({ force: true });
    await queue.close();
  }
}

describe('BullMQ deduplicates by job id (real Redis)', () => {
  it('accepts an idempotency task id and ignores a second add with it while the job waits', async () => {
    await withQueue(async (queue) => {
      const id = newTaskId('f'.repeat(64));
      expect(id).not.toContain(':');
      const first = await queue.add('t', { n: 1 }, { jobId: id });
      const second = await queue.add('t', { n: 2 }, { jobId: id });
      expect(second.id).toBe(first.id);
      expect(await queue.getJobCounts('waiting')).toEqual({ waiting: 1 });
      expect((await queue.getJob(id))?.data).toEqual({ n: 1 });
    });
  });

  it('still ignores it after the job completed, while completed jobs are retained', async () => {
    await withQueue(async (queue) => {
      const id = newTaskId('e'.repeat(64));
      let runs = 0;
      const worker = new Worker(
        queue.name,
        async () => {
          runs++;
          return 'ok';
        },
        { connection: { url: redis.url }, prefix: 'dtq' },
      );
      try {
        await queue.add('t', {}, { jobId: id, removeOnComplete: { age: 3600 } });
        await waitFor('job completed', async () => (await queue.getJobState(id)) === 'completed');
        await queue.add('t', {}, { jobId: id, removeOnComplete: { age: 3600 } });
        await new Promise((r) => setTimeout(r, 300));
        expect(runs).toBe(1);
        expect(await queue.getJobState(id)).toBe('completed');
      } finally {
        await worker.close();
      }
    });
  });

  it('accepts the id again once the completed job was removed: queue dedup lasts as long as retention', async () => {
    await withQueue(async (queue) => {
      const id = newTaskId('d'.repeat(64));
      await queue.add('t', {}, { jobId: id });
      await (await queue.getJob(id))?.remove();
      await queue.add('t', { again: true }, { jobId: id });
      expect((await queue.getJob(id))?.data).toEqual({ again: true });
    });
  });
});
