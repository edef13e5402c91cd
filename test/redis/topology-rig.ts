/**
 * What the tests of a secured Redis topology share: an API and a worker process given the
 * topology's environment, a task run through them, and a client refused by the topology with
 * the error it gives.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, expect } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import type { Priority } from '../../contract/vocabulary.ts';
import { createLogger } from '../../instrumentation/logger.ts';
import type { ClusterTarget, RedisTarget, SentinelTarget } from '../../workload/queue/redis-target.ts';
import { createTaskQueue } from '../../workload/queue/task-queue.ts';
import { type ReplicatedApi, startReplicatedApi } from '../utils/replicated-api.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, type Harness, varData } from '../worker/worker-harness.ts';

/** A Redis topology a test started: how clients reach it, the variables that say so, its end. */
export interface StartedTopology {
  readonly target: ClusterTarget | SentinelTarget;
  readonly env: Record<string, string>;
  close(): Promise<void>;
}

/** The topology, and an API and a worker process on it; filled in by the suite's beforeAll. */
export interface TopologyRig<T extends StartedTopology> {
  topology: T;
  api: ReplicatedApi;
  harness: Harness;
}

/**
 * Register the hooks of a suite that starts a topology (`start`), then an API and a worker
 * (instances `api-<name>`, `worker-<name>`) on it; everything is stopped after the suite, then
 * `cleanup` runs (certificates, files).
 */
export function apiAndWorkerOn<T extends StartedTopology>(
  name: string,
  start: () => Promise<T>,
  cleanup: () => void = () => {},
): TopologyRig<T> {
  const rig = {} as TopologyRig<T>;
  beforeAll(async () => {
    rig.topology = await start();
    rig.api = await startReplicatedApi(rig.topology.target, { instance: `api-${name}`, retryAfterS: 1 });
    rig.harness = createHarness(rig.topology.env);
    await rig.harness.spawnWorker(`worker-${name}`);
  });
  afterAll(async () => {
    await rig.harness?.cleanup();
    await rig.api?.close();
    await rig.topology?.close();
    cleanup();
  });
  return rig;
}

/** Post a VaR task through the rig's API and wait until it succeeded; its task id. */
export async function runTask(rig: TopologyRig<StartedTopology>, priority: Priority): Promise<string> {
  const response = await rig.api.postTask({
    task_type: 'calculate_var',
    data: varData(`topology-${randomUUID()}`, { simulations: 300 }),
    priority,
  });
  expect(response.statusCode).toBe(202);
  const taskId = (response.json() as { task_id: string }).task_id;
  await waitFor(`task ${taskId} to succeed`, async () => (await rig.api.taskStatus(taskId)) === 'succeeded', {
    timeoutMs: 30_000,
    intervalMs: 100,
  });
  return taskId;
}

/**
 * The error a task queue on `target` gets once the topology refuses it (`refused` tells that
 * error from the ones before it), and whether the queue still called itself available then.
 */
export async function refusalOf(
  target: RedisTarget,
  what: string,
  refused: (error: DtqError) => boolean,
): Promise<{ error: DtqError; available: boolean }> {
  const logDir = mkdtempSync(join(tmpdir(), 'dtq-topology-refused-'));
  const logger = createLogger({ service: 'api', instance: 'api-refused', logDir, stdout: false });
  const queue = createTaskQueue({ redis: target, logger });
  try {
    const error = await waitFor(what, async () => {
      const failure = await queue.counts().then(
        () => undefined,
        (e: unknown) => e,
      );
      return failure instanceof DtqError && refused(failure) ? failure : undefined;
    });
    return { error, available: queue.isAvailable() };
  } finally {
    await queue.close();
    rmSync(logDir, { recursive: true, force: true });
  }
}
