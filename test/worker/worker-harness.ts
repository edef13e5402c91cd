/**
 * Test harness for worker processes: spawn real `node workload/worker/main.ts` children against
 * a test Redis, enqueue jobs with BullMQ directly, and read the NDJSON lines they write.
 * workerTestbed() registers the hooks a worker test file needs around all of that (not named
 * use…: Biome's React rules would take a module-level call of it for a misplaced hook).
 */
import { type ChildProcess, spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { type JobsOptions, Queue } from 'bullmq';
import { Redis } from 'ioredis';
import { afterAll, afterEach, beforeAll, beforeEach } from 'vitest';
import type { Priority, TaskType } from '../../contract/vocabulary.ts';
import { queuePrefix, type TaskJobData } from '../../workload/queue/contract.ts';
import { createRedisClient } from '../../workload/queue/redis-client.ts';
import type { RedisTarget } from '../../workload/queue/redis-target.ts';
import type { RedisMonitor } from '../utils/redis-monitor.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import { duplicateKeys } from './duplicate-keys.ts';

const MAIN = fileURLToPath(new URL('../../workload/worker/main.ts', import.meta.url));

/**
 * Settings that make stalls, leases and retries happen within seconds in tests, yet leave a
 * busy 2-core machine (load average 20 was seen) a few seconds of slack before a healthy
 * worker's locks would expire.
 */
export const FAST_ENV: Record<string, string> = {
  DTQ_FAULTS: '1',
  DTQ_JOB_LOCK_MS: '4000',
  DTQ_STALLED_INTERVAL_MS: '1000',
  DTQ_LOCK_TTL_MS: '3000',
  DTQ_LOCK_WAIT_MS: '30000',
  DTQ_WORKER_THREADS: '1',
  DTQ_LOG_STDOUT: '0',
};

/** A spawned worker process. */
export interface WorkerProcess {
  readonly instance: string;
  readonly child: ChildProcess;
  readonly exited: Promise<number | null>;
  signal(name: NodeJS.Signals): void;
}

/** A log directory and the worker processes writing to it. */
export interface Harness {
  readonly logDir: string;
  spawnWorker(instance: string, env?: Record<string, string>): Promise<WorkerProcess>;
  lines(): LogLine[];
  /** Lines read so far that name a key twice (Elasticsearch would refuse them), with the keys. */
  linesWithDuplicateKeys(): { line: string; keys: string[] }[];
  /** Kill the workers and remove the logs; throws if any line had a duplicate key. */
  cleanup(): Promise<void>;
}

/** One parsed log line. */
export type LogLine = Record<string, unknown>;

/**
 * Create a harness for workers connected to `redis`: a URL, or the variables that name another
 * kind of Redis (DTQ_REDIS_CLUSTER_NODES, or DTQ_REDIS_SENTINELS + DTQ_REDIS_SENTINEL_MASTER).
 */
export function createHarness(redis: string | Record<string, string>): Harness {
  const redisEnv = typeof redis === 'string' ? { DTQ_REDIS_URL: redis } : redis;
  const logDir = mkdtempSync(join(tmpdir(), 'dtq-worker-logs-'));
  const processes: WorkerProcess[] = [];
  const duplicated = new Map<string, string[]>();
  const rawLines = (): string[] => {
    if (!existsSync(logDir)) return [];
    return readdirSync(logDir)
      .filter((file) => file.endsWith('.ndjson'))
      .flatMap((file) =>
        readFileSync(join(logDir, file), 'utf8')
          .split('\n')
          .filter((line) => line.trim() !== ''),
      );
  };
  const lines = (): LogLine[] =>
    rawLines().map((line) => {
      // JSON.parse hides a key written twice; every worker test checks for it through here.
      const keys = duplicateKeys(line);
      if (keys.length > 0) duplicated.set(line, keys);
      return JSON.parse(line) as LogLine;
    });
  const linesWithDuplicateKeys = () => {
    lines();
    return [...duplicated].map(([line, keys]) => ({ line, keys }));
  };
  return {
    logDir,
    lines,
    linesWithDuplicateKeys,
    async spawnWorker(instance, env = {}) {
      const {
        DTQ_REDIS_URL: _url,
        DTQ_REDIS_CLUSTER_NODES: _nodes,
        DTQ_REDIS_SENTINELS: _s,
        ...inherited
      } = process.env;
      const child = spawn(process.execPath, [MAIN], {
        env: {
          ...inherited,
          ...FAST_ENV,
          ...env,
          ...redisEnv,
          DTQ_INSTANCE: instance,
          DTQ_LOG_DIR: logDir,
        },
        stdio: ['ignore', 'ignore', 'pipe'],
      });
      let stderr = '';
      child.stderr?.on('data', (chunk) => {
        stderr += String(chunk);
      });
      const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
      const worker: WorkerProcess = {
        instance,
        child,
        exited,
        signal: (name) => {
          if (child.exitCode === null && child.signalCode === null) child.kill(name);
        },
      };
      processes.push(worker);
      await waitFor(
        `${instance} to start`,
        () => {
          if (child.exitCode !== null) throw new Error(`${instance} exited early: ${stderr}`);
          return lines().some((l) => l['service.instance'] === instance && l['event.action'] === 'service.started');
        },
        { timeoutMs: 90_000 },
      );
      return worker;
    },
    async cleanup() {
      for (const worker of processes) {
        worker.child.kill('SIGCONT');
        worker.signal('SIGKILL');
      }
      await Promise.all(processes.map((worker) => worker.exited));
      const bad = linesWithDuplicateKeys();
      rmSync(logDir, { recursive: true, force: true });
      if (bad.length > 0) {
        throw new Error(
          `${bad.length} worker line(s) have a duplicate key, which Elasticsearch refuses; first: ${bad[0]?.keys.join(', ')} in ${bad[0]?.line}`,
        );
      }
    },
  };
}

/** A producer on the three task queues, made by {@link createProducer}. */
export type Producer = ReturnType<typeof createProducer>;

/** A producer on the three task queues, as the API would enqueue (same job options). */
export function createProducer(redis: RedisTarget | string) {
  const connection = createRedisClient(redis, { maxRetriesPerRequest: null });
  connection.on('error', () => {});
  const queues = new Map<string, Queue<TaskJobData>>();
  const queue = (name: string): Queue<TaskJobData> => {
    let q = queues.get(name);
    if (q === undefined) {
      q = new Queue<TaskJobData>(name, {
        connection,
        prefix: queuePrefix(name),
      });
      q.on('error', () => {});
      queues.set(name, q);
    }
    return q;
  };
  return {
    queue,
    /** Enqueue a task; returns its task id and correlation id. */
    async enqueue(
      taskType: TaskType,
      data: Record<string, unknown>,
      options: { priority?: Priority; attempts?: number; backoffMs?: number; correlationId?: string } = {},
    ) {
      const taskId = randomUUID();
      const correlationId = options.correlationId ?? `TEST-${randomUUID()}`;
      const priority = options.priority ?? 'medium';
      const jobOptions: JobsOptions = {
        jobId: taskId,
        attempts: options.attempts ?? 3,
        backoff: { type: 'exponential', delay: options.backoffMs ?? 200, jitter: 0.5 },
      };
      await queue(priority).add(
        taskType,
        { task_type: taskType, data, priority, correlation_id: correlationId, enqueued_at: Date.now() },
        jobOptions,
      );
      return { taskId, correlationId, priority };
    },
    /**
     * Wait until the task is in one of `states`, then read the job afresh: a job fetched before
     * its state was checked could predate the move (no return value, old attempt counts).
     */
    async finished(priority: Priority, taskId: string, states: string[] = ['completed', 'failed'], timeoutMs = 60_000) {
      const state = await waitFor(
        `task ${taskId} to be ${states.join(' or ')}`,
        async () => {
          const current = await queue(priority).getJobState(taskId);
          return states.includes(current) ? current : undefined;
        },
        { timeoutMs, intervalMs: 100 },
      );
      const job = await queue(priority).getJob(taskId);
      if (job === undefined) throw new Error(`task ${taskId} vanished`);
      return { job, state };
    },
    async close() {
      await Promise.all([...queues.values()].map((q) => q.close()));
      connection.disconnect();
    },
  };
}

/** A small calculate_var payload on its own portfolio. */
export function varData(portfolioId: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    portfolio_data: {
      portfolio_id: portfolioId,
      positions: [
        { symbol: 'AAPL', quantity: 100, price: 150 },
        { symbol: 'MSFT', quantity: 50, price: 300, volatility: 0.25 },
      ],
    },
    simulations: 2000,
    ...extra,
  };
}

