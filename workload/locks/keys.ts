/** Redis key layout of locks, fencing counters, fenced results and the result cache. */
import { REDIS_PREFIX } from '../queue/contract.ts';

/** Lock of a resource: JSON {token, fence, task_id, correlation_id}, expiring with the lease. */
export const lockKey = (resource: string): string => `${REDIS_PREFIX}:lock:${resource}`;
/** Last fencing token handed out for a resource (never expires, so tokens only grow). */
export const fenceKey = (resource: string): string => `${REDIS_PREFIX}:fence:${resource}`;
/** Last result written for a resource, with the fence that wrote it and a write counter. */
export const resultKey = (resource: string): string => `${REDIS_PREFIX}:result:${resource}`;
/** Single-flight cache entry for a hash of a task's inputs. */
export const cacheKey = (inputsHash: string): string => `${REDIS_PREFIX}:cache:${inputsHash}`;
