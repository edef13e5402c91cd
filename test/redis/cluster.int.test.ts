/**
 * The whole task path on a real Redis Cluster (3 masters + 3 replicas on loopback): the API
 * accepts and replays tasks, worker processes run them under locks and fencing, and the keys
 * spread over the three masters instead of piling into one slot.
 */
import { spawn } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Queue } from 'bullmq';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DtqError } from '../../contract/dtq-error.ts';
import { EVENTS } from '../../contract/vocabulary.ts';
import { createLogger } from '../../instrumentation/logger.ts';
import { cacheKey, fenceKey, lockKey, resultKey } from '../../workload/locks/keys.ts';
import { tryAcquire } from '../../workload/locks/lock.ts';
import { queuePrefix, waitListKey } from '../../workload/queue/contract.ts';
import { createRedisClient, type RedisClient } from '../../workload/queue/redis-client.ts';
import { createTaskQueue } from '../../workload/queue/task-queue.ts';
import { fencedWriter } from '../utils/fenced-write.ts';
import { commandOn, startRedisCluster, type TestRedisCluster } from '../utils/redis-cluster.ts';
import { type ReplicatedApi, startReplicatedApi } from '../utils/replicated-api.ts';
import { waitFor } from '../utils/wait.ts';
import { createHarness, type Harness, varData } from '../worker/worker-harness.ts';

const WORKER_MAIN = fileURLToPath(new URL('../../workload/worker/main.ts', import.meta.url));

let cluster: TestRedisCluster;
let harness: Harness;
let client: RedisClient;
let api: ReplicatedApi;

beforeAll(async () => {
  cluster = await startRedisCluster();
  api = await startReplicatedApi(cluster.target, { instance: 'api-cluster', retryAfterS: 2 });
  harness = createHarness(cluster.env);
  await Promise.all([harness.spawnWorker('worker-c1'), harness.spawnWorker('worker-c2')]);
  client = createRedisClient(cluster.target, { maxRetriesPerRequest: 1 });
});

afterAll(async () => {
  await harness?.cleanup();
  await api?.close();
  client?.disconnect();
  await cluster?.close();
});