/** Lines of one task, in the order each process wrote them (event.sequence within a process). */
export function taskLines(lines: LogLine[], taskId: string): LogLine[] {
  return lines
    .filter((l) => l.task_id === taskId)
    .sort(
      (a, b) =>
        String(a['@timestamp']).localeCompare(String(b['@timestamp'])) ||
        Number(a['event.sequence']) - Number(b['event.sequence']),
    );
}

/** Wait until the harness's logs hold a line of `taskId` with `action` (lines follow BullMQ's moves). */
export async function lineOf(harness: Harness, taskId: string, action: string, timeoutMs = 30_000): Promise<LogLine> {
  return waitFor(
    `${action} of task ${taskId} in the logs`,
    () => harness.lines().find((l) => l.task_id === taskId && l['event.action'] === action),
    { timeoutMs },
  );
}

/** Lines with a given event.action. */
export function withAction(lines: LogLine[], action: string): LogLine[] {
  return lines.filter((l) => l['event.action'] === action);
}

const ms = (line: LogLine | undefined) => Date.parse(String(line?.['@timestamp']));

/** Critical sections [acquired, released or lost] of a resource, from the lock lines, by fencing token. */
export function criticalSections(lines: LogLine[], resource: string) {
  const mine = lines.filter((l) => l['lock.resource'] === resource);
  return withAction(mine, 'lock.acquired')
    .map((acquired) => {
      const fence = acquired['lock.fencing_token'];
      const end = mine.find(
        (l) =>
          (l['event.action'] === 'lock.released' || l['event.action'] === 'lock.lost') &&
          l['lock.fencing_token'] === fence,
      );
      return { fence: Number(fence), task: String(acquired.task_id), enter: ms(acquired), exit: ms(end) };
    })
    .sort((a, b) => a.fence - b.fence);
}

