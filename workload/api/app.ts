/**
 * The API as a Fastify instance, built apart from listening (tests call `inject()`): shared
 * plugins first (correlation id echo, errors, request metrics, OpenAPI collection), then routes,
 * in load order. Its request lines, correlation id and trace context come from the Fastify
 * instrumentation (instrumentation/fastify.ts), with the API's task id and answered error added.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { correlationIdEcho, fastifyInstrumentation } from '../../instrumentation/fastify.ts';
import { idempotencyConfigFromEnv } from '../idempotency/config.ts';
import { idempotencyPlugin } from '../idempotency/plugin.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import { createClientErrorHandler } from './client-error.ts';
import {
  API_MAX_HEADER_BYTES,
  type ApiConfig,
  BODY_LIMIT_BYTES,
  DEFAULT_MAX_BODY_DEPTH,
  DEFAULT_QUEUE_DEPTH_LOG_MS,
  defaultWorkBudgets,
  MAX_PARAM_LENGTH,
} from './config.ts';
import { parseJsonBody } from './json-body.ts';
import { createApiMetrics } from './metrics.ts';
import { SWAGGER_OPTIONS } from './openapi.ts';
import { answerFrameworkError, errorHandler } from './plugins/error-handler.ts';
import { requestMetrics } from './plugins/request-metrics.ts';
import './request-context.ts';
import { API_REQUEST_FIELDS } from './request-log-fields.ts';
import { healthRoutes } from './routes/health/index.ts';
import { metricsRoutes } from './routes/metrics/index.ts';
import { openapiRoutes } from './routes/openapi/index.ts';
import { taskRoutes } from './routes/tasks/index.ts';
import { createCircuitBreaker } from './services/circuit-breaker.ts';
import { createTaskService } from './services/task-service.ts';

/** What the API needs from outside: a logger, the queue, and its settings. */
export interface AppDeps {
  logger: Logger;
  queue: TaskQueue;
  /** Without redisTarget the idempotency plugin fails closed: requests with an Idempotency-Key get 503. */
  config: Pick<ApiConfig, 'instance' | 'faults' | 'circuitThreshold' | 'circuitCacheMs' | 'retryAfterS'> &
    Partial<Pick<ApiConfig, 'redisTarget' | 'maxBodyDepth' | 'workBudgets' | 'queueDepthLogMs'>>;
}

/** The API's Fastify instance type (its logger is pino's). */
export type ApiApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

/** Build the API (not listening). */
export function buildApp(deps: AppDeps): ApiApp {
  const { logger, queue, config } = deps;
  const instrumentation = fastifyInstrumentation({ logger, ...API_REQUEST_FIELDS });
  const { logController } = instrumentation;
  const app = Fastify({
    ...instrumentation,
    bodyLimit: BODY_LIMIT_BYTES,
    http: { maxHeaderSize: API_MAX_HEADER_BYTES },
    routerOptions: { maxParamLength: MAX_PARAM_LENGTH },
    frameworkErrors: (error, request, reply) => {
      // Fastify logs these requests as received but, with no route, never as completed.
      reply.raw.once('finish', () => logController.requestCompleted(null, request, reply));
      return answerFrameworkError(error, request, reply, config.retryAfterS);
    },
    // What Node's parser refuses (control characters in headers, unknown methods) still gets
    // the API's error body, a correlation id and a log line.
    clientErrorHandler: createClientErrorHandler(logger),
    return503OnClosing: true,
  });
  app.decorateRequest('dtqError', undefined);
  app.decorateRequest('dtqTaskId', undefined);

  const breaker = createCircuitBreaker({
    threshold: config.circuitThreshold,
    cacheMs: config.circuitCacheMs,
    readDepth: async () => {
      const counts = await queue.counts();
      return {
        high: counts.high.waiting + counts.high.delayed,
        medium: counts.medium.waiting + counts.medium.delayed,
        low: counts.low.waiting + counts.low.delayed,
      };
    },
    depthLog: { log: logger, everyMs: config.queueDepthLogMs ?? DEFAULT_QUEUE_DEPTH_LOG_MS },
  });
  const service = createTaskService({
    queue,
    breaker,
    faults: config.faults,
    retryAfterS: config.retryAfterS,
    workBudgets: config.workBudgets ?? defaultWorkBudgets(),
  });
  const metrics = createApiMetrics({ instance: config.instance, queue, breaker });

  // Only JSON bodies are accepted; without this, text/plain would reach the handler as a string.
  app.removeContentTypeParser('text/plain');
  const maxBodyDepth = config.maxBodyDepth ?? DEFAULT_MAX_BODY_DEPTH;
  app.removeContentTypeParser('application/json');
  app.addContentTypeParser('application/json', { parseAs: 'string' }, (_request, body, done) => {
    try {
      done(null, parseJsonBody(body as string, maxBodyDepth));
    } catch (error) {
      done(error as Error, undefined);
    }
  });

  app.register(correlationIdEcho);
  app.register(errorHandler, { retryAfterS: config.retryAfterS });
  app.register(requestMetrics, { metrics });
  // Before any route: it collects the schemas of the routes registered after it.
  app.register(fastifySwagger, SWAGGER_OPTIONS);
  app.register(healthRoutes, { queue, instance: config.instance });
  app.register(metricsRoutes, { metrics });
  app.register(openapiRoutes);
  app.register(idempotencyPlugin, {
    ...(config.redisTarget === undefined ? {} : { redisTarget: config.redisTarget }),
    logger,
    config: { ...idempotencyConfigFromEnv(), faultsEnabled: config.faults },
    logBindsCorrelationId: true,
    onOutcome: metrics.idempotencyDecided,
  });
  app.register(taskRoutes, { service });
  return app;
}
