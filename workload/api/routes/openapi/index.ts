/** The OpenAPI document, GET /openapi.json and GET /documentation/json (hidden from itself). */
import type { FastifyPluginAsync } from 'fastify';
import { OPENAPI_PATHS } from '../../openapi.ts';

/** Serves `app.swagger()`: @fastify/swagger must be registered on the root before the routes. */
export const openapiRoutes: FastifyPluginAsync = async (app) => {
  for (const path of OPENAPI_PATHS) {
    app.get(path, { schema: { hide: true } }, async () => app.swagger());
  }
};