/** What a worker test file works in. Every member is there once the file's beforeAll has run. */
export interface WorkerTestbed {
  /** The file's own redis-server. */
  readonly redis: TestRedis;
  /** Enqueues as the API would. */
  readonly producer: Producer;
  /** A plain ioredis client on the same Redis, for what the workers stored (results, locks); opened on first use. */
  readonly client: Redis;
  /** The file's harness, or with `harnessPerTest` the current test's. */
  readonly harness: Harness;
}

/** Options of {@link workerTestbed}. */
export interface WorkerTestbedOptions {
  /** An append-only Redis, so that a restarted one comes back with its locks and queues. */
  readonly appendonly?: boolean;
  /** A fresh harness (log directory and workers) for every test, cleaned up after it. Default: one for the file. */
  readonly harnessPerTest?: boolean;
  /** Workers the file's harness starts before the first test (not with `harnessPerTest`). */
  readonly workers?: readonly string[];
  /** Their environment, over FAST_ENV. */
  readonly workerEnv?: Record<string, string>;
}

class Testbed implements WorkerTestbed {
  #redis: TestRedis | undefined;
  #producer: Producer | undefined;
  #client: Redis | undefined;
  #harness: Harness | undefined;

  get redis(): TestRedis {
    return ready(this.#redis, 'redis');
  }
  get producer(): Producer {
    return ready(this.#producer, 'producer');
  }
  get client(): Redis {
    this.#client ??= new Redis(this.redis.url);
    return this.#client;
  }
  get harness(): Harness {
    return ready(this.#harness, 'harness');
  }

  async open(appendonly: boolean): Promise<void> {
    this.#redis = await startRedis({ appendonly });
    this.#producer = createProducer(this.#redis.url);
  }

  newHarness(): Harness {
    this.#harness = createHarness(this.redis.url);
    return this.#harness;
  }

  async cleanupHarness(): Promise<void> {
    await this.#harness?.cleanup();
  }

  async close(): Promise<void> {
    this.#client?.disconnect();
    await this.#producer?.close();
    await this.#redis?.close();
  }
}

function ready<T>(value: T | undefined, what: string): T {
  if (value === undefined) throw new Error(`the worker testbed's ${what} is used before its beforeAll ran`);
  return value;
}

/**
 * Register the hooks of a worker test file: a Redis, a producer and a harness before (with the
 * workers asked for), and everything stopped and removed after; with `harnessPerTest`, a harness
 * per test, cleaned up after each (which also fails the test if a line had a duplicate key).
 */
export function workerTestbed(options: WorkerTestbedOptions = {}): WorkerTestbed {
  const bed = new Testbed();
  beforeAll(async () => {
    await bed.open(options.appendonly ?? false);
    if (options.harnessPerTest) return;
    const harness = bed.newHarness();
    await Promise.all((options.workers ?? []).map((name) => harness.spawnWorker(name, options.workerEnv)));
  });
  if (options.harnessPerTest) {
    beforeEach(() => {
      bed.newHarness();
    });
    afterEach(() => bed.cleanupHarness());
  }
  afterAll(async () => {
    if (!options.harnessPerTest) await bed.cleanupHarness();
    await bed.close();
  });
  return bed;
}

/** The client addresses that polled `key` with EXISTS, in order of first appearance. */
export function existsPollers(monitor: RedisMonitor, key: string): string[] {
  const sources: string[] = [];
  for (const { args, source } of monitor.seen)
    if (args[0] === 'exists' && args[1] === key && !sources.includes(source)) sources.push(source);
  return sources;
}
