/**
 * Fastify plugin: Idempotency-Key on the routes it is given (POST /api/v1/tasks by default).
 *
 * Hooks, in request order:
 * - preValidation: parse the key (malformed → 400) and fingerprint the body as the client sent
 *   it (before any defaults are applied).
 * - preHandler (after body parsing and schema validation, so a body Fastify refuses stores
 *   nothing): claim the scope in Redis, then run the decision's handler (decision-handlers.ts).
 *   Claimed → `request.idempotency = {key, taskId}` and the route's handler runs; the service
 *   enqueues under taskId. Otherwise replay the stored response, or answer 409 / 422.
 * - onSend: store a 2xx response byte for byte, or release the claim on any other status so the
 *   key stays usable.
 *
 * The plugin answers its own errors in the API's error shape (`{error: {code, message,
 * correlation_id, ...context}}`) so they keep their DTQ_ERR_IDEMPOTENCY_* codes whatever the
 * app's error handler does with foreign errors.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { Logger } from 'pino';
import { DtqError, dtqError, errorBody } from '../../contract/dtq-error.ts';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { type EventFields, errorFields, logEvent } from '../../instrumentation/events.ts';
import type { RedisClient } from '../queue/redis-client.ts';
import { createProducerRedis } from '../queue/redis-connection.ts';
import type { RedisTarget } from '../queue/redis-target.ts';
import { type IdempotencyConfig, idempotencyConfigFromEnv } from './config.ts';
import { handleDecision, type IdempotencyClaim, type IdempotencyOutcome } from './decision-handlers.ts';
import { IDEMPOTENCY_ERRORS } from './errors.ts';
import { fingerprintBody } from './fingerprint.ts';
import { IDEMPOTENCY_KEY_HEADER, parseIdempotencyKey } from './key.ts';
import { REPLAYED_HEADERS } from './record.ts';
import { clientIdentity, newTaskId, recordKey, scopeHash } from './scope.ts';
import { type ClaimResult, IdempotencyStore } from './store.ts';

export {
  IDEMPOTENCY_OUTCOMES,
  IDEMPOTENT_REPLAYED_HEADER,
  type IdempotencyClaim,
  type IdempotencyOutcome,
} from './decision-handlers.ts';

declare module 'fastify' {
  interface FastifyRequest {
    /** Set by the idempotency plugin when this request claimed its Idempotency-Key; the handler enqueues under its taskId. */
    idempotency: IdempotencyClaim | null;
  }
}

/**
 * The error a request was answered with, which the dtq API's completion log line reads. The API
 * declares the property (workload/api/request-context.ts); the plugin writes it through this view
 * so that it works, without a competing declaration, in an app that does not declare it.
 */
type AnsweredRequest = FastifyRequest & { dtqError?: DtqError };

/**
 * Test-only request header (honoured only with DTQ_FAULTS=1): milliseconds to pause after the
 * handler ran and before the response is stored, so a test can kill the process in between.
 */
export const FAULT_PAUSE_HEADER = 'x-dtq-fault-idempotency-pause-ms';

/** A route the plugin guards. `url` is the route pattern as registered. */
export interface GuardedRoute {
  readonly method: string;
  readonly url: string;
}

/** Options of {@link idempotencyPlugin}: give `redis`, or `redisTarget` and `logger` to open a connection. */
export interface IdempotencyPluginOptions {
  /** An ioredis client, used as is (EVALSHA/EVAL only) and not closed by the plugin. */
  readonly redis?: RedisClient;
  /** Or: open a fail-fast connection (the API's) to this Redis (a string is a URL), closed with the app. */
  readonly redisTarget?: RedisTarget | string;
  /** Process logger for that connection's outage/recovery lines. */
  readonly logger?: Logger;
  /** Default: {@link idempotencyConfigFromEnv}. */
  readonly config?: IdempotencyConfig;
  readonly routes?: readonly GuardedRoute[];
  /** The request's correlation id; default `request.id`. */
  readonly correlationIdOf?: (request: FastifyRequest) => string;
  /** True when `request.log` already binds correlation_id (the dtq API does). */
  readonly logBindsCorrelationId?: boolean;
  /** Called once per keyed request with how it was decided (the API counts them as a metric). */
  readonly onOutcome?: (outcome: IdempotencyOutcome) => void;
}

/** The route the dtq API guards. */
export const DEFAULT_GUARDED_ROUTES: readonly GuardedRoute[] = [{ method: 'POST', url: '/api/v1/tasks' }];

