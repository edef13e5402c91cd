/** Times every answered request, errors and unknown routes included, into the API's metrics. */
import type { FastifyPluginAsync } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import type { ApiMetrics } from '../metrics.ts';

/** Options of {@link requestMetrics}. */
export interface RequestMetricsOptions {
  metrics: ApiMetrics;
}

const observe: FastifyPluginAsync<RequestMetricsOptions> = async (app, { metrics }) => {
  app.addHook('onResponse', async (request, reply) => {
    // The 404 handler has no route pattern: its requests share one series whatever their path.
    const route = request.is404 ? undefined : request.routeOptions.url;
    metrics.requestCompleted(route, request.method, reply.statusCode, reply.elapsedTime / 1000);
  });
};

/** An onResponse hook on every route (fastify-plugin: not encapsulated). */
export const requestMetrics = fastifyPlugin(observe, { name: 'dtq-request-metrics' });
