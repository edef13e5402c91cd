/**
 * Probes: GET /health (the process is alive), GET /ready (Redis answers; queue depths), and
 * GET /noop, a route that touches nothing, the baseline of the API benchmark.
 */
import type { FastifyPluginAsync } from 'fastify';
import type { TaskQueue } from '../../../queue/task-queue.ts';
import { DESCRIBE_ONLY, HEALTH_SCHEMA, READY_SCHEMA } from '../../openapi.ts';

/** Options of {@link healthRoutes}. */
export interface HealthRoutesOptions extends Record<string, unknown> {
  queue: TaskQueue;
  instance: string;
}

/** Liveness, readiness and no-op routes. */
export const healthRoutes: FastifyPluginAsync<HealthRoutesOptions> = async (app, { queue, instance }) => {
  app.get('/health', { schema: HEALTH_SCHEMA, ...DESCRIBE_ONLY }, async () => ({ status: 'ok', instance }));

  // Reading the counts is the Redis check: no separate PING. Failures (Redis down or slow)
  // become 503 DTQ_ERR_API_REDIS_UNAVAILABLE in the error handler.
  app.get('/ready', { schema: READY_SCHEMA, ...DESCRIBE_ONLY }, async () => ({
    status: 'ready',
    instance,
    redis: 'up',
    queues: await queue.counts(),
  }));

  // Serialized by its schema (fast-json-stringify), as a minimal Fastify route would be.
  app.get(
    '/noop',
    {
      schema: {
        summary: 'Touches nothing: the baseline of the API benchmark',
        tags: ['probes'],
        response: { 200: { description: 'OK.', type: 'object', properties: { ok: { type: 'boolean' } } } },
      },
    },
    async () => ({
      ok: true,
    }),
  );
};
