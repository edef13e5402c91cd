/**
 * The producer connection's startup wait, against a real redis-server: it ends on ioredis's
 * own 'ready' event, survives the failed connect attempts before Redis is up, and gives up at
 * its deadline when Redis never comes.
 */
import pino from 'pino';
import { afterAll, beforeAll, expect, it } from 'vitest';
import { createProducerRedis } from '../../workload/queue/redis-connection.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';

const silent = pino({ level: 'silent' });
let redis: TestRedis;

beforeAll(async () => {
  redis = await startRedis();
});

afterAll(async () => {
  await redis?.close();
});

it('resolves true as soon as the connection is ready', async () => {
  const connection = createProducerRedis(redis.url, silent);
  try {
    expect(await connection.whenReady(10_000)).toBe(true);
    expect(connection.isAvailable()).toBe(true);
    // Already ready: answers at once.
    expect(await connection.whenReady(1)).toBe(true);
  } finally {
    await connection.close();
  }
});

it('keeps waiting through refused connects and resolves true once Redis comes up', async () => {
  await redis.stop();
  const connection = createProducerRedis(redis.url, silent);
  const errors: Error[] = [];
  connection.client.on('error', (error) => errors.push(error));
  try {
    const waiting = connection.whenReady(30_000);
    // At least one refused connect happens while the wait is on.
    await new Promise<void>((resolve) => connection.client.once('error', () => resolve()));
    await redis.start();
    expect(await waiting).toBe(true);
    expect(errors.length).toBeGreaterThan(0);
  } finally {
    await connection.close();
  }
});

it('resolves false at its deadline when Redis does not come', async () => {
  await redis.stop();
  const connection = createProducerRedis(redis.url, silent);
  try {
    expect(await connection.whenReady(300)).toBe(false);
    expect(connection.isAvailable()).toBe(false);
  } finally {
    await connection.close();
    await redis.start();
  }
});
