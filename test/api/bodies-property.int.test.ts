/**
 * A bounded property run (fixed seed, 200 cases) against a real API on a real Redis, over real
 * HTTP: hostile bodies with hostile headers (control characters, repeated or malformed
 * Idempotency-Keys, odd correlation ids and Content-Types). Every answer is a 202 or a JSON
 * error with a DTQ_ERR_ code and the request's correlation id, never a 5xx.
 */
import { connect } from 'node:net';
import fc from 'fast-check';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CORRELATION_ID_PATTERN } from '../../contract/correlation-id.ts';
import { urlTarget } from '../../workload/queue/redis-target.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';
import { hostileBody, nestedText } from './request-fuzz-arbitraries.ts';

let redis: TestRedis;
let api: ApiHarness;
let port: number;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApiHarness({ redisTarget: urlTarget(redis.url) }, { redis });
  port = Number((await api.listen()).split(':')[1]);
});

afterAll(async () => {
  await api?.close();
  await redis?.close();
});

interface Answer {
  status: number;
  headers: Map<string, string>;
  body: string;
}

/** One request over its own connection, read to the end (bounded by a deadline). */
function send(head: string, body: Buffer): Promise<Answer> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1', () => {
      // No half-close: Node's server drops a connection whose client ended before the answer.
      socket.write(head, 'latin1');
      socket.write(body);
    });
    const chunks: Buffer[] = [];
    const deadline = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no answer within 10 s to ${head.slice(0, 200)}`));
    }, 10_000);
    socket.on('data', (chunk) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearTimeout(deadline);
      const text = Buffer.concat(chunks).toString('utf8');
      const split = text.indexOf('\r\n\r\n');
      const [statusLine = '', ...lines] = text.slice(0, split).split('\r\n');
      const headers = new Map(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      resolve({ status: Number(statusLine.split(' ')[1]), headers, body: text.slice(split + 4) });
    });
  });
}

/** Header values as a client could put them on the wire: printable, latin-1, or with control bytes. */
const headerValue = fc.oneof(
  { weight: 4, arbitrary: fc.stringMatching(/^[A-Za-z0-9._:-]{1,40}$/) },
  { weight: 1, arbitrary: fc.string({ unit: 'binary-ascii', maxLength: 300 }).map((s) => s.replace(/[\r\n]/g, '')) },
  { weight: 1, arbitrary: fc.constantFrom('a\u0001b', 'x\u001b[2J', '\u007f', 'é', '"quoted"', '"unclosed', '') },
);

const request = fc.record({
  body: fc.oneof(
    { weight: 8, arbitrary: hostileBody.map((b) => JSON.stringify(b) ?? 'null') },
    {
      weight: 1,
      arbitrary: fc.integer({ min: 60, max: 5000 }).map((d) => `{"task_type":"stress_test","data":${nestedText(d)}}`),
    },
    { weight: 1, arbitrary: fc.string({ unit: 'binary', maxLength: 100 }) },
  ),
  contentType: fc.oneof(
    { weight: 8, arbitrary: fc.constant('application/json') },
    { weight: 1, arbitrary: fc.constantFrom('application/json; charset=utf-8', 'text/plain', 'application/xml') },
  ),
  correlationId: fc.option(headerValue, { nil: undefined }),
  idempotencyKeys: fc.array(headerValue, { maxLength: 2 }),
  userAgent: fc.option(headerValue, { nil: undefined }),
});

describe('hostile requests against a real API', () => {
  it('answers every one with 202 or a JSON DTQ_ERR_ error carrying its correlation id, never a 5xx', async () => {
    const seen = new Set<string>();
    await fc.assert(
      fc.asyncProperty(request, async ({ body, contentType, correlationId, idempotencyKeys, userAgent }) => {
        const payload = Buffer.from(body, 'utf8');
        const head = [
          'POST /api/v1/tasks HTTP/1.1',
          'Host: api',
          `Content-Type: ${contentType}`,
          `Content-Length: ${payload.length}`,
          ...(correlationId === undefined ? [] : [`X-Request-ID: ${correlationId}`]),
          ...idempotencyKeys.map((key) => `Idempotency-Key: ${key}`),
          ...(userAgent === undefined ? [] : [`User-Agent: ${userAgent}`]),
          'Connection: close',
          '',
          '',
        ].join('\r\n');
        const answer = await send(head, payload);
        expect(answer.status, answer.body).toBeGreaterThanOrEqual(200);
        expect(answer.status, answer.body).toBeLessThan(500);
        expect(answer.headers.get('content-type')).toMatch(/^application\/json/);
        const json = JSON.parse(answer.body) as { task_id?: string; error?: { code: string; correlation_id: string } };
        const correlation = answer.headers.get('x-request-id');
        expect(correlation).toMatch(CORRELATION_ID_PATTERN);
        if (answer.status === 202) {
          expect(json.task_id).toBeTypeOf('string');
          seen.add('202');
          return;
        }
        expect(json.error?.code).toMatch(/^DTQ_ERR_[A-Z_]+$/);
        seen.add(String(json.error?.code));
        expect(json.error?.correlation_id).toBe(correlation);
      }),
      { seed: 42, numRuns: 200 },
    );
    // The run reached acceptance, validation, the body parser's limits and Node's own parser.
    for (const outcome of [
      '202',
      'DTQ_ERR_API_INVALID_FIELD',
      'DTQ_ERR_API_BODY_TOO_DEEP',
      'DTQ_ERR_API_BAD_REQUEST',
    ]) {
      expect(seen, [...seen].join(', ')).toContain(outcome);
    }
    // None was an internal error.
    const lines = api.lines();
    expect(lines.some((line) => line['error.code'] === 'DTQ_ERR_API_INTERNAL')).toBe(false);
  });
});
