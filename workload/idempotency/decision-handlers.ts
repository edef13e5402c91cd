/**
 * What the plugin does with each decision of decision.ts: one handler per kind, looked up in
 * {@link DECISION_HANDLERS}. A handler logs the decision's event, reports its outcome and either
 * lets the route's handler run (claim) or answers the request itself (replay, 409, 422).
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import { type DtqError, dtqError } from '../../contract/dtq-error.ts';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { type EventFields, logEvent } from '../../instrumentation/events.ts';
import { type Decision, retryAfterSeconds } from './decision.ts';
import { IDEMPOTENCY_ERRORS } from './errors.ts';
import type { IdempotencyRecord } from './record.ts';

/** Header set on a replayed response. */
export const IDEMPOTENT_REPLAYED_HEADER = 'idempotent-replayed';

/**
 * How a keyed request was decided, for metrics: a new claim, a takeover of an abandoned claim,
 * a re-claim after a failed attempt released it, a replay, a 409, a 422, a malformed key (400),
 * or a store failure (503 or 500).
 */
export type IdempotencyOutcome =
  | 'new'
  | 'taken_over'
  | 'reclaimed'
  | 'replayed'
  | 'in_flight'
  | 'mismatch'
  | 'invalid_key'
  | 'store_failed';

/** Every outcome, in the order of {@link IdempotencyOutcome}. */
export const IDEMPOTENCY_OUTCOMES: readonly IdempotencyOutcome[] = [
  'new',
  'taken_over',
  'reclaimed',
  'replayed',
  'in_flight',
  'mismatch',
  'invalid_key',
  'store_failed',
];

/** A request's claim: the client's key and the task id reserved for it, which the handler enqueues under. */
export interface IdempotencyClaim {
  readonly key: string;
  readonly taskId: string;
  /**
   * True when the task id is an earlier claim's (a takeover, or a re-claim with the same body):
   * that claim may have enqueued it already, so the enqueue may find the job there.
   */
  readonly reusedTaskId: boolean;
}

/** What a decision handler works with. */
export interface DecisionContext<D extends Decision> {
  readonly decision: D;
  readonly request: FastifyRequest;
  readonly reply: FastifyReply;
  /** The request's Idempotency-Key. */
  readonly key: string;
  /** `correlation_id` (unless the request logger binds it) and `idempotency.key`. */
  readonly fields: EventFields;
  /** Upper bound of Retry-After on 409. */
  readonly retryAfterMaxSeconds: number;
  /** Answer with an error in the API's error shape. */
  readonly refuse: (error: DtqError) => FastifyReply;
  /** Record that the request runs under `claim`. */
  readonly claimed: (claim: IdempotencyClaim) => void;
  /** Report the request's outcome (counted by the API's metrics). */
  readonly report: (outcome: IdempotencyOutcome) => void;
}

type DecisionOf<K extends Decision['kind']> = Extract<Decision, { kind: K }>;

/** A decision's handler: returns the reply when it answered, undefined to let the route run. */
export type DecisionHandler<K extends Decision['kind']> = (
  context: DecisionContext<DecisionOf<K>>,
) => FastifyReply | undefined;

function originalFields(record: IdempotencyRecord): EventFields {
  return { [F.ORIGINAL_TASK_ID]: record.taskId, [F.ORIGINAL_CORRELATION_ID]: record.correlationId };
}

const CLAIM_MESSAGES = {
  new: 'idempotency key claimed',
  reclaimed: 'idempotency key claimed again after a failed attempt released it',
  taken_over: 'idempotency key taken over: the previous claim expired without a response',
} as const satisfies Partial<Record<IdempotencyOutcome, string>>;

const onClaim: DecisionHandler<'claim'> = ({ decision, request, key, fields, claimed, report }) => {
  const { previous, taskId } = decision;
  claimed({ key, taskId, reusedTaskId: previous?.taskId === taskId });
  const outcome = previous === undefined ? 'new' : previous.state === 'released' ? 'reclaimed' : 'taken_over';
  report(outcome);
  if (outcome === 'taken_over' && previous !== undefined) {
    // Its own event: the request it took over from was not refused and may still be running
    // (hung, paused, or about to answer), so both traces must be able to tell.
    logEvent(
      request.log,
      'warn',
      EVENTS.IDEMPOTENCY_TAKEN_OVER,
      { ...fields, [F.TASK_ID]: taskId, ...originalFields(previous) },
      `${CLAIM_MESSAGES.taken_over} (request ${previous.correlationId}); that request's work may still be running`,
    );
    return undefined;
  }
  logEvent(
    request.log,
    'info',
    EVENTS.IDEMPOTENCY_CLAIMED,
    { ...fields, [F.TASK_ID]: taskId, ...(previous ? originalFields(previous) : {}) },
    CLAIM_MESSAGES[outcome],
  );
  return undefined;
};

const onReplay: DecisionHandler<'replay'> = ({ decision, request, reply, fields, report }) => {
  report('replayed');
  logEvent(
    request.log,
    'info',
    EVENTS.IDEMPOTENCY_REPLAYED,
    { ...fields, ...originalFields(decision.record) },
    'duplicate request answered with the stored first response',
  );
  reply.code(decision.response.status);
  for (const [name, value] of Object.entries(decision.response.headers)) reply.header(name, value);
  return reply.header(IDEMPOTENT_REPLAYED_HEADER, 'true').send(decision.response.body);
};

const onInFlight: DecisionHandler<'in_flight'> = ({
  decision,
  request,
  fields,
  retryAfterMaxSeconds,
  refuse,
  report,
}) => {
  report('in_flight');
  logEvent(
    request.log,
    'warn',
    EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT,
    { ...fields, ...originalFields(decision.record) },
    'duplicate request refused: the first one with this key is still in flight',
  );
  const seconds = retryAfterSeconds(decision.retryAfterMs, retryAfterMaxSeconds);
  return refuse(dtqError(IDEMPOTENCY_ERRORS.IN_FLIGHT, { task_id: decision.record.taskId, retry_after_s: seconds }));
};

const onMismatch: DecisionHandler<'mismatch'> = ({ decision, request, fields, refuse, report }) => {
  report('mismatch');
  logEvent(
    request.log,
    'warn',
    EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH,
    { ...fields, ...originalFields(decision.record) },
    'request refused: this idempotency key was used with a different body',
  );
  return refuse(dtqError(IDEMPOTENCY_ERRORS.PAYLOAD_MISMATCH, { task_id: decision.record.taskId }));
};

/** The handler of each decision kind. */
export const DECISION_HANDLERS: { readonly [K in Decision['kind']]: DecisionHandler<K> } = {
  claim: onClaim,
  replay: onReplay,
  in_flight: onInFlight,
  mismatch: onMismatch,
};

/** Run the handler of `context.decision`'s kind. */
export function handleDecision(context: DecisionContext<Decision>): FastifyReply | undefined {
  const handler = DECISION_HANDLERS[context.decision.kind] as DecisionHandler<Decision['kind']>;
  return handler(context as DecisionContext<never>);
}
