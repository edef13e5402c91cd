/**
 * A dtq worker process: consumes the `high`, `medium` and `low` queues with more concurrency
 * for `high` (priority by capacity), runs the math on a pool of compute threads, and stops
 * gracefully on SIGTERM/SIGINT. Environment: see config.ts and docs/worker.md.
 *
 *   DTQ_INSTANCE=worker-1 DTQ_REDIS_URL=redis://127.0.0.1:6379 node workload/worker/main.ts
 */
import { Queue, Worker } from 'bullmq';
import { ConfigError } from '../../contract/env.ts';
import { EVENTS, F, PRIORITIES } from '../../contract/vocabulary.ts';
import { createLogger, errorFields, logEvent } from '../../instrumentation/logger.ts';
import { startMetricsServer } from '../../instrumentation/metrics.ts';
import { QUEUE_NAMES, queuePrefix, type TaskJobData } from '../queue/contract.ts';
import { createRedisClient } from '../queue/redis-client.ts';
import { explainRedisError } from '../queue/redis-target.ts';
import { watchClusterTls } from '../queue/redis-tls-probe.ts';
import { watchForClusterNode } from '../queue/redis-topology.ts';
import { RunningAttempts } from './attempts.ts';
import { loadWorkerConfig } from './config.ts';
import { watchFreezes } from './freeze-watch.ts';
import { attachLifecycleEvents, openDeadLetterQueue } from './lifecycle-events.ts';
import { createWorkerMetrics } from './metrics.ts';
import type { TaskOutcome } from './outcome.ts';
import { createProcessor, SHUTDOWN_REASON } from './processor.ts';
import { ThreadPool } from './thread-pool.ts';

/** Reconnect quickly (≤ 1 s apart) so a restarted Redis is noticed within about a second. */
const retryStrategy = (times: number): number => Math.min(times * 100, 1000);

const config = (() => {
  try {
    return loadWorkerConfig();
  } catch (error) {
    // A bad variable is a setup mistake: say which one and stop, without a stack trace.
    console.error(error instanceof ConfigError ? error.message : error);
    process.exit(1);
  }
})();
const logger = createLogger({ service: 'worker', instance: config.instance, logDir: config.logDir });

// BullMQ's connection must retry commands forever (maxRetriesPerRequest: null); locks and
// results use their own connection that fails fast, so a lock call never hangs a job.
const bullConnection = createRedisClient(config.redisTarget, { maxRetriesPerRequest: null, retryStrategy });
const redis = createRedisClient(config.redisTarget, { maxRetriesPerRequest: 1, retryStrategy, connectTimeout: 1000 });
let redisDown = false;
for (const connection of [bullConnection, redis]) {
  connection.on('error', (error) => {
    if (redisDown) return;
    redisDown = true;
    logEvent(
      logger,
      'warn',
      EVENTS.DEPENDENCY_UNAVAILABLE,
      { [F.DEPENDENCY_NAME]: 'redis', ...errorFields(error) },
      `Redis unreachable: ${explainRedisError(config.redisTarget, error.message)}`,
    );
  });
  connection.on('ready', () => {
    if (!redisDown) return;
    redisDown = false;
    logEvent(logger, 'info', EVENTS.DEPENDENCY_RECOVERED, { [F.DEPENDENCY_NAME]: 'redis' }, 'Redis reachable again');
  });
}

// A TLS cluster hides a refused certificate behind "Failed to refresh slots cache": say it.
watchClusterTls(redis, config.redisTarget, (reason) =>
  logEvent(
    logger,
    'warn',
    EVENTS.DEPENDENCY_UNAVAILABLE,
    { [F.DEPENDENCY_NAME]: 'redis' },
    `Redis unreachable: ${reason}`,
  ),
);

const pool = new ThreadPool(config.threads);
const running = new Map<string, AbortController>();
const attempts = new RunningAttempts();
let stopping = false;

