/**
 * The idempotency record as kept in Redis: one hash per scope, written only by the Lua
 * scripts in ./lua. This module names its fields and turns the hash into a typed value.
 */

/** Life cycle: claimed and running, finished with a stored response, or given back after a failure. */
export type RecordState = 'in_flight' | 'completed' | 'released';

/** The first response, kept byte for byte so replays are identical. */
export interface StoredResponse {
  readonly status: number;
  readonly body: string;
  /** The headers a replay repeats (REPLAYED_HEADERS), lowercase names. */
  readonly headers: Readonly<Record<string, string>>;
}

/** Response headers stored with the body and sent again on replay; the rest is per request. */
export const REPLAYED_HEADERS = ['content-type', 'location'] as const;

/** One scope's record. */
export interface IdempotencyRecord {
  readonly state: RecordState;
  /** Fingerprint of the body that claimed it (see fingerprint.ts). */
  readonly fingerprint: string;
  /** The task (BullMQ job) id every claim of this record uses. */
  readonly taskId: string;
  /** Correlation id of the request that holds (or held) the claim and whose response is stored. */
  readonly correlationId: string;
  /** Epoch ms (Redis clock) after which an in-flight claim counts as abandoned. */
  readonly leaseUntilMs: number;
  /** How many times the record was claimed (1 + takeovers + re-claims after release). */
  readonly claims: number;
  readonly response: StoredResponse | undefined;
}

/** Hash field names, shared with the Lua scripts (which spell them too: keep in step). */
export const RECORD_FIELDS = {
  state: 'state',
  fingerprint: 'fingerprint',
  taskId: 'task_id',
  correlationId: 'correlation_id',
  owner: 'owner',
  leaseUntilMs: 'lease_until',
  claims: 'claims',
  status: 'status',
  body: 'body',
  headers: 'headers',
} as const;

const STATES: readonly string[] = ['in_flight', 'completed', 'released'] satisfies RecordState[];

/** A record from HGETALL's field/value pairs; undefined when the hash is empty or not ours. */
export function recordFromPairs(pairs: readonly string[]): IdempotencyRecord | undefined {
  if (pairs.length === 0) return undefined;
  const h = new Map<string, string>();
  for (let i = 0; i + 1 < pairs.length; i += 2) h.set(pairs[i] as string, pairs[i + 1] as string);
  const state = h.get(RECORD_FIELDS.state);
  const fingerprint = h.get(RECORD_FIELDS.fingerprint);
  const taskId = h.get(RECORD_FIELDS.taskId);
  if (state === undefined || !STATES.includes(state) || fingerprint === undefined || taskId === undefined) {
    return undefined;
  }
  const status = Number(h.get(RECORD_FIELDS.status));
  const body = h.get(RECORD_FIELDS.body);
  return {
    state: state as RecordState,
    fingerprint,
    taskId,
    correlationId: h.get(RECORD_FIELDS.correlationId) ?? '',
    leaseUntilMs: Number(h.get(RECORD_FIELDS.leaseUntilMs) ?? 0),
    claims: Number(h.get(RECORD_FIELDS.claims) ?? 0),
    response:
      state === 'completed' && Number.isInteger(status) && body !== undefined
        ? { status, body, headers: parseHeaders(h.get(RECORD_FIELDS.headers)) }
        : undefined,
  };
}

function parseHeaders(text: string | undefined): Record<string, string> {
  if (text === undefined) return {};
  try {
    const parsed: unknown = JSON.parse(text);
    if (parsed === null || typeof parsed !== 'object') return {};
    return Object.fromEntries(Object.entries(parsed).filter((e): e is [string, string] => typeof e[1] === 'string'));
  } catch {
    return {};
  }
}
