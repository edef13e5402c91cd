/**
 * An enqueue under a task id that may exist already (an idempotency claim reused it), against a
 * real Redis and BullMQ: BullMQ's add leaves an existing job as it was and says nothing, so the
 * queue reads the job back and logs what really happened.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { createTaskQueue, type TaskQueue } from '../../workload/queue/task-queue.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

let redis: TestRedis;
let queue: TaskQueue;
const lines: Record<string, unknown>[] = [];
const logger = pino({ base: null }, { write: (text: string) => lines.push(JSON.parse(text)) });

beforeAll(async () => {
  redis = await startRedis();
  queue = createTaskQueue({ redis: redis.url, logger: pino({ level: 'silent' }), operationTimeoutMs: 5000 });
  await waitFor('the queue connection', () => queue.isAvailable());
});
afterAll(async () => {
  await queue?.close();
  await redis?.close();
});

function enqueue(taskId: string, correlationId: string, mayExist: boolean) {
  return queue.enqueue(
    {
      taskId,
      mayExist,
      taskType: 'calculate_var',
      data: { portfolio_data: { positions: [{ symbol: 'AAPL', quantity: 1, price: 1 }] } },
      priority: 'high',
      correlationId,
      idempotencyKey: 'k-1',
    },
    logger.child({ [F.CORRELATION_ID]: correlationId }),
  );
}

describe('an enqueue that may find its job there already', () => {
  it('logs task.enqueued when it created the job, and task.already_enqueued naming the creator when it did not', async () => {
    const taskId = randomUUID();
    await enqueue(taskId, 'req-first', true);
    await enqueue(taskId, 'req-taker', true);
    const mine = lines.filter((l) => l[F.TASK_ID] === taskId);
    expect(mine.map((l) => [l[F.EVENT_ACTION], l[F.CORRELATION_ID], l[F.ORIGINAL_CORRELATION_ID]])).toEqual([
      [EVENTS.TASK_ENQUEUED, 'req-first', undefined],
      [EVENTS.TASK_ALREADY_ENQUEUED, 'req-taker', 'req-first'],
    ]);
    expect(mine[1]).toMatchObject({ [F.ORIGINAL_TASK_ID]: taskId, [F.IDEMPOTENCY_KEY]: 'k-1', [F.TASK_QUEUE]: 'high' });
  });
});
