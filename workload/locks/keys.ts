/**
 * Redis key layout of locks, fencing counters, fenced results and the result cache.
 *
 * Every key of a resource carries the resource as a Redis Cluster hash tag (`{<resource>}`), so
 * the scripts that touch several of them (acquireLock: lock + fence; writeResult: result +
 * cache + fence) find them in one slot, while different resources spread over the cluster's
 * slots. The tag is the text between the key's first `{` and the next `}`: the prefix has no
 * brace and a resource never starts with `}` (it starts with its task type, see resources.ts),
 * so the tag is never empty and is the same for every key of one resource, even when the
 * resource itself contains braces.
 */
import { REDIS_PREFIX } from '../queue/contract.ts';

const tagged = (kind: string, resource: string): string => `${REDIS_PREFIX}:${kind}:{${resource}}`;

/** Lock of a resource: JSON {token, fence, task_id, correlation_id}, expiring with the lease. */
export const lockKey = (resource: string): string => tagged('lock', resource);
/** Last fencing token handed out for a resource (never expires, so tokens only grow). */
export const fenceKey = (resource: string): string => tagged('fence', resource);
/** Last result written for a resource, with the fence that wrote it and a write counter. */
export const resultKey = (resource: string): string => tagged('result', resource);
/**
 * Single-flight cache entry for a hash of a task's inputs. Written in one script with the
 * resource's result and fence, so it lives in the resource's slot; the resource is a function
 * of the inputs (resources.ts), so one hash always has one key.
 */
export const cacheKey = (resource: string, inputsHash: string): string => `${tagged('cache', resource)}:${inputsHash}`;
