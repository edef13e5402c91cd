/**
 * When a job last became ready to run, for `task.queue_wait`. BullMQ keeps the enqueue time
 * but not when a retry's backoff ended or when a stalled job was put back, so the worker that
 * schedules the retry (or detects the stall) records that moment here.
 */
import { REDIS_PREFIX } from '../queue/contract.ts';
import type { RedisClient } from '../queue/redis-client.ts';

const key = (taskId: string) => `${REDIS_PREFIX}:ready-at:${taskId}`;
/** Records expire after a day: they only matter until the next attempt starts. */
const TTL_MS = 86_400_000;

/** Record that the task becomes ready at `epochMs`. Best effort: a failure only skews a metric. */
export async function recordReadyAt(redis: RedisClient, taskId: string, epochMs: number): Promise<void> {
  await redis.set(key(taskId), String(epochMs), 'PX', TTL_MS).catch(() => undefined);
}

/** When the task last became ready, or `fallback` (its enqueue time) when nothing was recorded. */
export async function readyAt(redis: RedisClient, taskId: string, fallback: number): Promise<number> {
  const value = await redis.get(key(taskId)).catch(() => null);
  const parsed = value === null ? Number.NaN : Number(value);
  return Number.isFinite(parsed) ? parsed : fallback;
}