/** A keyed request between its hooks: set in preValidation, completed by the claim. */
interface RequestState {
  readonly key: string;
  readonly fingerprint: string;
  recordKey?: string;
  owner?: string;
  taskId?: string;
}

/** How long app startup waits for a connection it opened; Redis being down must not block it. */
const STARTUP_CONNECT_WAIT_MS = 2000;

async function openRedis(
  options: IdempotencyPluginOptions,
): Promise<{ redis: RedisClient | undefined; close: () => Promise<void> }> {
  if (options.redis !== undefined) return { redis: options.redis, close: async () => {} };
  if (options.redisTarget === undefined || options.logger === undefined) {
    return { redis: undefined, close: async () => {} };
  }
  const connection = createProducerRedis(options.redisTarget, options.logger);
  // This connection is the plugin's own: let ioredis send the scripts of concurrent requests
  // issued in one event-loop tick in one write (auto-pipelining, read per command), so keyed
  // requests arriving together share one write and one read instead of one each.
  connection.client.options.enableAutoPipelining = true;
  // The connection refuses commands until ready (no offline queue), so the first requests
  // would get 503 for nothing: give it a moment at startup.
  await connection.whenReady(STARTUP_CONNECT_WAIT_MS);
  return { redis: connection.client, close: () => connection.close() };
}

async function idempotency(app: FastifyInstance, options: IdempotencyPluginOptions): Promise<void> {
  const config = options.config ?? idempotencyConfigFromEnv();
  const routes = options.routes ?? DEFAULT_GUARDED_ROUTES;
  const report = options.onOutcome ?? (() => {});
  const connection = await openRedis(options);
  app.addHook('onClose', async () => connection.close());
  // Without a store the plugin fails closed: a keyed request is refused (503), never run unguarded.
  const store = connection.redis === undefined ? undefined : new IdempotencyStore(connection.redis);
  const correlationIdOf = options.correlationIdOf ?? ((request: FastifyRequest) => request.id);
  const states = new WeakMap<FastifyRequest, RequestState>();
  const ttlMs = config.ttlSeconds * 1000;
  app.decorateRequest('idempotency', null);

  const guarded = (request: FastifyRequest): boolean =>
    routes.some((r) => r.method === request.method && r.url === request.routeOptions.url);

  const baseFields = (request: FastifyRequest, key: string): EventFields => ({
    ...(options.logBindsCorrelationId ? {} : { [F.CORRELATION_ID]: correlationIdOf(request) }),
    [F.IDEMPOTENCY_KEY]: key,
  });

  const refuse = (request: FastifyRequest, reply: FastifyReply, error: DtqError): FastifyReply => {
    (request as AnsweredRequest).dtqError = error;
    const retryAfter = error.context.retry_after_s;
    if (typeof retryAfter === 'number') reply.header('retry-after', String(retryAfter));
    return reply.code(error.statusCode ?? 500).send(errorBody(error, correlationIdOf(request)));
  };

  /** Claim the request's scope in Redis; an error answer (503, or 500 on a script bug) when that fails. */
  const claim = async (request: FastifyRequest, state: RequestState, hash: string): Promise<ClaimResult | DtqError> => {
    try {
      if (store === undefined) throw new Error('no Redis connection was configured for the idempotency store');
      return await store.claim({
        recordKey: recordKey(hash),
        fingerprint: state.fingerprint,
        correlationId: correlationIdOf(request),
        candidateTaskId: newTaskId(hash),
        leaseMs: config.inFlightMs,
        ttlMs,
      });
    } catch (error) {
      if (error instanceof DtqError && error.code === IDEMPOTENCY_ERRORS.STORE_INCONSISTENT.code) {
        // A dtq bug, not an outage: its code and message go out on the completion line.
        return error;
      }
      logEvent(
        request.log,
        'error',
        EVENTS.IDEMPOTENCY_STORE_FAILED,
        { ...baseFields(request, state.key), [F.DEPENDENCY_NAME]: 'redis', ...errorFields(error) },
        'idempotency claim failed; answering 503',
      );
      return dtqError(IDEMPOTENCY_ERRORS.STORE_UNAVAILABLE, { retry_after_s: 1 }, error);
    }
  };

  app.addHook('preValidation', async (request, reply) => {
    // Node keeps every Idempotency-Key line in the parsed headers (repeats joined), so a request
    // without one there has none in its raw headers either: only a keyed request is scanned.
    if (request.headers[IDEMPOTENCY_KEY_HEADER] === undefined || !guarded(request)) return;
    const parsed = parseIdempotencyKey(request.raw.rawHeaders);
    if (!parsed.ok) {
      report('invalid_key');
      return refuse(request, reply, dtqError(IDEMPOTENCY_ERRORS.KEY_INVALID, { reason: parsed.reason }));
    }
    if (parsed.key === undefined) return;
    states.set(request, { key: parsed.key, fingerprint: fingerprintBody(request.body) });
  });

  // After body parsing and validation, so a body Fastify refuses stores nothing.
  app.addHook('preHandler', async (request, reply) => {
    const state = states.get(request);
    if (state === undefined) return;
    const hash = scopeHashOf(request, state);
    state.recordKey = recordKey(hash);
    const result = await claim(request, state, hash);
    if (result instanceof DtqError) {
      states.delete(request);
      report('store_failed');
      return refuse(request, reply, result);
    }
    if (result.decision.kind === 'claim') state.owner = result.owner;
    else states.delete(request);
    return handleDecision({
      decision: result.decision,
      request,
      reply,
      key: state.key,
      fields: baseFields(request, state.key),
      retryAfterMaxSeconds: config.retryAfterMaxSeconds,
      refuse: (error) => refuse(request, reply, error),
      claimed: (claimed) => {
        state.taskId = claimed.taskId;
        request.idempotency = claimed;
      },
      report,
    });
  });

  app.addHook('onSend', async (request, reply, payload) => {
    const state = states.get(request);
    if (state?.owner === undefined || state.recordKey === undefined || store === undefined) return payload;
    states.delete(request);
    await faultPause(config, request);
    const body = payloadText(payload);
    const status = reply.statusCode;
    try {
      if (status >= 200 && status < 300 && body !== undefined) {
        const stored = await store.complete(
          state.recordKey,
          state.owner,
          { status, body, headers: replayedHeaders(reply) },
          ttlMs,
        );
        if (!stored) warnLost(request, state, 'storing its response');
      } else {
        // A refused request (4xx) did no work: forget the claim. After a 5xx the outcome may be
        // unknown (e.g. an enqueue that timed out), so the task id is kept for a retry.
        const mode = status >= 400 && status < 500 ? 'forget' : 'keep';
        if (!(await store.release(state.recordKey, state.owner, mode))) warnLost(request, state, 'releasing it');
      }
    } catch (error) {
      // The response still goes out: the claim expires after its lease and a retry takes it
      // over with the same task id, which the queue deduplicates.
      logEvent(
        request.log,
        'warn',
        EVENTS.DEPENDENCY_UNAVAILABLE,
        { [F.DEPENDENCY_NAME]: 'redis', ...errorFields(error) },
        'could not store the idempotent response; the claim will expire after its lease',
      );
    }
    return payload;
  });

  function warnLost(request: FastifyRequest, state: RequestState, what: string): void {
    logEvent(
      request.log,
      'warn',
      EVENTS.IDEMPOTENCY_CLAIM_LOST,
      { ...baseFields(request, state.key), [F.TASK_ID]: state.taskId },
      `idempotency claim lost before ${what}: its lease expired and another request took it over`,
    );
  }
}

