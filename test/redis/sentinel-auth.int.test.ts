/**
 * Sentinels that require a password of their clients (`requirepass` on each sentinel, as secured
 * Sentinel deployments run them): an API and a worker process given DTQ_REDIS_SENTINEL_PASSWORD
 * find the master through them and run a task; an API without it is refused by the sentinels and
 * says which variable to set, instead of only "All sentinels are unreachable".
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import { createLogger } from '../../instrumentation/logger.ts';
import { createTaskQueue } from '../../workload/queue/task-queue.ts';
import { startRedisSentinel, type TestRedisSentinel } from '../utils/redis-cluster.ts';
import { type ReplicatedApi, startReplicatedApi } from '../utils/replicated-api.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, type Harness, varData } from '../worker/worker-harness.ts';

const SENTINEL_PASSWORD = 'S3ntinel-only-pw';

let sentinel: TestRedisSentinel;
let harness: Harness;
let api: ReplicatedApi;

beforeAll(async () => {
  sentinel = await startRedisSentinel({ replicas: 1, sentinelPassword: SENTINEL_PASSWORD });
  api = await startReplicatedApi(sentinel.target, { instance: 'api-sentinel-auth', retryAfterS: 1 });
  harness = createHarness(sentinel.env);
  await harness.spawnWorker('worker-sentinel-auth');
});

afterAll(async () => {
  await harness?.cleanup();
  await api?.close();
  await sentinel?.close();
});

describe('sentinels that require a password', () => {
  it('runs a task when the API and the worker are given DTQ_REDIS_SENTINEL_PASSWORD', async () => {
    expect(sentinel.env.DTQ_REDIS_SENTINEL_PASSWORD).toBe(SENTINEL_PASSWORD);
    const response = await api.postTask({
      task_type: 'calculate_var',
      data: varData(`sentinel-auth-${randomUUID()}`, { simulations: 300 }),
      priority: 'high',
    });
    expect(response.statusCode).toBe(202);
    const taskId = (response.json() as { task_id: string }).task_id;
    await waitFor(`task ${taskId} to succeed`, async () => (await api.taskStatus(taskId)) === 'succeeded', {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
  });

  it('names DTQ_REDIS_SENTINEL_PASSWORD when the sentinels refuse a client without it', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'dtq-sentinel-noauth-'));
    const logger = createLogger({ service: 'api', instance: 'api-no-sentinel-pw', logDir, stdout: false });
    const { sentinelPassword: _, ...withoutPassword } = sentinel.target;
    const queue = createTaskQueue({ redis: withoutPassword, logger });
    try {
      const refusal = await waitFor('the sentinels to refuse', async () => {
        const error = await queue.counts().then(
          () => undefined,
          (e: unknown) => e,
        );
        return error instanceof DtqError && /NOAUTH/.test(error.message) ? error : undefined;
      });
      expect(refusal.code).toBe('DTQ_ERR_QUEUE_REDIS_UNAVAILABLE');
      expect(refusal.message).toContain('the sentinels require a password: set DTQ_REDIS_SENTINEL_PASSWORD');
      expect(refusal.message).not.toContain(SENTINEL_PASSWORD);
      expect(queue.isAvailable()).toBe(false);
    } finally {
      await queue.close();
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
