/**
 * The scope of an Idempotency-Key: the same key means the same intent only for the same
 * client, method and route. The scope names the Redis record and the task id, both derived by
 * hashing, so no client-controlled text ever becomes part of a Redis key or a job id.
 */
import { createHash, randomBytes } from 'node:crypto';
import { REDIS_PREFIX } from '../queue/contract.ts';

/** Client identity used when a request carries no credentials. */
export const ANONYMOUS_CLIENT = 'anonymous';

/** What a key is scoped to. `client` is already a hash, never a credential. */
export interface IdempotencyScope {
  readonly client: string;
  readonly method: string;
  readonly route: string;
  readonly key: string;
}

function sha256Hex(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}

/**
 * The client identity: a hash of the Authorization header when there is one (so two API
 * tokens never share keys and the token itself is never stored), else {@link ANONYMOUS_CLIENT}.
 */
export function clientIdentity(authorization: string | undefined): string {
  return authorization ? `auth-${sha256Hex(authorization).slice(0, 32)}` : ANONYMOUS_CLIENT;
}

/** Hex SHA-256 of the scope; JSON keeps the four parts from running into each other. */
export function scopeHash(scope: IdempotencyScope): string {
  return sha256Hex(JSON.stringify([scope.client, scope.method, scope.route, scope.key]));
}

/** The Redis key of a scope's record: `dtq:idem:<sha256>`. */
export function recordKey(hash: string): string {
  return `${REDIS_PREFIX}:idem:${hash}`;
}

/** Prefix every task id of this scope shares: `idem-<first 32 hex of the scope hash>`. */
export function taskIdPrefix(hash: string): string {
  return `idem-${hash.slice(0, 32)}`;
}

/**
 * A task id for a new life of the scope's record: the scope prefix plus a random generation
 * tag. Every claim within one record's life reuses the stored id (so the queue drops a second
 * enqueue); a key reused after its record expired gets a new id, so new work is not mistaken
 * for a job BullMQ still retains. Only [a-z0-9-]: BullMQ forbids ':' and all-digit ids.
 */
export function newTaskId(hash: string): string {
  return `${taskIdPrefix(hash)}-${randomBytes(4).toString('hex')}`;
}
