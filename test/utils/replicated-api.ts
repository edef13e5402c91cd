/**
 * An in-process API on a Redis Cluster or Sentinel target (test/api/api-harness.ts covers a
 * single Redis URL): the real queue module and buildApp() with faults on, logging to a
 * temporary directory that close() removes.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { LightMyRequestResponse } from 'fastify';
import { createLogger } from '../../instrumentation/logger.ts';
import { type ApiApp, buildApp } from '../../workload/api/app.ts';
import type { ClusterTarget, SentinelTarget } from '../../workload/queue/redis-target.ts';
import { createTaskQueue } from '../../workload/queue/task-queue.ts';
import { waitFor } from './wait.ts';

/** A running API and the directory it logs to. */
export interface ReplicatedApi {
  app: ApiApp;
  logDir: string;
  /** POST /api/v1/tasks in process, `body` as application/json plus `headers`. */
  postTask(body: object, headers?: Record<string, string>): Promise<LightMyRequestResponse>;
  /** The status GET /api/v1/tasks/:id answers, or undefined when it does not answer 200. */
  taskStatus(taskId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

/** Start an API named `instance` on `target`, once its queue reaches Redis. */
export async function startReplicatedApi(
  target: ClusterTarget | SentinelTarget,
  options: { instance: string; retryAfterS: number },
): Promise<ReplicatedApi> {
  const logDir = mkdtempSync(join(tmpdir(), `dtq-${options.instance}-`));
  const logger = createLogger({ service: 'api', instance: options.instance, logDir, stdout: false });
  const queue = createTaskQueue({ redis: target, logger });
  try {
    await waitFor(`the API queue to reach the ${target.kind}`, () => queue.isAvailable(), { timeoutMs: 15_000 });
  } catch (error) {
    await queue.close();
    rmSync(logDir, { recursive: true, force: true });
    throw error;
  }
  const app = buildApp({
    logger,
    queue,
    config: {
      instance: options.instance,
      faults: true,
      circuitThreshold: 10_000,
      circuitCacheMs: 0,
      retryAfterS: options.retryAfterS,
      redisTarget: target,
    },
  });
  await app.ready();
  return {
    app,
    logDir,
    postTask: (body, headers = {}) =>
      app.inject({
        method: 'POST',
        url: '/api/v1/tasks',
        headers: { 'content-type': 'application/json', ...headers },
        payload: body,
      }),
    async taskStatus(taskId) {
      const response = await app.inject({ method: 'GET', url: `/api/v1/tasks/${taskId}` });
      return response.statusCode === 200 ? (response.json() as { status: string }).status : undefined;
    },
    async close() {
      await app.close();
      await queue.close();
      rmSync(logDir, { recursive: true, force: true });
    },
  };
}
