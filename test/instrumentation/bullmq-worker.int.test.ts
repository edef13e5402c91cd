/**
 * The BullMQ instrumentation on its own, as a user's service would use it: a queue and a worker on
 * a real Redis, no dtq workload, the lines of one job that retries and of one that is dead-lettered.
 */
import { randomUUID } from 'node:crypto';
import { Writable } from 'node:stream';
import { type Job, Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import pino from 'pino';
import { afterAll, afterEach, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import {
  addTracedJob,
  instrumentWorker,
  jobLog,
  logTaskStarted,
  tracedProcessor,
} from '../../instrumentation/bullmq.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

const TRACEPARENT = '00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01';

let redis: TestRedis;
const closers: (() => Promise<unknown>)[] = [];

beforeAll(async () => {
  redis = await startRedis();
});

afterEach(async () => {
  for (const close of closers.splice(0).reverse()) await close();
});

afterAll(async () => {
  await redis?.close();
});

function capture() {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  return { logger: pino({ messageKey: F.MESSAGE }, sink), lines };
}

function connection(): Redis {
  const client = new Redis(redis.url, { maxRetriesPerRequest: null });
  closers.push(() => client.quit());
  return client;
}

describe('the BullMQ instrumentation', () => {
  it('logs enqueued, started, failed, retry scheduled, started and completed under the request’s ids', async () => {
    const name = `q-${randomUUID()}`;
    const { logger, lines } = capture();
    const queue = new Queue(name, { connection: connection() });
    closers.push(() => queue.close());
    const requestLogger = logger.child({ [F.CORRELATION_ID]: 'req-retry' });
    const job = await addTracedJob(
      queue,
      'report',
      { n: 1 },
      {
        attempts: 2,
        backoff: { type: 'fixed', delay: 50 },
        log: requestLogger,
        context: { correlationId: 'req-retry', traceparent: TRACEPARENT },
      },
    );
    const worker = new Worker(
      name,
      async (current: Job) => {
        logTaskStarted(jobLog(logger, current), current);
        if (current.attemptsStarted === 1) throw new Error('transient');
        return 'done';
      },
      { connection: connection() },
    );
    closers.push(() => worker.close());
    instrumentWorker(worker, { logger });

    await waitFor('the completion line', () => lines.find((line) => line[F.EVENT_ACTION] === EVENTS.TASK_COMPLETED));
    expect(lines.map((line) => line[F.EVENT_ACTION])).toEqual([
      EVENTS.TASK_ENQUEUED,
      EVENTS.TASK_STARTED,
      EVENTS.TASK_FAILED,
      EVENTS.TASK_RETRY_SCHEDULED,
      EVENTS.TASK_STARTED,
      EVENTS.TASK_COMPLETED,
    ]);
    for (const line of lines) expect(line).toMatchObject({ [F.CORRELATION_ID]: 'req-retry', [F.TASK_ID]: job.id });
    for (const line of lines.slice(1)) {
      expect(line).toMatchObject({
        [F.TASK_QUEUE]: name,
        [F.TASK_TYPE]: 'report',
        [F.TRACE_ID]: '0af7651916cd43dd8448eb211c80319c',
        [F.PARENT_ID]: 'b7ad6b7169203331',
      });
    }
    expect(lines[2]).toMatchObject({ [F.TASK_ATTEMPT]: 1, [F.ERROR_MESSAGE]: 'transient', level: 40 });
    expect(lines[3]).toMatchObject({ [F.TASK_RETRY_DELAY]: 50_000_000 });
    expect(lines[4]).toMatchObject({ [F.TASK_ATTEMPT]: 2 });
    expect(lines[4]?.[F.TASK_QUEUE_WAIT]).toBeGreaterThan(0);
    expect(lines[5]).toMatchObject({ [F.TASK_STATUS]: 'succeeded', [F.EVENT_OUTCOME]: 'success' });
  });

  it('logs task.dead_lettered only once the dead-letter hook says the job is there', async () => {
    const name = `q-${randomUUID()}`;
    const { logger, lines } = capture();
    const queue = new Queue(name, { connection: connection() });
    closers.push(() => queue.close());
    await addTracedJob(queue, 'report', {}, { attempts: 1, log: logger, context: { correlationId: 'req-dead' } });
    const moved: string[] = [];
    const worker = new Worker(
      name,
      tracedProcessor(logger, async () => {
        throw Object.assign(new Error('poison'), { code: 'APP_ERR_POISON' });
      }),
      { connection: connection() },
    );
    closers.push(() => worker.close());
    instrumentWorker(worker, {
      logger,
      deadLetter: {
        queue: 'parked',
        move: async (job) => {
          moved.push(String(job.id));
          return true;
        },
      },
    });

    const dead = await waitFor('the dead-letter line', () =>
      lines.find((line) => line[F.EVENT_ACTION] === EVENTS.TASK_DEAD_LETTERED),
    );
    expect(moved).toHaveLength(1);
    // The enqueue was logged on a logger without the id bound: the line has it once all the same.
    for (const line of lines) expect(line[F.CORRELATION_ID]).toBe('req-dead');
    expect(dead).toMatchObject({ [F.CORRELATION_ID]: 'req-dead', [F.ERROR_CODE]: 'APP_ERR_POISON', level: 50 });
    expect(dead[F.MESSAGE]).toMatch(/moved to the parked queue after 1 attempt/);
    const failed = lines.find((line) => line[F.EVENT_ACTION] === EVENTS.TASK_FAILED);
    expect(failed).toMatchObject({ level: 50, [F.TASK_MAX_ATTEMPTS]: 1 });
    expect(lines.map((line) => line[F.EVENT_ACTION])).toEqual([
      EVENTS.TASK_ENQUEUED,
      EVENTS.TASK_STARTED,
      EVENTS.TASK_FAILED,
      EVENTS.TASK_DEAD_LETTERED,
    ]);
  });
});
