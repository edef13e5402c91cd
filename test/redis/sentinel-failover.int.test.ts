/**
 * A Sentinel failover under load, with real processes on loopback: a master, 2 replicas and 3
 * sentinels; an API and two worker processes that know only the sentinels. The master is
 * killed (SIGKILL) while requests with Idempotency-Keys keep arriving: the sentinels promote a
 * replica, and the API and the workers carry on against it without a restart. What the
 * asynchronous replication lost is measured and printed, not assumed to be nothing.
 */
import { randomUUID } from 'node:crypto';
import { setTimeout as sleep } from 'node:timers/promises';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS } from '../../contract/vocabulary.ts';
import { startRedisSentinel, type TestRedisSentinel } from '../utils/redis-cluster.ts';
import { type ReplicatedApi, startReplicatedApi } from '../utils/replicated-api.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, type Harness, varData } from '../worker/worker-harness.ts';

let sentinel: TestRedisSentinel;
let harness: Harness;
let api: ReplicatedApi;

beforeAll(async () => {
  sentinel = await startRedisSentinel({ replicas: 2, downAfterMs: 1000 });
  api = await startReplicatedApi(sentinel.target, { instance: 'api-sentinel', retryAfterS: 1 });
  harness = createHarness(sentinel.env);
  await Promise.all([harness.spawnWorker('worker-s1'), harness.spawnWorker('worker-s2')]);
});

afterAll(async () => {
  await harness?.cleanup();
  await api?.close();
  await sentinel?.close();
});

interface Sent {
  key: string;
  body: object;
  status: number;
  taskId?: string;
  /** Sent after the master was killed. */
  afterKill: boolean;
}

async function send(afterKill: boolean): Promise<Sent> {
  const key = `failover-${randomUUID()}`;
  const body = {
    task_type: 'calculate_var',
    data: varData(`p-${randomUUID()}`, { simulations: 300 }),
    priority: 'high',
  };
  const response = await api.postTask(body, { 'idempotency-key': key });
  const taskId = response.statusCode === 202 ? (response.json() as { task_id: string }).task_id : undefined;
  return { key, body, status: response.statusCode, afterKill, ...(taskId === undefined ? {} : { taskId }) };
}

describe('Sentinel failover under load', () => {
  it('moves the API and the workers to the promoted replica without a restart, and measures what was lost', async () => {
    const sent: Sent[] = [];
    const before = await sentinel.masterPort();
    // Load before the failure: requests keep coming while jobs run.
    while (sent.filter((s) => s.status === 202).length < 40) {
      sent.push(await send(false));
      await sleep(10);
    }
    const killedAt = Date.now();
    await sentinel.servers[0]?.kill();
    let promotedAt: number | undefined;
    let firstAcceptedAfterKill: number | undefined;
    // Keep sending through the outage until the promoted master has taken 40 tasks.
    while (sent.filter((s) => s.afterKill && s.status === 202).length < 40) {
      if (Date.now() - killedAt > 45_000) throw new Error('no failover within 45 s');
      const result = await send(true);
      sent.push(result);
      if (result.status === 202) firstAcceptedAfterKill ??= Date.now();
      if (promotedAt === undefined && (await sentinel.masterPort().catch(() => before)) !== before) {
        promotedAt = Date.now();
      }
      await sleep(result.status === 202 ? 10 : 50);
    }
    const after = await sentinel.masterPort();
    expect(after).not.toBe(before);
    // During the outage the API answered at once with 503 (fail fast), never hung or 500'd.
    const refused = sent.filter((s) => s.afterKill && s.status !== 202);
    expect(new Set(refused.map((s) => s.status))).toEqual(refused.length === 0 ? new Set() : new Set([503]));

    // Every task accepted by the promoted master runs on the workers, which reconnected by themselves.
    const acceptedAfter = sent.filter((s) => s.afterKill && s.taskId !== undefined);
    for (const task of acceptedAfter) {
      await waitFor(
        `task ${task.taskId} to succeed`,
        async () => (await api.taskStatus(task.taskId as string)) === 'succeeded',
        {
          timeoutMs: 60_000,
          intervalMs: 100,
        },
      );
    }
    const completedBy = new Set(
      harness
        .lines()
        .filter((l) => l['event.action'] === EVENTS.TASK_COMPLETED && acceptedAfter.some((s) => s.taskId === l.task_id))
        .map((l) => l['service.instance']),
    );
    expect(completedBy).toEqual(new Set(['worker-s1', 'worker-s2']));

    // What the asynchronous replication lost: tasks acknowledged (202) by the old master that the
    // promoted one does not know, and idempotency records it lost (a replay then makes a new task).
    const acceptedBefore = sent.filter((s) => !s.afterKill && s.taskId !== undefined);
    let lostTasks = 0;
    let lostRecords = 0;
    for (const task of acceptedBefore) {
      if ((await api.taskStatus(task.taskId as string)) === undefined) lostTasks++;
      const replay = await api.postTask(task.body, { 'idempotency-key': task.key });
      expect(replay.statusCode).toBe(202);
      if ((replay.json() as { task_id: string }).task_id !== task.taskId) lostRecords++;
    }
    // Ordered replication: a record that survived names a task that survived too.
    expect(lostTasks).toBeLessThanOrEqual(lostRecords);
    console.info(
      `sentinel failover: ${acceptedBefore.length} tasks acknowledged before the kill, ${lostTasks} lost, ` +
        `${lostRecords} idempotency records lost; master down for ${((firstAcceptedAfterKill ?? killedAt) - killedAt) / 1000} s ` +
        `(promotion seen after ${((promotedAt ?? killedAt) - killedAt) / 1000} s); ${refused.length} requests refused with 503 meanwhile`,
    );
  });
});
