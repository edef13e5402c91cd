/**
 * Echo the correlation id (request.id: the client's valid X-Request-ID or a generated one) in
 * the X-Request-ID response header of every answer, errors included.
 */
import type { FastifyReply, FastifyRequest } from 'fastify';
import fastifyPlugin from 'fastify-plugin';
import { CORRELATION_ID_HEADER } from '../../../contract/correlation-id.ts';

async function echo(request: FastifyRequest, reply: FastifyReply): Promise<void> {
  reply.header(CORRELATION_ID_HEADER, request.id);
}

/** Adds the X-Request-ID response header to every route (fastify-plugin: its hook is not encapsulated). */
export const correlationHeader = fastifyPlugin(
  async (app) => {
    app.addHook('onRequest', echo);
  },
  { name: 'dtq-correlation-header' },
);
