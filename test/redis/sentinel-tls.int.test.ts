/**
 * Sentinel over TLS (a master, a replica and 3 sentinels that all speak TLS only, certificates
 * made by openssl for this run): an API and a worker process given DTQ_REDIS_TLS and
 * DTQ_REDIS_CA find the master through the sentinels, both over TLS, and run a task.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '../../contract/vocabulary.ts';
import { startRedisSentinel, type TestRedisSentinel } from '../utils/redis-cluster.ts';
import { type ReplicatedApi, startReplicatedApi } from '../utils/replicated-api.ts';
import { makeTestCerts, type TestCerts } from '../utils/test-certs.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, type Harness, varData } from '../worker/worker-harness.ts';

let certs: TestCerts;
let sentinel: TestRedisSentinel;
let harness: Harness;
let api: ReplicatedApi;

beforeAll(async () => {
  certs = makeTestCerts();
  sentinel = await startRedisSentinel({
    replicas: 1,
    tls: { caFile: certs.caFile, certFile: certs.serverCert, keyFile: certs.serverKey },
  });
  api = await startReplicatedApi(sentinel.target, { instance: 'api-sentinel-tls', retryAfterS: 1 });
  harness = createHarness(sentinel.env);
  await harness.spawnWorker('worker-sentinel-tls');
});

afterAll(async () => {
  await harness?.cleanup();
  await api?.close();
  await sentinel?.close();
  certs?.remove();
});

describe('Sentinel over TLS', () => {
  it('runs a task when the API and the worker are given DTQ_REDIS_TLS and DTQ_REDIS_CA', async () => {
    expect(sentinel.env).toMatchObject({ DTQ_REDIS_TLS: '1', DTQ_REDIS_CA: certs.caFile });
    const response = await api.postTask({
      task_type: 'calculate_var',
      data: varData(`sentinel-tls-${randomUUID()}`, { simulations: 300 }),
      priority: 'low',
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
});
