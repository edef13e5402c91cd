/** GET /metrics: this instance's Prometheus metrics (scrape each instance, not the load balancer). */
import type { FastifyPluginAsync } from 'fastify';
import type { ApiMetrics } from '../../metrics.ts';
import { DESCRIBE_ONLY, METRICS_SCHEMA } from '../../openapi.ts';

/** Options of {@link metricsRoutes}. */
export interface MetricsRoutesOptions {
  metrics: ApiMetrics;
}

/** The metrics route. */
export const metricsRoutes: FastifyPluginAsync<MetricsRoutesOptions> = async (app, { metrics }) => {
  app.get('/metrics', { schema: METRICS_SCHEMA, ...DESCRIBE_ONLY }, async (_request, reply) => {
    const text = await metrics.registry.metrics();
    return reply.type(metrics.registry.contentType).send(text);
  });
};
