/**
 * The local stack on a Redis Cluster it did not start (`redisTarget`, as DTQ_REDIS_CLUSTER_NODES
 * sets it): it starts no Redis of its own, gives its APIs and workers the cluster's variables and
 * none of another target's (DTQ_REDIS_URL, DTQ_REDIS_SENTINEL_PASSWORD), even inherited from the
 * environment, and a task runs end to end.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { EVENTS } from '../../contract/vocabulary.ts';
import { DESIGN_NOTES_EXAMPLE } from '../../workload/stack/sample-tasks.ts';
import { startRedisCluster, type TestRedisCluster } from '../utils/redis-cluster.ts';
import { startStack, type TestStack } from '../utils/stack.ts';

let cluster: TestRedisCluster;
let stack: TestStack;

beforeAll(async () => {
  cluster = await startRedisCluster();
  // An inherited URL and sentinels' password the children must not see beside the cluster's
  // nodes (they would refuse either).
  stack = await startStack({
    workers: 1,
    apis: 1,
    redisTarget: cluster.target,
    childEnv: { DTQ_REDIS_URL: 'redis://127.0.0.1:1', DTQ_REDIS_SENTINEL_PASSWORD: 'inherited' },
  });
});

afterAll(async () => {
  await stack?.stop();
  await cluster?.close();
});

it('runs a task through nginx, the API and a worker on the cluster, with no Redis of its own', async () => {
  expect(stack.redis).toBeUndefined();
  expect(stack.redisTarget).toEqual(cluster.target);
  const response = await stack.postTask(DESIGN_NOTES_EXAMPLE);
  expect(response.status).toBe(202);
  const taskId = (response.json() as { task_id: string }).task_id;
  expect((await stack.waitForTask(taskId)).status).toBe('succeeded');
  const completed = stack.readLogs().filter((l) => l['event.action'] === EVENTS.TASK_COMPLETED);
  expect(completed.map((l) => l.task_id)).toContain(taskId);
});
