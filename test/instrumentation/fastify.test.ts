/**
 * The Fastify instrumentation on its own, as a user's service would use it: one app, no dtq
 * workload, lines captured from the pino logger it is given.
 */
import { Writable } from 'node:stream';
import Fastify from 'fastify';
import pino from 'pino';
import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { correlationIdEcho, fastifyInstrumentation, requestLog, traceparentOf } from '../../instrumentation/fastify.ts';

const CALLER_TRACE = '0af7651916cd43dd8448eb211c80319c';
const CALLER_SPAN = 'b7ad6b7169203331';

function service(options: Partial<Parameters<typeof fastifyInstrumentation>[0]> = {}) {
  const lines: Record<string, unknown>[] = [];
  const sink = new Writable({
    write(chunk, _encoding, done) {
      lines.push(JSON.parse(String(chunk)));
      done();
    },
  });
  const logger = pino({ messageKey: F.MESSAGE }, sink);
  const app = Fastify({ ...fastifyInstrumentation({ logger, ...options }) });
  app.register(correlationIdEcho);
  app.get('/hello/:name', async (request) => {
    requestLog(request).info('inside the handler');
    return { traceparent: traceparentOf(request) };
  });
  app.get('/boom', async () => {
    throw new Error('it broke');
  });
  return { app, lines };
}

const actions = (lines: Record<string, unknown>[]) => lines.map((line) => line[F.EVENT_ACTION]).filter(Boolean);

describe('the Fastify instrumentation', () => {
  it('writes received and completed lines with the client’s X-Request-ID and a child of its traceparent', async () => {
    const { app, lines } = service();
    const reply = await app.inject({
      url: '/hello/ada?secret=1',
      headers: { 'x-request-id': 'req-1', traceparent: `00-${CALLER_TRACE}-${CALLER_SPAN}-01` },
    });
    expect(reply.headers['x-request-id']).toBe('req-1');
    expect(actions(lines)).toEqual([EVENTS.HTTP_REQUEST_RECEIVED, EVENTS.HTTP_REQUEST_COMPLETED]);
    const span = lines[0]?.[F.SPAN_ID];
    for (const line of lines) {
      expect(line).toMatchObject({
        [F.CORRELATION_ID]: 'req-1',
        [F.TRACE_ID]: CALLER_TRACE,
        [F.PARENT_ID]: CALLER_SPAN,
      });
      expect(line[F.SPAN_ID]).toBe(span);
    }
    expect(lines[0]).toMatchObject({
      [F.URL_PATH]: '/hello/ada',
      [F.HTTP_ROUTE]: '/hello/:name',
      [F.HTTP_METHOD]: 'GET',
    });
    expect(lines[2]).toMatchObject({ [F.HTTP_STATUS]: 200, [F.EVENT_OUTCOME]: 'success' });
    expect(reply.json()).toEqual({ traceparent: `00-${CALLER_TRACE}-${span}-01` });
  });

  it('replaces an invalid X-Request-ID and says so without logging it', async () => {
    const { app, lines } = service();
    const reply = await app.inject({ url: '/hello/x', headers: { 'x-request-id': 'bad id with spaces' } });
    const id = reply.headers['x-request-id'];
    expect(id).toMatch(/^[0-9a-f]{32}$/);
    expect(lines[0]?.[F.CORRELATION_ID]).toBe(id);
    expect(lines[0]?.[F.MESSAGE]).toBe('GET /hello/x (invalid X-Request-ID replaced)');
    expect(JSON.stringify(lines)).not.toContain('bad id with spaces');
  });

  it('never writes Authorization or Cookie', async () => {
    const { app, lines } = service();
    await app.inject({ url: '/hello/x', headers: { authorization: 'Bearer s3cret', cookie: 'sid=s3cret' } });
    expect(lines.length).toBeGreaterThan(0);
    expect(JSON.stringify(lines)).not.toContain('s3cret');
  });

  it('logs a thrown error on the completion line at level error, with the service’s own fields over the defaults', async () => {
    const { app, lines } = service({
      requestFields: () => ({ [F.TASK_ID]: 'from-params' }),
      completedFields: (_request, _reply, failure) => ({ [F.ERROR_CODE]: failure ? 'APP_CODE' : 'none' }),
    });
    await app.inject({ url: '/boom' });
    const completed = lines.find((line) => line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED);
    expect(completed).toMatchObject({
      [F.HTTP_STATUS]: 500,
      [F.EVENT_OUTCOME]: 'failure',
      [F.ERROR_MESSAGE]: 'it broke',
      [F.ERROR_CODE]: 'APP_CODE',
      [F.TASK_ID]: 'from-params',
      level: 50,
    });
  });
});
