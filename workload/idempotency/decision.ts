/**
 * What to do with a request that carries an Idempotency-Key, given the record found for its
 * scope. Pure: this is the specification that lua/claim-1.lua implements atomically, and the
 * store checks every script answer against it (test/idempotency/decision.int.test.ts runs one
 * table of cases through both).
 */
import type { IdempotencyRecord, StoredResponse } from './record.ts';

/** The request side of a decision. */
export interface ClaimAttempt {
  readonly fingerprint: string;
  /** Task id to use if this request starts a new life of the record. */
  readonly candidateTaskId: string;
}

/** The outcome for one request. */
export type Decision =
  /** Run the request. `previous` is the record it took over (a dead owner's or a released one). */
  | { readonly kind: 'claim'; readonly taskId: string; readonly previous: IdempotencyRecord | undefined }
  /** Send the stored first response again. */
  | { readonly kind: 'replay'; readonly record: IdempotencyRecord; readonly response: StoredResponse }
  /** The first request is still running: 409. */
  | { readonly kind: 'in_flight'; readonly record: IdempotencyRecord; readonly retryAfterMs: number }
  /** Same key, different body: 422, record untouched. */
  | { readonly kind: 'mismatch'; readonly record: IdempotencyRecord };

/** Decide at `nowMs` (Redis clock) what a request does, given its scope's record. */
export function decide(record: IdempotencyRecord | undefined, attempt: ClaimAttempt, nowMs: number): Decision {
  if (record === undefined) return { kind: 'claim', taskId: attempt.candidateTaskId, previous: undefined };
  const samePayload = record.fingerprint === attempt.fingerprint;
  if (record.state === 'released') {
    // A released claim produced no stored response (its request failed). The same body keeps
    // the same task id, so if the failed attempt did enqueue, the queue drops the repeat; a
    // different body is a new intent and gets a new id.
    return { kind: 'claim', taskId: samePayload ? record.taskId : attempt.candidateTaskId, previous: record };
  }
  if (!samePayload) return { kind: 'mismatch', record };
  if (record.state === 'completed') {
    if (record.response === undefined) return { kind: 'in_flight', record, retryAfterMs: 0 };
    return { kind: 'replay', record, response: record.response };
  }
  if (record.leaseUntilMs > nowMs) return { kind: 'in_flight', record, retryAfterMs: record.leaseUntilMs - nowMs };
  // The owner's lease ran out (it died or hung): exactly one request takes over, same task id.
  return { kind: 'claim', taskId: record.taskId, previous: record };
}

/** Retry-After in whole seconds: the first request normally ends within milliseconds, so 1 s at least. */
export function retryAfterSeconds(retryAfterMs: number, maxSeconds: number): number {
  return Math.min(Math.max(1, Math.ceil(retryAfterMs / 1000)), Math.max(1, maxSeconds));
}