describe('on a Redis Cluster', () => {
  it('answers /ready, accepts tasks on every queue and the workers run them all', async () => {
    expect((await api.app.inject({ method: 'GET', url: '/ready' })).statusCode).toBe(200);
    const priorities = ['high', 'medium', 'low'] as const;
    const ids: string[] = [];
    for (let i = 0; i < 30; i++) {
      const response = await api.postTask({
        task_type: 'calculate_var',
        data: varData(`cluster-${randomUUID()}`, { simulations: 500 }),
        priority: priorities[i % 3],
      });
      expect(response.statusCode).toBe(202);
      ids.push((response.json() as { task_id: string }).task_id);
    }
    for (const id of ids) {
      await waitFor(`task ${id} to succeed`, async () => (await api.taskStatus(id)) === 'succeeded', {
        timeoutMs: 60_000,
        intervalMs: 100,
      });
    }
    const completed = harness.lines().filter((l) => l['event.action'] === EVENTS.TASK_COMPLETED);
    expect(new Set(completed.map((l) => l.task_id))).toEqual(new Set(ids));
    expect(new Set(completed.map((l) => l['service.instance']))).toEqual(new Set(['worker-c1', 'worker-c2']));
    // Each computed under its resource's lock, with a fencing token from the cluster.
    const acquired = harness.lines().filter((l) => l['event.action'] === EVENTS.LOCK_ACQUIRED);
    expect(new Set(acquired.map((l) => l.task_id))).toEqual(new Set(ids));
  });

  it('retries a failed attempt after its backoff and dead-letters a poison task (BullMQ scripts across its keys)', async () => {
    const submit = async (fault: object) => {
      const response = await api.postTask({
        task_type: 'calculate_var',
        data: { ...varData(`fault-${randomUUID()}`, { simulations: 300 }), fault },
        priority: 'low',
      });
      expect(response.statusCode).toBe(202);
      return (response.json() as { task_id: string }).task_id;
    };
    const retried = await submit({ fail_attempts: 1 });
    const poison = await submit({ poison: true });
    await waitFor('the retried task to succeed', async () => (await api.taskStatus(retried)) === 'succeeded', {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    await waitFor('the poison task to fail', async () => (await api.taskStatus(poison)) === 'failed', {
      timeoutMs: 60_000,
      intervalMs: 100,
    });
    const actions = (taskId: string) =>
      harness
        .lines()
        .filter((l) => l.task_id === taskId)
        .map((l) => l['event.action']);
    expect(actions(retried)).toContain(EVENTS.TASK_RETRY_SCHEDULED);
    await waitFor('the dead letter', () => actions(poison).includes(EVENTS.TASK_DEAD_LETTERED));
  });

  it('refuses a URL that leads to a cluster node in the API, naming the setting to use instead of reporting MOVED', async () => {
    const node = cluster.target.nodes[0];
    const logger = createLogger({ service: 'api', instance: 'api-misconfigured', logDir: api.logDir, stdout: false });
    const wrong = createTaskQueue({ redis: `redis://${node?.host}:${node?.port}`, logger });
    try {
      const failure = await waitFor('the cluster node to be recognised', async () => {
        const error = await wrong.counts().then(
          () => undefined,
          (e: unknown) => e,
        );
        return error instanceof DtqError && error.message.includes('DTQ_REDIS_CLUSTER_NODES') ? error : undefined;
      });
      expect(failure.code).toBe('DTQ_ERR_QUEUE_REDIS_UNAVAILABLE');
      expect(failure.message).toContain(
        `DTQ_REDIS_URL="redis://${node?.host}:${node?.port}" is not valid: expected one Redis server, not a node of a Redis Cluster`,
      );
      expect(wrong.isAvailable()).toBe(false);
      // The operator's log carries the typed error once, with its own code.
      const lines = readFileSync(join(api.logDir, 'api-misconfigured.ndjson'), 'utf8')
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const reported = lines.filter((l) => l['event.action'] === EVENTS.DEPENDENCY_UNAVAILABLE);
      expect(reported.map((l) => l['error.code'])).toEqual(['DTQ_ERR_CONFIG_INVALID']);
    } finally {
      await wrong.close();
    }
  });

  it('stops a worker told a URL that leads to a cluster node, with the typed error naming DTQ_REDIS_CLUSTER_NODES', async () => {
    const node = cluster.target.nodes[1];
    const url = `redis://:hunter2@${node?.host}:${node?.port}`;
    const logDir = mkdtempSync(join(tmpdir(), 'dtq-worker-cluster-url-'));
    try {
      const { DTQ_REDIS_CLUSTER_NODES: _nodes, DTQ_REDIS_SENTINELS: _s, ...inherited } = process.env;
      const child = spawn(process.execPath, [WORKER_MAIN], {
        env: {
          ...inherited,
          DTQ_REDIS_URL: url,
          DTQ_INSTANCE: 'worker-wrong-url',
          DTQ_LOG_DIR: logDir,
          DTQ_LOG_STDOUT: '0',
        },
        stdio: 'ignore',
      });
      const [code] = (await once(child, 'exit')) as [number | null];
      expect(code).toBe(1);
      const text = readFileSync(join(logDir, 'worker-wrong-url.ndjson'), 'utf8');
      // The password in the URL is never written; the message names the setting to use.
      expect(text).not.toContain('hunter2');
      const lines = text
        .split('\n')
        .filter((line) => line !== '')
        .map((line) => JSON.parse(line) as Record<string, unknown>);
      const fatal = lines.find((l) => l['log.level'] === 'fatal');
      expect(fatal?.['error.code']).toBe('DTQ_ERR_CONFIG_INVALID');
      expect(String(fatal?.message)).toContain('set DTQ_REDIS_CLUSTER_NODES=host:port');
      // It stopped before it took a job: no worker ran on a connection that answers MOVED.
      expect(lines.some((l) => l['event.action'] === EVENTS.SERVICE_STARTED)).toBe(false);
      expect(lines.at(-1)?.['event.action']).toBe(EVENTS.SERVICE_STOPPED);
    } finally {
      rmSync(logDir, { recursive: true, force: true });
    }
  });

  it('replays a request with the same Idempotency-Key instead of enqueuing it twice', async () => {
    const key = `cluster-key-${randomUUID()}`;
    const body = { task_type: 'calculate_var', data: varData(`idem-${randomUUID()}`), priority: 'medium' };
    const first = await api.postTask(body, { 'idempotency-key': key });
    const second = await api.postTask(body, { 'idempotency-key': key });
    expect(first.statusCode).toBe(202);
    expect(second.statusCode).toBe(202);
    expect(second.json()).toEqual(first.json());
    expect(second.headers['idempotent-replayed']).toBe('true');
  });

  it('runs the lock and fenced-write scripts, whose keys share a slot, and refuses a stale fence', async () => {
    const resource = `calculate_var:portfolio:cluster-${randomUUID()}`;
    const slots = await Promise.all(
      [lockKey(resource), fenceKey(resource), resultKey(resource), cacheKey(resource, 'h')].map(
        (key) => client.call('CLUSTER', 'KEYSLOT', key) as Promise<number>,
      ),
    );
    expect(new Set(slots).size).toBe(1);
    const holder = (task: string) => ({ task_id: task, correlation_id: `C-${task}` });
    const first = await tryAcquire(client, resource, holder('t1'), { ttlMs: 10_000 });
    if (!first.acquired) throw new Error('first acquire refused');
    expect(await tryAcquire(client, resource, holder('t2'), { ttlMs: 10_000 })).toMatchObject({ acquired: false });
    expect(await first.lease.release()).toBe('released');
    const second = await tryAcquire(client, resource, holder('t2'), { ttlMs: 10_000 });
    if (!second.acquired) throw new Error('second acquire refused');
    expect(second.lease.fence).toBeGreaterThan(first.lease.fence);
    const write = fencedWriter(client, resource);
    expect(await write(first.lease.fence, 't1')).toEqual({ written: false, lastFence: second.lease.fence });
    expect(await write(second.lease.fence, 't2')).toEqual({ written: true, previousFence: 0 });
    await second.lease.release();
  });

  it("keeps the waiting jobs in the list the Helm chart's KEDA trigger reads (LLEN on a cluster client)", async () => {
    // A queue no worker consumes, under the same prefix rule as the task queues.
    const name = `keda-${randomUUID()}`;
    const queue = new Queue(name, { connection: client, prefix: queuePrefix(name) });
    try {
      await queue.addBulk(Array.from({ length: 7 }, (_, i) => ({ name: 'calculate_var', data: { i } })));
      // What KEDA's redis-cluster scaler runs: LLEN of listName, sent to the slot's master.
      expect(await client.llen(waitListKey(name))).toBe(7);
      expect(await queue.getWaitingCount()).toBe(7);
    } finally {
      await queue.obliterate({ force: true });
      await queue.close();
    }
  });

  it('spreads the keys over every master: each queue in its own slot, records and locks by their own key', async () => {
    const queueSlots = await Promise.all(
      ['high', 'medium', 'low'].map((q) =>
        commandOn(cluster.nodes[0]?.port ?? 0, 'CLUSTER', 'KEYSLOT', waitListKey(q)),
      ),
    );
    expect(new Set(queueSlots).size).toBe(3);
    const masters = await cluster.masters();
    expect(masters).toHaveLength(3);
    const sizes = await Promise.all(masters.map((port) => commandOn(port, 'DBSIZE') as Promise<number>));
    const total = sizes.reduce((a, b) => a + b, 0);
    // Every master holds a real share, not a handful of stray keys beside one hot slot.
    for (const size of sizes) expect(size / total).toBeGreaterThan(0.1);
    console.info(`keys per master (DBSIZE): ${sizes.join(', ')} of ${total}`);
    // A queue's keys all sit in its own slot, on the master that owns it.
    const highSlot = Number(await client.call('CLUSTER', 'KEYSLOT', `${queuePrefix('high')}:high:meta`));
    const inHighSlot = await Promise.all(
      masters.map((port) => commandOn(port, 'CLUSTER', 'COUNTKEYSINSLOT', highSlot) as Promise<number>),
    );
    expect(inHighSlot.filter((n) => n > 0)).toHaveLength(1);
    expect(Math.max(...inHighSlot)).toBeGreaterThanOrEqual(3);
    console.info(`keys in the high queue's slot ${highSlot} (COUNTKEYSINSLOT per master): ${inHighSlot.join(', ')}`);
  });
});
