/**
 * The API as a Fastify instance, built apart from listening (tests call `inject()`): shared
 * plugins first (correlation header, errors, request metrics, OpenAPI collection), then routes,
 * in load order. Fastify's logger is our pino
 * logger, and the request id is the correlation id, so every request log line carries it.
 */
import type { IncomingMessage, Server, ServerResponse } from 'node:http';
import fastifySwagger from '@fastify/swagger';
import Fastify, { type FastifyInstance } from 'fastify';
import type { Logger } from 'pino';
import { CORRELATION_ID_HEADER, correlationIdFrom } from '../../contract/correlation-id.ts';
import { idempotencyConfigFromEnv } from '../idempotency/config.ts';
import { idempotencyPlugin } from '../idempotency/plugin.ts';
import type { TaskQueue } from '../queue/task-queue.ts';
import { createClientErrorHandler } from './client-error.ts';
import {
  API_MAX_HEADER_BYTES,
  type ApiConfig,
  BODY_LIMIT_BYTES,
  DEFAULT_MAX_BODY_DEPTH,
  defaultWorkBudgets,
  MAX_PARAM_LENGTH,
} from './config.ts';
import { parseJsonBody } from './json-body.ts';
import { ApiLogController } from './log-controller.ts';
import { createApiMetrics } from './metrics.ts';
import { SWAGGER_OPTIONS } from './openapi.ts';
import { correlationHeader } from './plugins/correlation-header.ts';
import { answerFrameworkError, errorHandler } from './plugins/error-handler.ts';
import { requestMetrics } from './plugins/request-metrics.ts';
import './request-context.ts';
import { requestSpan, spanFields } from './request-trace.ts';
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
    Partial<Pick<ApiConfig, 'redisTarget' | 'maxBodyDepth' | 'workBudgets'>>;
}

/** The API's Fastify instance type (its logger is pino's). */
export type ApiApp = FastifyInstance<Server, IncomingMessage, ServerResponse, Logger>;

/** Build the API (not listening). */
export function buildApp(deps: AppDeps): ApiApp {
  const { logger, queue, config } = deps;
  const logController = new ApiLogController();
  const app = Fastify({
    // Instance-level lines (e.g. "Server listening") are not vocabulary events: only warnings
    // and worse get through. Request loggers are full-level children of our logger.
    loggerInstance: logger.child({}, { level: 'warn' }),
    // Every line of a request carries its correlation id and its span (request-trace.ts).
    childLoggerFactory: (_instanceLogger, bindings, options, raw) =>
      logger.child({ ...bindings, ...spanFields(requestSpan(raw)) }, options),
    genReqId: (request) => correlationIdFrom(request.headers[CORRELATION_ID_HEADER]).id,
    logController,
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
    readDepth: () => queue.backlog(),
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

  app.register(correlationHeader);
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
