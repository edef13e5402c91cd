/** Mark a Fastify plugin as shared (what the fastify-plugin package does, without the dependency). */
import type { FastifyPluginAsync } from 'fastify';

/**
 * Hooks, decorators and handlers a shared plugin adds apply to its parent scope instead of
 * an encapsulated child, so request logging and the error handler cover every route.
 */
export function sharedPlugin<Options extends Record<string, unknown>>(
  name: string,
  plugin: FastifyPluginAsync<Options>,
): FastifyPluginAsync<Options> {
  const marked = plugin as FastifyPluginAsync<Options> & Record<symbol, unknown>;
  marked[Symbol.for('skip-override')] = true;
  marked[Symbol.for('fastify.display-name')] = name;
  return marked;
}