function scopeHashOf(request: FastifyRequest, state: RequestState): string {
  return scopeHash({
    client: clientIdentity(request.headers.authorization),
    method: request.method,
    route: request.routeOptions.url ?? request.url,
    key: state.key,
  });
}

/**
 * Idempotency-Key handling. Wrapped with fastify-plugin so its hooks and the `idempotency`
 * request decorator apply to the routes of the instance that registers it, not to an
 * encapsulated child.
 */
export const idempotencyPlugin = fastifyPlugin(idempotency, { name: 'dtq-idempotency', fastify: '5.x' });

function replayedHeaders(reply: FastifyReply): Record<string, string> {
  const headers: Record<string, string> = {};
  for (const name of REPLAYED_HEADERS) {
    const value = reply.getHeader(name);
    if (value !== undefined) headers[name] = String(value);
  }
  return headers;
}

function payloadText(payload: unknown): string | undefined {
  if (typeof payload === 'string') return payload;
  if (Buffer.isBuffer(payload)) {
    const text = payload.toString('utf8');
    return Buffer.from(text, 'utf8').equals(payload) ? text : undefined;
  }
  return undefined;
}

async function faultPause(config: IdempotencyConfig, request: FastifyRequest): Promise<void> {
  if (!config.faultsEnabled) return;
  const ms = Number(request.headers[FAULT_PAUSE_HEADER]);
  if (Number.isInteger(ms) && ms > 0) await sleep(Math.min(ms, 60_000));
}
