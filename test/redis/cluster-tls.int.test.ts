/**
 * A Redis Cluster that speaks TLS only (clients, cluster bus and replication; 3 masters + 3
 * replicas on loopback, certificates made by openssl for this run): an API and a worker process
 * given DTQ_REDIS_TLS and DTQ_REDIS_CA run a task on it, and a client trusting another CA is
 * refused with the variable to fix named.
 */
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import { EVENTS } from '../../contract/vocabulary.ts';
import { createLogger } from '../../instrumentation/logger.ts';
import { createTaskQueue } from '../../workload/queue/task-queue.ts';
import { startRedisCluster, type TestRedisCluster } from '../utils/redis-cluster.ts';
import { type ReplicatedApi, startReplicatedApi } from '../utils/replicated-api.ts';
import { makeTestCerts, type TestCerts } from '../utils/test-certs.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, type Harness, varData } from '../worker/worker-harness.ts';

let certs: TestCerts;
let cluster: TestRedisCluster;
let harness: Harness;
let api: ReplicatedApi;

beforeAll(async () => {
  certs = makeTestCerts();
  cluster = await startRedisCluster({
    tls: { caFile: certs.caFile, certFile: certs.serverCert, keyFile: certs.serverKey },
  });
  api = await startReplicatedApi(cluster.target, { instance: 'api-cluster-tls', retryAfterS: 1 });
  harness = createHarness(cluster.env);
  await harness.spawnWorker('worker-cluster-tls');
});

afterAll(async () => {
  await harness?.cleanup();
  await api?.close();
  await cluster?.close();
  certs?.remove();
});

describe('a Redis Cluster over TLS', () => {
  it('runs a task when the API and the worker are given DTQ_REDIS_TLS and DTQ_REDIS_CA', async () => {
    expect(cluster.env).toMatchObject({ DTQ_REDIS_TLS: '1', DTQ_REDIS_CA: certs.caFile });
    const response = await api.postTask({
      task_type: 'calculate_var',
      data: varData(`tls-${randomUUID()}`, { simulations: 300 }),
      priority: 'medium',
    });
    expect(response.statusCode).toBe(202);
    const taskId = (response.json() as { task_id: string }).task_id;
    await waitFor(`task ${taskId} to succeed`, async () => (await api.taskStatus(taskId)) === 'succeeded', {
      timeoutMs: 30_000,
      intervalMs: 100,
    });
    const completed = harness.lines().filter((l) => l['event.action'] === EVENTS.TASK_COMPLETED);
    expect(completed.map((l) => l.task_id)).toContain(taskId);
  });

  it('refuses servers whose certificate another CA signed, naming DTQ_REDIS_CA', async () => {
    const logDir = mkdtempSync(join(tmpdir(), 'dtq-cluster-tls-wrong-ca-'));
    const logger = createLogger({ service: 'api', instance: 'api-wrong-ca', logDir, stdout: false });
    const wrongCa = { ...cluster.target, tls: { ca: readFileSync(certs.otherCaFile, 'utf8') } };
    const queue = createTaskQueue({ redis: wrongCa, logger });
    try {
      const refusal = await waitFor('the certificate to be refused', async () => {
        const error = await queue.counts().then(
          () => undefined,
          (e: unknown) => e,
        );
        return error instanceof DtqError && error.message.includes('DTQ_REDIS_CA') ? error : undefined;
      });
      expect(refusal.code).toBe('DTQ_ERR_QUEUE_REDIS_UNAVAILABLE');
      expect(refusal.message).toContain('is not signed by the CA of DTQ_REDIS_CA');
      expect(queue.isAvailable()).toBe(false);
    } finally {
      await queue.close();
      rmSync(logDir, { recursive: true, force: true });
    }
  });
});
