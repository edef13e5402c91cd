/**
 * A Redis Cluster failover under load: the master that serves the `high` queue's slot is killed
 * (SIGKILL) while tasks keep arriving; the cluster promotes its replica after
 * `cluster-node-timeout`, and the API and two worker processes carry on against it without a
 * restart.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '../../contract/vocabulary.ts';
import { QUEUE_NAMES, waitListKey } from '../../workload/queue/contract.ts';
import { commandOn, startRedisCluster, type TestRedisCluster } from '../utils/redis-cluster.ts';
import { type ReplicatedApi, startReplicatedApi } from '../utils/replicated-api.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, type Harness, varData } from '../worker/worker-harness.ts';

let cluster: TestRedisCluster;
let harness: Harness;
let api: ReplicatedApi;

beforeAll(async () => {
  cluster = await startRedisCluster({ nodeTimeoutMs: 2000 });
  api = await startReplicatedApi(cluster.target, { instance: 'api-cf', retryAfterS: 1 });
  harness = createHarness(cluster.env);
  await Promise.all([harness.spawnWorker('worker-cf1'), harness.spawnWorker('worker-cf2')]);
});

afterAll(async () => {
  await harness?.cleanup();
  await api?.close();
  await cluster?.close();
});

async function send(): Promise<{ status: number; taskId?: string }> {
  const response = await api.postTask(
    { task_type: 'calculate_var', data: varData(`p-${randomUUID()}`, { simulations: 300 }), priority: 'high' },
    { 'idempotency-key': `cf-${randomUUID()}` },
  );
  return response.statusCode === 202
    ? { status: 202, taskId: (response.json() as { task_id: string }).task_id }
    : { status: response.statusCode };
}

describe('Redis Cluster failover under load', () => {
  it("moves the API and the workers to the promoted replica of the high queue's master", async () => {
    for (let accepted = 0; accepted < 20; ) {
      if ((await send()).status === 202) accepted++;
      await sleep(10);
    }
    const slot = Number(
      await commandOn(cluster.nodes[0]?.port ?? 0, 'CLUSTER', 'KEYSLOT', waitListKey(QUEUE_NAMES.high)),
    );
    const victim = await cluster.ownerOf(slot);
    const killedAt = Date.now();
    await victim.kill();
    const after: { status: number; taskId?: string }[] = [];
    let firstAcceptedAt: number | undefined;
    while (after.filter((s) => s.status === 202).length < 30) {
      if (Date.now() - killedAt > 45_000) throw new Error('the cluster did not fail over within 45 s');
      const result = await send();
      after.push(result);
      if (result.status === 202) firstAcceptedAt ??= Date.now();
      await sleep(result.status === 202 ? 10 : 50);
    }
    const promoted = await cluster.ownerOf(slot);
    expect(promoted.port).not.toBe(victim.port);
    // The outage was answered at once with 503, never a 500 or a hang.
    const refused = after.filter((s) => s.status !== 202);
    expect(new Set(refused.map((s) => s.status))).toEqual(refused.length === 0 ? new Set() : new Set([503]));
    const accepted = after.flatMap((s) => (s.taskId === undefined ? [] : [s.taskId]));
    for (const taskId of accepted) {
      await waitFor(`task ${taskId} to succeed`, async () => (await api.taskStatus(taskId)) === 'succeeded', {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
    }
    const completedBy = new Set(
      harness
        .lines()
        .filter((l) => l['event.action'] === EVENTS.TASK_COMPLETED && accepted.includes(String(l.task_id)))
        .map((l) => l['service.instance']),
    );
    expect(completedBy).toEqual(new Set(['worker-cf1', 'worker-cf2']));
    console.info(
      `cluster failover: the master of slot ${slot} killed; tasks accepted again after ` +
        `${(((firstAcceptedAt ?? killedAt) - killedAt) / 1000).toFixed(2)} s; ${refused.length} requests refused with 503 meanwhile`,
    );
  });
});