// A URL that leads to a Redis Cluster node is a setup mistake like a bad variable: every job
// would fail with MOVED. A worker has no HTTP answer to explain it in, so it says so and stops.
watchForClusterNode(redis, config.redisTarget, (error) => {
  logEvent(
    logger,
    'fatal',
    EVENTS.DEPENDENCY_UNAVAILABLE,
    { [F.DEPENDENCY_NAME]: 'redis', ...errorFields(error) },
    error.message,
  );
  stopping = true;
  exit(1, 'warn', `worker ${config.instance} stopped: ${error.code}`);
});
const metrics = createWorkerMetrics(config.instance, () => running.size);
const processor = createProcessor({
  config,
  logger,
  redis,
  pool,
  running,
  attempts,
  stopping: () => stopping,
  metrics,
});
// A stand-still of half the shorter lease puts the leases of running attempts at risk: worth a line on each.
watchFreezes({
  thresholdMs: Math.min(config.lockTtlMs, config.jobLockMs) / 2,
  onResumed: (pausedMs) => attempts.resumed(pausedMs),
});
const deadLetter = openDeadLetterQueue(bullConnection);
const producers = new Map<string, Queue<TaskJobData>>();
const queueFor = (name: string): Queue<TaskJobData> => {
  let queue = producers.get(name);
  if (queue === undefined) {
    queue = new Queue<TaskJobData>(name, { connection: bullConnection, prefix: queuePrefix(name) });
    queue.on('error', () => {});
    producers.set(name, queue);
  }
  return queue;
};
const workers: Worker<TaskJobData, TaskOutcome>[] = [];

/**
 * How long, after the grace period, handing jobs back and closing may take before the process
 * exits anyway. BullMQ's close waits on Redis with no limit of its own, so without this bound a
 * worker whose Redis died during SIGTERM never exited. A job it could not hand back is still safe:
 * its BullMQ job lock expires and the stalled-job check of another worker redelivers it.
 */
const HAND_BACK_MS = 5_000;

async function shutdown(signal: string): Promise<void> {
  if (stopping) return;
  stopping = true;
  logEvent(
    logger,
    'info',
    EVENTS.SERVICE_STOPPING,
    {},
    `${signal}: no new jobs; ${running.size} running job(s) get ${config.shutdownGraceMs} ms to finish`,
  );
  const deadline = setTimeout(() => {
    for (const controller of running.values()) controller.abort(SHUTDOWN_REASON);
  }, config.shutdownGraceMs);
  const hardStop = setTimeout(
    () =>
      exit(
        1,
        'warn',
        `worker ${config.instance} stopped without finishing its shutdown (Redis unreachable?): ${running.size} job(s) not handed back are left to the stalled-job check`,
      ),
    config.shutdownGraceMs + HAND_BACK_MS,
  );
  await Promise.all(workers.map((worker) => worker.close())).catch(() => undefined);
  clearTimeout(deadline);
  await Promise.all([...producers.values(), deadLetter].map((queue) => queue.close().catch(() => undefined)));
  await pool.close();
  clearTimeout(hardStop);
  exit(0, 'info', `worker ${config.instance} stopped`);
}

let exiting = false;
function exit(code: number, level: 'info' | 'warn', message: string): void {
  if (exiting) return;
  exiting = true;
  redis.disconnect();
  bullConnection.disconnect();
  logEvent(logger, level, EVENTS.SERVICE_STOPPED, {}, message);
  logger.flush();
  // A moment for stdout's asynchronous stream; the NDJSON file is written synchronously.
  setTimeout(() => process.exit(code), 50);
}

// Registered before the threads load, so a SIGTERM during start-up is a clean stop as well.
process.once('SIGTERM', () => void shutdown('SIGTERM'));
process.once('SIGINT', () => void shutdown('SIGINT'));

// Take jobs only once the threads can run them, so service.started means ready.
await pool.ready();
if (config.metrics !== undefined) {
  // A port that cannot be bound is a setup mistake like a bad variable: say so and stop.
  const listen = config.metrics;
  await startMetricsServer(metrics.registry, listen, logger).catch((error: unknown) => {
    stopping = true;
    exit(
      1,
      'warn',
      `worker ${config.instance} could not serve metrics on ${listen.host}:${listen.port}: ${String(error)}`,
    );
  });
}
if (!stopping) {
  for (const priority of PRIORITIES) {
    const worker = new Worker<TaskJobData, TaskOutcome>(QUEUE_NAMES[priority], processor, {
      connection: bullConnection,
      prefix: queuePrefix(QUEUE_NAMES[priority]),
      name: config.instance,
      concurrency: config.concurrency[priority],
      lockDuration: config.jobLockMs,
      stalledInterval: config.stalledIntervalMs,
      maxStalledCount: config.maxStalledCount,
    });
    attachLifecycleEvents(worker, {
      logger,
      redis,
      deadLetter,
      deadLetterRetention: config.deadLetters,
      queueFor,
      attempts,
      metrics,
    });
    workers.push(worker);
  }
  logEvent(
    logger,
    'info',
    EVENTS.SERVICE_STARTED,
    {},
    `worker ${config.instance} consuming ${PRIORITIES.map((p) => `${QUEUE_NAMES[p]}×${config.concurrency[p]}`).join(', ')} on ${config.threads} compute thread(s)${config.faults ? ', fault injection on' : ''}`,
  );
}
