/**
 * W3C Trace Context through a real nginx, in front of an upstream that records what it gets:
 * nginx is a span of its own. A valid client traceparent continues the client's trace; anything
 * else starts one from $request_id. Upstream always gets nginx's own span as parent, the access
 * line carries trace.id, span.id and http.request.id, and a hostile value goes nowhere.
 */
import { createServer, request as httpRequest, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseTraceparent } from '../../contract/trace-context.ts';
import { F, type LogRecord } from '../../contract/vocabulary.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';

const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';
const CLIENT_SPAN = '00f067aa0ba902b7';

let upstream: Server;
let nginx: TestNginx;
const received = new Map<string, IncomingHttpHeaders>();

beforeAll(async () => {
  upstream = createServer((req, res) => {
    received.set(String(req.headers['x-request-id']), req.headers);
    res.writeHead(200, { 'content-type': 'application/json' });
    res.end('{}');
  });
  await new Promise<void>((resolve) => upstream.listen(0, '127.0.0.1', resolve));
  nginx = await startNginx({ upstreams: [`127.0.0.1:${(upstream.address() as AddressInfo).port}`] });
});

afterAll(async () => {
  await nginx?.stop();
  await new Promise((resolve) => upstream?.close(resolve));
});

interface Seen {
  /** What the upstream received. */
  readonly forwarded: IncomingHttpHeaders;
  /** nginx's access line. */
  readonly access: LogRecord;
  /** The answer's headers. */
  readonly answered: IncomingHttpHeaders;
}

/** A GET through nginx with raw header values (node:http writes them as latin1, unchecked). */
async function through(id: string, headers: Record<string, string>): Promise<Seen> {
  const answered = await new Promise<IncomingHttpHeaders>((resolve, reject) => {
    const req = httpRequest({ host: '127.0.0.1', port: nginx.port, path: '/health' }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.headers));
    });
    req.on('error', reject);
    req.setHeader('x-request-id', id);
    for (const [name, value] of Object.entries(headers)) req.setHeader(name, value);
    req.end();
  });
  const [access] = await nginx.accessLines(id, (line) => line[F.CORRELATION_ID] === id);
  const forwarded = received.get(id);
  if (forwarded === undefined || access === undefined) throw new Error(`request ${id} did not reach the upstream`);
  return { forwarded, access, answered };
}

function expectNginxSpan(seen: Seen, traceId: string, flags: string): void {
  const span = seen.access[F.SPAN_ID];
  expect(span).toMatch(/^[0-9a-f]{16}$/);
  expect(seen.access[F.TRACE_ID]).toBe(traceId);
  expect(seen.access[F.HTTP_REQUEST_ID]).toMatch(/^[0-9a-f]{32}$/);
  expect(seen.forwarded.traceparent).toBe(`00-${traceId}-${span}-${flags}`);
  expect(parseTraceparent(seen.forwarded.traceparent)).toBeDefined();
  // nginx adds no trace header to the answer: the client's value is never echoed.
  expect(seen.answered).not.toHaveProperty('traceparent');
}

describe('traceparent through nginx', () => {
  it("continues a valid client trace as a child of the client's span, tracestate passed on", async () => {
    const seen = await through('tp-valid', { traceparent: `00-${TRACE}-${CLIENT_SPAN}-01`, tracestate: 'vendor=abc' });
    expectNginxSpan(seen, TRACE, '01');
    expect(seen.access[F.SPAN_ID]).not.toBe(CLIENT_SPAN);
    expect(seen.forwarded.tracestate).toBe('vendor=abc');
  });

  it("keeps the client's flags, and reads a later version's first four parts only", async () => {
    expectNginxSpan(await through('tp-unsampled', { traceparent: `00-${TRACE}-${CLIENT_SPAN}-00` }), TRACE, '00');
    const future = await through('tp-future', { traceparent: `01-${TRACE}-${CLIENT_SPAN}-01-whatever-follows` });
    expectNginxSpan(future, TRACE, '01');
    expect(JSON.stringify(future.forwarded)).not.toContain('whatever-follows');
  });

  it('starts a trace of its own, from $request_id, without a traceparent', async () => {
    const seen = await through('tp-none', {});
    expectNginxSpan(seen, String(seen.access[F.HTTP_REQUEST_ID]), '01');
    expect(seen.forwarded).not.toHaveProperty('tracestate');
  });

  it('gives every request its own span and request id', async () => {
    const a = await through('tp-twice-a', { traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` });
    const b = await through('tp-twice-b', { traceparent: `00-${TRACE}-${CLIENT_SPAN}-01` });
    expect(a.access[F.SPAN_ID]).not.toBe(b.access[F.SPAN_ID]);
    expect(a.access[F.HTTP_REQUEST_ID]).not.toBe(b.access[F.HTTP_REQUEST_ID]);
  });

  it.each([
    ['uppercase hex', `00-${TRACE.toUpperCase()}-${CLIENT_SPAN}-01`],
    ['version ff', `ff-${TRACE}-${CLIENT_SPAN}-01`],
    ['an all-zero trace id', `00-${'0'.repeat(32)}-${CLIENT_SPAN}-01`],
    ['an all-zero parent id', `00-${TRACE}-${'0'.repeat(16)}-01`],
    ['version 00, too long', `00-${TRACE}-${CLIENT_SPAN}-01-x`],
    ['quotes and braces', `00-${TRACE}-${CLIENT_SPAN}-01"},{"injected":"1`],
    ['a tab and a backslash', `00-${TRACE}\t\\-${CLIENT_SPAN}-01`],
    ['non-ASCII (UTF-8 bytes)', Buffer.from(`00-${TRACE}-${CLIENT_SPAN}-01-\u2603`, 'utf8').toString('latin1')],
  ])(
    'replaces a traceparent with %s by a trace of its own, and never forwards, echoes or logs it',
    async (name, hostile) => {
      const id = `tp-hostile-${name.replaceAll(/[^a-z0-9]+/gi, '-')}`;
      const seen = await through(id, { traceparent: hostile, tracestate: 'vendor=from-a-bad-parent' });
      expectNginxSpan(seen, String(seen.access[F.HTTP_REQUEST_ID]), '01');
      expect(seen.forwarded).not.toHaveProperty('tracestate');
      for (const form of [hostile, JSON.stringify(hostile).slice(1, -1)]) {
        expect(nginx.rawAccessLog()).not.toContain(form);
        expect(JSON.stringify(seen.forwarded)).not.toContain(form);
        expect(JSON.stringify(seen.answered)).not.toContain(form);
      }
    },
  );
});
