/**
 * The stack's own Redis listens on a Unix socket beside its loopback port, and its Node APIs
 * and workers connect through the socket (no loopback TCP stack per command); the port stays for
 * everything else (tools, tests, the Celery system).
 */
import { Redis } from 'ioredis';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { DESIGN_NOTES_EXAMPLE } from '../../workload/stack/sample-tasks.ts';
import { startStack, type TestStack } from '../utils/stack.ts';

let stack: TestStack;

beforeAll(async () => {
  stack = await startStack({ workers: 1, apis: 1 });
});

afterAll(async () => {
  await stack?.stop();
});

it('connects the APIs and workers through the Unix socket, and still answers on its port', async () => {
  expect((await stack.postTask(DESIGN_NOTES_EXAMPLE)).status).toBe(202);
  const admin = new Redis(stack.redisUrl);
  try {
    const clients = (await admin.client('LIST')) as string;
    const socketClients = clients.split('\n').filter((line) => /\baddr=\/\S*redis\.sock:/.test(line));
    // The API's producer and idempotency connections, the worker's BullMQ and command ones.
    expect(socketClients.length).toBeGreaterThanOrEqual(3);
    const tcpClients = clients.split('\n').filter((line) => /\baddr=127\.0\.0\.1:/.test(line));
    // Only this test's own admin connection comes over TCP.
    expect(tcpClients).toHaveLength(1);
  } finally {
    admin.disconnect();
  }
});
