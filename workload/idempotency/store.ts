/**
 * The Redis side of idempotency: runs the three Lua scripts of ./lua and checks each claim
 * answer against the pure specification in decision.ts. The only module here that does I/O.
 */
import { createHash, randomBytes } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { dtqError } from '../../contract/dtq-error.ts';
import type { RedisClient } from '../queue/redis-client.ts';
import { type Decision, decide } from './decision.ts';
import { IDEMPOTENCY_ERRORS } from './errors.ts';
import { type IdempotencyRecord, recordFromPairs, type StoredResponse } from './record.ts';

interface Script {
  readonly name: string;
  readonly source: string;
  readonly sha: string;
}

function loadScript(name: string): Script {
  const source = readFileSync(new URL(`./lua/${name}.lua`, import.meta.url), 'utf8');
  return { name, source, sha: createHash('sha1').update(source).digest('hex') };
}

const SCRIPTS = {
  claim: loadScript('claim-1'),
  complete: loadScript('complete-1'),
  release: loadScript('release-1'),
} as const;

/** A claim attempt: what the request brings. */
export interface ClaimInput {
  readonly recordKey: string;
  readonly fingerprint: string;
  readonly correlationId: string;
  readonly candidateTaskId: string;
  readonly leaseMs: number;
  readonly ttlMs: number;
}

/** The decision for a request plus, when it claimed, the token that proves ownership. */
export interface ClaimResult {
  readonly decision: Decision;
  /** Set when the decision is `claim`: pass it to complete/release. */
  readonly owner: string | undefined;
  /** The record as it was before the claim (what the decision was taken on). */
  readonly previous: IdempotencyRecord | undefined;
}

/**
 * Idempotency records in Redis. Uses the caller's ioredis client without changing it
 * (EVALSHA with an EVAL fallback instead of defineCommand).
 */
export class IdempotencyStore {
  readonly #redis: RedisClient;

  constructor(redis: RedisClient) {
    this.#redis = redis;
  }

  async #run(script: Script, keys: readonly string[], args: readonly (string | number)[]): Promise<unknown> {
    try {
      return await this.#redis.evalsha(script.sha, keys.length, ...keys, ...args);
    } catch (error) {
      if (!(error instanceof Error) || !error.message.startsWith('NOSCRIPT')) throw error;
      return this.#redis.eval(script.source, keys.length, ...keys, ...args);
    }
  }

  /** Claim atomically, or learn why not (replay, in flight, mismatch). */
  async claim(input: ClaimInput): Promise<ClaimResult> {
    const owner = randomBytes(16).toString('hex');
    let raw: unknown;
    try {
      raw = await this.#run(
        SCRIPTS.claim,
        [input.recordKey],
        [input.fingerprint, owner, input.correlationId, input.candidateTaskId, input.leaseMs, input.ttlMs],
      );
    } catch (error) {
      // The answer was lost (timeout, dropped connection) but the claim may have landed: give
      // it back, best effort, so retries need not wait out the lease. Not awaited: RedisClient is
      // struggling and the caller is already failing.
      this.release(input.recordKey, owner, 'forget').catch(() => {});
      throw error;
    }
    if (!Array.isArray(raw) || raw.length < 3) {
      throw dtqError(IDEMPOTENCY_ERRORS.STORE_INCONSISTENT, { detail: 'claim-1.lua returned an unexpected shape' });
    }
    const [claimed, now, taskId, ...pairs] = raw.map(String);
    const previous = recordFromPairs(pairs);
    const decision = decide(
      previous,
      { fingerprint: input.fingerprint, candidateTaskId: input.candidateTaskId },
      Number(now),
    );
    const agrees =
      claimed === '1' ? decision.kind === 'claim' && decision.taskId === taskId : decision.kind !== 'claim';
    if (!agrees) {
      throw dtqError(IDEMPOTENCY_ERRORS.STORE_INCONSISTENT, {
        detail: `script claimed=${claimed} task=${taskId}, specification says ${decision.kind}`,
      });
    }
    return { decision, owner: decision.kind === 'claim' ? owner : undefined, previous };
  }

  /** Store the first response; false when the claim was lost (lease expired and taken over). */
  async complete(recordKey: string, owner: string, response: StoredResponse, ttlMs: number): Promise<boolean> {
    const stored = await this.#run(
      SCRIPTS.complete,
      [recordKey],
      [owner, response.status, response.body, JSON.stringify(response.headers), ttlMs],
    );
    return Number(stored) === 1;
  }

  /**
   * Give the claim back after a failed request: `forget` (refused, 4xx) deletes a record
   * claimed once, `keep` marks it released with its task id. False when it was no longer ours.
   */
  async release(recordKey: string, owner: string, mode: 'forget' | 'keep'): Promise<boolean> {
    return Number(await this.#run(SCRIPTS.release, [recordKey], [owner, mode])) === 1;
  }

  /** The record of a scope as stored (for tests and diagnostics). */
  async read(recordKey: string): Promise<IdempotencyRecord | undefined> {
    return recordFromPairs(await this.#redis.hgetall(recordKey).then(flattenHash));
  }
}

function flattenHash(hash: Record<string, string>): string[] {
  return Object.entries(hash).flat();
}
