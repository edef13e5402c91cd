/**
 * Jobs that would hold or fool a real worker: a computation past its time limit is stopped
 * (its thread terminated and replaced), fails once with its own code and no retry, and the
 * pool serves the next job; stress-test symbols named like Object.prototype's members are
 * revalued with the market shock, not with what the prototype holds.
 */
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_QUEUE, type DeadLetterJobData, queuePrefix } from '../../workload/queue/contract.ts';
import { DEFAULT_WORK_BUDGET, workCost } from '../../workload/tasks/work-cost.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, createProducer, type Harness, lineOf, taskLines, withAction } from './worker-harness.ts';

let redis: TestRedis;
let harness: Harness;
let producer: ReturnType<typeof createProducer>;
let deadLetter: Queue<DeadLetterJobData>;

beforeAll(async () => {
  redis = await startRedis();
  harness = createHarness(redis.url);
  producer = createProducer(redis.url);
  deadLetter = new Queue<DeadLetterJobData>(DEAD_LETTER_QUEUE, {
    connection: { url: redis.url },
    prefix: queuePrefix(DEAD_LETTER_QUEUE),
  });
  // 1 ms for a VaR: no machine computes the job below that fast, whatever its load.
  await harness.spawnWorker('worker-1', { DTQ_JOB_TIME_LIMIT_MS_CALCULATE_VAR: '1' });
});

afterAll(async () => {
  await producer.close();
  await deadLetter.close();
  await harness.cleanup();
  await redis.close();
});

describe('hostile jobs', () => {
  it('stops a computation past its time limit: failed once with its own code, the pool serves the next job', async () => {
    // 500 positions × 10⁶ simulations: 10⁹ steps, within the API's budget, minutes of no one's time here.
    const data = {
      portfolio_data: {
        portfolio_id: 'too-slow',
        positions: Array.from({ length: 500 }, (_, i) => ({
          symbol: `S${i}`,
          quantity: 10,
          price: 100,
          volatility: 0.2,
        })),
      },
      confidence_level: 0.95,
      horizon_days: 1,
      simulations: 1_000_000,
      seed: 7,
    };
    expect(workCost('calculate_var', data)).toBeLessThanOrEqual(DEFAULT_WORK_BUDGET);
    const slow = await producer.enqueue('calculate_var', data, { attempts: 3 });
    const { job, state } = await producer.finished(slow.priority, slow.taskId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/time limit of 1 ms \(DTQ_JOB_TIME_LIMIT_MS_CALCULATE_VAR\)/);
    await lineOf(harness, slow.taskId, 'task.dead_lettered');
    const lines = taskLines(harness.lines(), slow.taskId);
    expect(withAction(lines, 'task.started')).toHaveLength(1);
    expect(withAction(lines, 'task.retry_scheduled')).toHaveLength(0);
    expect(withAction(lines, 'task.failed')[0]).toMatchObject({
      correlation_id: slow.correlationId,
      task_id: slow.taskId,
      'task.type': 'calculate_var',
      'error.code': 'DTQ_ERR_WORKER_TIME_LIMIT',
    });
    const dead = await waitFor('the dead letter', () => deadLetter.getJob(slow.taskId));
    expect(dead.data.error_code).toBe('DTQ_ERR_WORKER_TIME_LIMIT');

    // The pool replaced the stopped thread: the next job runs on it and succeeds.
    const next = await producer.enqueue('monte_carlo_pricing', {
      spot: 100,
      strike: 100,
      rate: 0,
      volatility: 0.2,
      maturity: 1,
      option_type: 'call',
      simulations: 2000,
      seed: 1,
    });
    const after = await producer.finished(next.priority, next.taskId);
    expect(after.state).toBe('completed');
    expect(after.job.returnvalue).toMatchObject({ status: 'computed' });
  });

  it('revalues symbols named constructor, toString and __proto__ with the market shock', async () => {
    const symbols = ['constructor', 'toString', '__proto__', 'hasOwnProperty'];
    const task = await producer.enqueue('stress_test', {
      portfolio_data: {
        portfolio_id: 'prototype-names',
        positions: symbols.map((symbol) => ({ symbol, quantity: 10, price: 100, volatility: 0.2 })),
      },
      scenarios: [
        { name: 'market', market_shock: -0.1 },
        { name: 'one own shock', market_shock: 0, shocks: { toString: -0.5 } },
      ],
    });
    const { job, state } = await producer.finished(task.priority, task.taskId);
    expect(state).toBe('completed');
    const result = (job.returnvalue as { result: { scenarios: { name: string; pnl: number }[] } }).result;
    expect(result.scenarios).toEqual([
      expect.objectContaining({ name: 'market', pnl: -400 }),
      expect.objectContaining({ name: 'one own shock', pnl: -500 }),
    ]);
  });
});
