/**
 * What the producer's enqueue costs, raced against one bare Redis round trip in the same run:
 * `TaskQueue.enqueue` (workload/queue/task-queue.ts: BullMQ's `Queue.add` of a task, its
 * `addStandardJob` Lua script, and the `task.enqueued` line written to an NDJSON file) against
 * a `SET` of the same job data on a connection opened with the same options. This is the
 * work a POST /api/v1/tasks does that GET /noop does not, beside validation; the `api` scenario
 * measures the whole request through nginx.
 *
 * Runnable through `npm run bench -- enqueue`.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Redis } from 'ioredis';
import { F } from '../contract/vocabulary.ts';
import { createLogger } from '../instrumentation/logger.ts';
import { startRedis } from '../test/utils/redis-server.ts';
import { waitFor } from '../test/utils/wait.ts';
import { round } from '../workload/load/stats.ts';
import { createProducerRedis } from '../workload/queue/redis-connection.ts';
import { createTaskQueue, type EnqueueRequest, newTaskId } from '../workload/queue/task-queue.ts';
import type { BenchReport } from './run.ts';

/** Operations kept in flight at once (about what one of the stack's three APIs has under the api scenario). */
const CONCURRENCY = Number(process.env.DTQ_BENCH_ENQUEUE_CONCURRENCY ?? 10);
/** Seconds measured per variant and round. */
const DURATION_S = Number(process.env.DTQ_BENCH_ENQUEUE_DURATION_S ?? 3);
/** Rounds; the variants alternate so load elsewhere on the machine hits both alike. */
const ROUNDS = Number(process.env.DTQ_BENCH_ENQUEUE_ROUNDS ?? 4);
/** Seconds of warm-up per variant, not measured. */
const WARMUP_S = 1;

/** Distinct keys the SET baseline cycles through. */
const SET_KEYS = 1024;

/** The design notes' example task, as the API enqueues it. */
const DATA = { portfolio_data: { positions: [{ symbol: 'AAPL', quantity: 100, price: 150.0 }] } };

interface Measured {
  operations: number;
  seconds: number;
  /** CPU µs this process spent (process.cpuUsage: the client side of every operation). */
  clientCpuUs: number;
  /** CPU µs Redis spent (INFO cpu). */
  redisCpuUs: number;
  errors: number;
}

/** CPU µs Redis has used so far (INFO cpu). */
async function redisCpuUs(redis: Redis): Promise<number> {
  const info = await redis.info('cpu');
  const value = (name: string) => Number(new RegExp(`^${name}:([0-9.]+)`, 'm').exec(info)?.[1] ?? 0);
  return (value('used_cpu_user') + value('used_cpu_sys')) * 1e6;
}

async function closedLoop(
  operation: () => Promise<unknown>,
  seconds: number,
): Promise<{ ops: number; errors: number }> {
  const end = performance.now() + seconds * 1000;
  let ops = 0;
  let errors = 0;
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (performance.now() < end) {
        try {
          await operation();
        } catch {
          errors++;
        }
        ops++;
      }
    }),
  );
  return { ops, errors };
}

/** Run both variants and return their figures. */
export async function run(): Promise<BenchReport> {
  // The stack's Redis keeps an append-only file; so does this one, since every write pays for it.
  const server = await startRedis({ appendonly: true });
  const logDir = mkdtempSync(join(tmpdir(), 'dtq-bench-enqueue-'));
  const logger = createLogger({ service: 'api', instance: 'bench-enqueue', logDir, stdout: false });
  const queue = createTaskQueue({ redis: server.url, logger });
  const plain = createProducerRedis(server.url, logger);
  const meter = new Redis(server.url);
  const log = logger.child({ [F.CORRELATION_ID]: 'bench-enqueue' });
  const request = (): EnqueueRequest => ({
    taskId: newTaskId(),
    taskType: 'calculate_var',
    data: DATA,
    priority: 'high',
    correlationId: 'bench-enqueue',
  });
  let sets = 0;
  const variants = [
    {
      name: 'SET of the job data (one round trip, baseline)',
      // A few keys written over and over: Redis's memory stays flat however long the loop runs.
      operation: () =>
        plain.client.set(`bench:set:${sets++ % SET_KEYS}`, JSON.stringify({ ...DATA, enqueued_at: Date.now() })),
    },
    {
      name: 'TaskQueue.enqueue (BullMQ Queue.add + task.enqueued line)',
      operation: () => queue.enqueue(request(), log),
    },
  ].map((v) => ({ ...v, m: { operations: 0, seconds: 0, clientCpuUs: 0, redisCpuUs: 0, errors: 0 } as Measured }));
  try {
    await waitFor('the bench connections to Redis', () => queue.isAvailable() && plain.isAvailable(), {
      timeoutMs: 10_000,
    });
    for (const v of variants) await closedLoop(v.operation, WARMUP_S);
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of variants) {
        const [cpu0, redis0, t0] = [process.cpuUsage(), await redisCpuUs(meter), performance.now()];
        const { ops, errors } = await closedLoop(v.operation, DURATION_S);
        const seconds = (performance.now() - t0) / 1000;
        const cpu = process.cpuUsage(cpu0);
        v.m.redisCpuUs += (await redisCpuUs(meter)) - redis0;
        v.m.clientCpuUs += cpu.user + cpu.system;
        v.m.operations += ops;
        v.m.errors += errors;
        v.m.seconds += seconds;
      }
    }
  } finally {
    meter.disconnect();
    await plain.close();
    await queue.close();
    await server.close();
    rmSync(logDir, { recursive: true, force: true });
  }
  const [baseline, enqueue] = variants as [(typeof variants)[number], (typeof variants)[number]];
  const perOp = (m: Measured) => (m.clientCpuUs + m.redisCpuUs) / m.operations;
  const row = (v: (typeof variants)[number]) => ({
    name: `${v.name}: CPU per operation (this process + Redis)`,
    value: round(perOp(v.m), 1),
    unit: 'µs',
    extra: {
      client_us: round(v.m.clientCpuUs / v.m.operations, 1),
      redis_us: round(v.m.redisCpuUs / v.m.operations, 1),
      ops_per_s: round(v.m.operations / v.m.seconds, 0),
      operations: v.m.operations,
      errors: v.m.errors,
    },
  });
  return {
    title: "The producer's enqueue against one Redis round trip",
    rows: [
      row(baseline),
      {
        ...row(enqueue),
        baseline: { name: 'SET', value: round(perOp(baseline.m), 1) },
        // Higher is costlier here: the ratio says how many bare round trips one enqueue costs.
        ratio: round(perOp(enqueue.m) / perOp(baseline.m), 3),
      },
    ],
    notes: [
      `Closed loop in this process: ${CONCURRENCY} operations in flight on one connection each variant, ${ROUNDS} alternating rounds of ${DURATION_S} s after ${WARMUP_S} s of warm-up; Redis on loopback TCP with an append-only file (the stack's APIs reach it over a Unix socket).`,
      "CPU: this process's user + system time (process.cpuUsage) and Redis's (INFO cpu) over the measured rounds, per operation. Both connections are the API's fail-fast producer connections (workload/queue/redis-connection.ts).",
      "The enqueue's task.enqueued line goes to an NDJSON file, as the API's does; the SET's data is the job data BullMQ stores, without BullMQ's fields, options and events.",
    ],
  };
}
