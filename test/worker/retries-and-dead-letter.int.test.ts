import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DEAD_LETTER_QUEUE, type DeadLetterJobData, queuePrefix } from '../../workload/queue/contract.ts';
import { waitFor } from '../utils/wait.ts';
import { lineOf, taskLines, varData, withAction, workerTestbed } from './worker-harness.ts';

const bed = workerTestbed({ workers: ['worker-1'] });
let deadLetter: Queue<DeadLetterJobData>;

beforeAll(() => {
  deadLetter = new Queue<DeadLetterJobData>(DEAD_LETTER_QUEUE, {
    connection: { url: bed.redis.url },
    prefix: queuePrefix(DEAD_LETTER_QUEUE),
  });
});
afterAll(async () => {
  await deadLetter.close();
});

async function settled(priority: 'high' | 'medium' | 'low', taskId: string) {
  const outcome = await bed.producer.finished(priority, taskId);
  await lineOf(bed.harness, taskId, outcome.state === 'completed' ? 'task.completed' : 'task.dead_lettered');
  return outcome;
}

describe('retries, poison and dead letters', () => {
  it('retries a transient fault with growing jittered backoff, then succeeds, all under one correlation id', async () => {
    const task = await bed.producer.enqueue('calculate_var', varData('retry-book', { fault: { fail_attempts: 2 } }), {
      backoffMs: 300,
    });
    const { job, state } = await settled(task.priority, task.taskId);
    expect(state).toBe('completed');
    expect(job?.returnvalue).toMatchObject({ status: 'computed' });
    const lines = taskLines(bed.harness.lines(), task.taskId);
    expect(lines.every((l) => l.correlation_id === task.correlationId)).toBe(true);
    expect(withAction(lines, 'task.started').map((l) => l['task.attempt'])).toEqual([1, 2, 3]);
    const failures = withAction(lines, 'task.failed');
    expect(failures.map((l) => l['error.code'])).toEqual([
      'DTQ_ERR_WORKER_FAULT_TRANSIENT',
      'DTQ_ERR_WORKER_FAULT_TRANSIENT',
    ]);
    const delays = withAction(lines, 'task.retry_scheduled').map((l) => Number(l['task.retry_delay']) / 1e6);
    expect(delays).toHaveLength(2);
    // Exponential with 50% jitter: attempt n waits between 0.5 and 1 × 300·2^(n−1) ms.
    expect(delays[0]).toBeGreaterThanOrEqual(150);
    expect(delays[0]).toBeLessThanOrEqual(300);
    expect(delays[1]).toBeGreaterThanOrEqual(300);
    expect(delays[1]).toBeLessThanOrEqual(600);
    expect(withAction(lines, 'task.completed')).toHaveLength(1);
    expect(withAction(lines, 'task.dead_lettered')).toHaveLength(0);
  });

  it('fails a poison job at once, without retry, and dead-letters it with its correlation id', async () => {
    const task = await bed.producer.enqueue('calculate_var', varData('poison-book', { fault: { poison: true } }));
    const { job, state } = await settled(task.priority, task.taskId);
    expect(state).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
    const lines = taskLines(bed.harness.lines(), task.taskId);
    expect(withAction(lines, 'task.started')).toHaveLength(1);
    expect(withAction(lines, 'task.retry_scheduled')).toHaveLength(0);
    expect(withAction(lines, 'task.dead_lettered')[0]).toMatchObject({
      correlation_id: task.correlationId,
      'error.code': 'DTQ_ERR_WORKER_FAULT_POISON',
    });
    const dead = await waitFor('the dead letter', () => deadLetter.getJob(task.taskId));
    expect(dead.data).toMatchObject({
      correlation_id: task.correlationId,
      original_task_id: task.taskId,
      original_queue: 'medium',
      attempts: 1,
      error_code: 'DTQ_ERR_WORKER_FAULT_POISON',
    });
  });

  it('treats invalid task data as poison and names the field', async () => {
    const data = varData('bad-book');
    (data.portfolio_data as { positions: { quantity: number }[] }).positions[0] = { quantity: -5 } as never;
    const task = await bed.producer.enqueue('calculate_var', data);
    const { job, state } = await settled(task.priority, task.taskId);
    expect(state).toBe('failed');
    expect(job?.attemptsMade).toBe(1);
    expect(job?.failedReason).toMatch(/data\.portfolio_data\.positions\[0\]/);
    const dead = await waitFor('the dead letter', () => deadLetter.getJob(task.taskId));
    expect(dead.data.error_code).toBe('DTQ_ERR_WORKER_INVALID_DATA');
  });

  it('fails inconsistent correlations (not positive semi-definite) at once with the risk error code', async () => {
    const data = {
      portfolio_data: {
        positions: ['A', 'B', 'C'].map((symbol) => ({ symbol, quantity: 1, price: 100 })),
        correlations: [
          [1, 0.9, -0.9],
          [0.9, 1, 0.9],
          [-0.9, 0.9, 1],
        ],
      },
    };
    const task = await bed.producer.enqueue('calculate_var', data);
    const { job, state } = await settled(task.priority, task.taskId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    const dead = await waitFor('the dead letter', () => deadLetter.getJob(task.taskId));
    expect(dead.data.error_code).toBe('DTQ_ERR_RISK_MATRIX_NOT_PSD');
  });

  it('treats an unknown task type as poison', async () => {
    const task = await bed.producer.enqueue('no_such_task' as never, { anything: 1 });
    const { job, state } = await settled(task.priority, task.taskId);
    expect(state).toBe('failed');
    expect(job.attemptsMade).toBe(1);
    expect(job.failedReason).toMatch(/task_type must be one of calculate_var/);
  });

  it('dead-letters a job that exhausts its attempts, keeping the correlation id', async () => {
    const task = await bed.producer.enqueue(
      'monte_carlo_pricing',
      {
        spot: 100,
        strike: 100,
        volatility: 0.2,
        maturity: 1,
        simulations: 1000,
        fault: { fail_attempts: 10 },
      },
      { attempts: 3, backoffMs: 50, priority: 'low' },
    );
    const { state } = await settled(task.priority, task.taskId);
    expect(state).toBe('failed');
    const lines = taskLines(bed.harness.lines(), task.taskId);
    expect(withAction(lines, 'task.started')).toHaveLength(3);
    expect(withAction(lines, 'task.retry_scheduled')).toHaveLength(2);
    expect(withAction(lines, 'task.dead_lettered')).toHaveLength(1);
    const dead = await waitFor('the dead letter', () => deadLetter.getJob(task.taskId));
    expect(dead.data).toMatchObject({
      correlation_id: task.correlationId,
      original_queue: 'low',
      attempts: 3,
      error_code: 'DTQ_ERR_WORKER_FAULT_TRANSIENT',
      task_type: 'monte_carlo_pricing',
    });
  });
});
