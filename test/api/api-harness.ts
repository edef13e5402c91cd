/**
 * An in-process API for tests: a real Redis, the real queue module and buildApp(), logging to
 * an NDJSON file in a temporary directory that tests read back.
 */
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Readable } from 'node:stream';
import { Queue } from 'bullmq';
import type { LightMyRequestResponse } from 'fastify';
import { Redis } from 'ioredis';
import type { LogRecord, Priority } from '../../contract/vocabulary.ts';
import { createLogger, logFilePath } from '../../instrumentation/logger.ts';
import { type ApiApp, type AppDeps, buildApp } from '../../workload/api/app.ts';
import { QUEUE_NAMES, queuePrefix, type TaskJobData } from '../../workload/queue/contract.ts';
import { createTaskQueue, type TaskQueue } from '../../workload/queue/task-queue.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

/** A running in-process API and what it runs on. */
export interface ApiHarness {
  app: ApiApp;
  redis: TestRedis;
  queue: TaskQueue;
  instance: string;
  /** Every line the API has logged so far, parsed. */
  lines(): LogRecord[];
  /** The raw text of the API's log file. */
  rawLog(): string;
  /** Listen on a free loopback port (for tests through nginx); returns `127.0.0.1:<port>`. */
  listen(): Promise<string>;
  /**
   * POST /api/v1/tasks in process: `payload` (default the design notes' example) as
   * application/json unless `headers` say otherwise.
   */
  postTask(options?: { payload?: string | object; headers?: Record<string, string> }): Promise<LightMyRequestResponse>;
  /** A BullMQ queue handle for inspecting (or draining) the jobs the API created. */
  inspect(priority: Priority): Queue<TaskJobData>;
  close(): Promise<void>;
}

/**
 * Start an API over a fresh Redis (or `shared.redis`, left running on close); `config`
 * overrides the defaults of AppDeps.config. `waitForRedis: false` starts it even while that
 * Redis is down; `extend` adds test-only routes before the app is ready.
 */
export async function startApiHarness(
  config: Partial<AppDeps['config']> = {},
  shared: { redis?: TestRedis; waitForRedis?: boolean; extend?: (app: ApiApp) => void } = {},
): Promise<ApiHarness> {
  const redis = shared.redis ?? (await startRedis());
  const logDir = mkdtempSync(join(tmpdir(), 'dtq-api-logs-'));
  const instance = config.instance ?? 'api-test';
  const logger = createLogger({ service: 'api', instance, logDir, stdout: false });
  const queue = createTaskQueue({ redis: redis.url, logger });
  if (shared.waitForRedis !== false) {
    await waitFor('the API queue to connect to Redis', () => queue.isAvailable(), { timeoutMs: 10_000 });
  }
  const app = buildApp({
    logger,
    queue,
    config: { instance, faults: false, circuitThreshold: 10_000, circuitCacheMs: 0, retryAfterS: 2, ...config },
  });
  shared.extend?.(app);
  await app.ready();
  const inspectors = new Map<Priority, Queue<TaskJobData>>();
  const connections: Redis[] = [];
  const rawLog = (): string => {
    try {
      return readFileSync(logFilePath(logDir, instance), 'utf8');
    } catch {
      return '';
    }
  };
  return {
    app,
    redis,
    queue,
    instance,
    rawLog,
    listen: async () => {
      await app.listen({ host: '127.0.0.1', port: 0 });
      const address = app.server.address();
      if (address === null || typeof address === 'string') throw new Error('API is not listening on TCP');
      return `127.0.0.1:${address.port}`;
    },
    lines: () =>
      rawLog()
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as LogRecord),
    postTask: ({ payload = EXAMPLE_BODY, headers = {} } = {}) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { 'content-type': 'application/json', ...headers },
        payload,
      }),
    inspect: (priority) => {
      let handle = inspectors.get(priority);
      if (handle === undefined) {
        // BullMQ's ESM build cannot load ioredis from connection options: pass a client.
        const connection = new Redis(redis.url, { maxRetriesPerRequest: null });
        connections.push(connection);
        handle = new Queue<TaskJobData>(QUEUE_NAMES[priority], {
          connection,
          prefix: queuePrefix(QUEUE_NAMES[priority]),
        });
        inspectors.set(priority, handle);
      }
      return handle;
    },
    close: async () => {
      await Promise.allSettled([...inspectors.values()].map((q) => q.close()));
      for (const connection of connections) connection.disconnect();
      await app.close();
      await queue.close();
      if (shared.redis === undefined) await redis.close();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}

/** The example request of the design notes, verbatim. */
export const EXAMPLE_BODY =
  '{"task_type":"calculate_var","data":{"portfolio_data":{"positions":[{"symbol":"AAPL","quantity":100,"price":150.0}]}},"priority":"high"}';

/** Path of {@link addSlowStreamRoute}. */
export const SLOW_STREAM_PATH = '/test/slow-stream';

/** A test-only route (for `extend`) that answers 100 chunks 20 ms apart: a response in progress to act during. */
export function addSlowStreamRoute(app: ApiApp): void {
  app.get(SLOW_STREAM_PATH, async (_request, reply) => {
    let chunks = 0;
    const body = new Readable({
      read() {
        setTimeout(() => this.push(chunks++ < 100 ? 'chunk\n' : null), 20);
      },
    });
    return reply.type('text/plain').send(body);
  });
}
