/**
 * Fenced result store and single-flight result cache. A result is written for a resource only
 * with the newest fencing token issued for it (writeResult-3.lua): once a newer holder has taken
 * the lock, an older holder's write is refused even if the newer one has not written yet. The
 * same script stores the cache entry under the hash of the task's inputs, so a later job with
 * the same inputs returns it instead of recomputing.
 */

import type { RedisClient } from '../queue/redis-client.ts';
import { cacheKey, fenceKey, resultKey } from './keys.ts';
import { runScript } from './scripts.ts';

/** What to write. */
export interface FencedWrite {
  resource: string;
  inputsHash: string;
  fence: number;
  result: unknown;
  taskId: string;
  correlationId: string;
  cacheTtlMs: number;
}

/**
 * Outcome of a fenced write: `previousFence` is the fence of the result it replaced (0 if none);
 * `lastFence` the newest token issued (or written) for the resource, which refused it.
 */
export type WriteOutcome = { written: true; previousFence: number } | { written: false; lastFence: number };

/** Write a result under fencing; rejected when a newer token has been issued for the resource. */
export async function writeFencedResult(redis: RedisClient, write: FencedWrite): Promise<WriteOutcome> {
  const reply = (await runScript(
    redis,
    'writeResult',
    [resultKey(write.resource), cacheKey(write.resource, write.inputsHash), fenceKey(write.resource)],
    [write.fence, JSON.stringify(write.result), write.taskId, write.correlationId, write.cacheTtlMs],
  )) as [number, number];
  return reply[0] === 1
    ? { written: true, previousFence: Number(reply[1]) }
    : { written: false, lastFence: Number(reply[1]) };
}

/** A cached result with the task that computed it. */
export interface CachedResult {
  result: unknown;
  task_id: string;
  correlation_id: string;
  fence: number;
}

/** The cached result for a hash of a resource's inputs, if any. */
export async function readCachedResult(
  redis: RedisClient,
  resource: string,
  inputsHash: string,
): Promise<CachedResult | undefined> {
  const raw = await redis.get(cacheKey(resource, inputsHash));
  if (raw === null) return undefined;
  try {
    return JSON.parse(raw) as CachedResult;
  } catch {
    return undefined;
  }
}

/** The last result stored for a resource, with its fence and how many writes were accepted. */
export interface StoredResult {
  fence: number;
  result: unknown;
  task_id: string;
  correlation_id: string;
  writes: number;
}

/** Read a resource's stored result (for tests and diagnostics). */
export async function readStoredResult(redis: RedisClient, resource: string): Promise<StoredResult | undefined> {
  const hash = await redis.hgetall(resultKey(resource));
  if (hash.fence === undefined) return undefined;
  return {
    fence: Number(hash.fence),
    result: JSON.parse(hash.result ?? 'null'),
    task_id: hash.task_id ?? '',
    correlation_id: hash.correlation_id ?? '',
    writes: Number(hash.writes ?? 0),
  };
}
