/**
 * Taking the stack's Redis away and bringing it back through the stack handle, as the outage
 * tests of other parts do: requests through nginx get 503 while it is down and 202 again once
 * it is back, with no process restarted but Redis.
 */
import { afterAll, beforeAll, expect, it } from 'vitest';
import { sampleTaskBody } from '../../workload/stack/sample-tasks.ts';
import { startStack, type TestStack } from '../utils/stack.ts';
import { waitFor } from '../utils/wait.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ apis: 1, workers: 1 });
});

afterAll(async () => {
  await stack?.stop();
});

it('stops and restarts Redis on the same port: 503 through nginx meanwhile, 202 after, the API untouched', async () => {
  const api = stack.apis[0]?.child;
  const body = sampleTaskBody('calculate_var', 'low', 41);
  expect((await stack.postTask(body)).status).toBe(202);

  await stack.stopRedis({ hard: true });
  expect(stack.redis?.child.isRunning()).toBe(false);
  const refused = await stack.postTask(body);
  expect(refused.status, refused.text).toBe(503);

  await stack.startRedis();
  const accepted = await waitFor(
    'the API to use Redis again',
    async () => {
      const response = await stack.postTask(body);
      return response.status === 202 ? response : undefined;
    },
    { timeoutMs: 30_000, intervalMs: 250 },
  );
  expect(accepted.json()?.task_id).toBeTruthy();
  expect(stack.apis[0]?.child).toBe(api);
  expect(api?.isRunning()).toBe(true);
});
