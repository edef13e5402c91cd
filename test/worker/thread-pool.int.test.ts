import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import { type ComputeRequest, computeTask } from '../../workload/worker/compute.ts';
import { ThreadPool } from '../../workload/worker/thread-pool.ts';

const varRequest = (simulations: number, seed = 1): ComputeRequest => ({
  taskType: 'calculate_var',
  data: {
    portfolio_data: {
      positions: Array.from({ length: 20 }, (_, i) => ({ symbol: `S${i}`, quantity: 10, price: 100, volatility: 0.2 })),
    },
    confidence_level: 0.95,
    horizon_days: 1,
    simulations,
  },
  seed,
});

let pool: ThreadPool;
beforeAll(async () => {
  pool = new ThreadPool(1);
  await pool.ready();
});
afterAll(async () => {
  await pool.close();
});

describe('compute thread pool', () => {
  it('returns exactly what the same computation returns on the main thread', async () => {
    const request = varRequest(5000, 9);
    expect(await pool.run(request)).toEqual(computeTask(request));
  });

  it('starts queued work in priority order, FIFO within a priority', async () => {
    const order: string[] = [];
    const track = (name: string, priority: 'high' | 'medium' | 'low') =>
      pool.run(varRequest(2000), { priority }).then(() => order.push(name));
    // The first task occupies the only thread while the others queue behind it.
    const busy = pool.run(varRequest(300_000), { priority: 'low' });
    const queued = [
      track('low-1', 'low'),
      track('medium-1', 'medium'),
      track('high-1', 'high'),
      track('high-2', 'high'),
    ];
    await Promise.all([busy, ...queued]);
    expect(order).toEqual(['high-1', 'high-2', 'medium-1', 'low-1']);
  });

  it('aborting a running task rejects it with the reason and the pool keeps working', async () => {
    const controller = new AbortController();
    const running = pool.run(varRequest(1_000_000), { signal: controller.signal });
    setTimeout(() => controller.abort('lease lost'), 50);
    await expect(running).rejects.toBe('lease lost');
    expect(await pool.run(varRequest(1000))).toMatchObject({ simulations: 1000 });
  });

  it('stops a task past its time limit with DTQ_ERR_WORKER_TIME_LIMIT; a task queued behind it waits uncounted', async () => {
    const slow = pool.run(varRequest(1_000_000), { timeLimitMs: 20, timeLimitVariable: 'LIMIT_VAR' });
    // Queued behind the slow one: its own (generous) limit starts only when a thread takes it.
    const queued = pool.run(varRequest(1000), { timeLimitMs: 60_000 });
    const error = await slow.then(
      () => undefined,
      (reason: unknown) => reason,
    );
    expect(error).toBeInstanceOf(DtqError);
    expect(error).toMatchObject({ code: 'DTQ_ERR_WORKER_TIME_LIMIT' });
    expect((error as Error).message).toMatch(
      /calculate_var computation ran past its time limit of 20 ms \(LIMIT_VAR\)/,
    );
    expect(await queued).toMatchObject({ simulations: 1000 });
  });

  it('carries a risk error across the thread boundary with its code', async () => {
    const request: ComputeRequest = {
      taskType: 'calculate_var',
      data: {
        portfolio_data: {
          positions: [
            { symbol: 'A', quantity: 1, price: 1, volatility: 0.2 },
            { symbol: 'B', quantity: 1, price: 1, volatility: 0.2 },
            { symbol: 'C', quantity: 1, price: 1, volatility: 0.2 },
          ],
          correlations: [
            [1, 0.9, -0.9],
            [0.9, 1, 0.9],
            [-0.9, 0.9, 1],
          ],
        },
        confidence_level: 0.95,
        horizon_days: 1,
        simulations: 1000,
      },
      seed: 1,
    };
    const error = await pool.run(request).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(DtqError);
    expect((error as DtqError).code).toBe('DTQ_ERR_RISK_MATRIX_NOT_PSD');
  });
});
