/**
 * A percent-encoded path is one request, not two: the API logs the path as the client sent
 * it, nginx logs `$uri` decoded and normalised, and the explorer pairs them in nginx's form.
 * The lines come from a real nginx (1.22) in front of a real API; path-forms.test.ts pins the
 * same forms without servers.
 */
import { request } from 'node:http';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F, type LogRecord, normalizeNginxLine } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { polledTaskId } from '../../explorer/model/join.ts';
import type { Hit } from '../../explorer/model/types.ts';
import { type ApiHarness, startApiHarness } from '../api/api-harness.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';

/**
 * Paths as sent, each under its own correlation id. (Dot segments are left out here: nginx
 * hands the API the resolved path for those, so both lines agree already.)
 */
const SENT = {
  'enc-space': '/api/v1/tasks/a%20b',
  'enc-slash': '/api/v1/tasks/a%2Fb',
  'enc-slashes': '/api/v1/tasks/a%2F%2Fb',
  'enc-utf8': '/api/v1/tasks/caf%c3%a9',
  'enc-invalid': '/api/v1/tasks/%c0%ae',
  'enc-percent': '/api/v1/tasks/%2541',
} as const;

let api: ApiHarness;
let nginx: TestNginx;

/** GET `path` through nginx, sent byte for byte as written (no client-side normalisation). */
function get(path: string, correlationId: string): Promise<number> {
  return new Promise((resolve, reject) => {
    const req = request(`${nginx.url}${path}`, { headers: { 'x-request-id': correlationId } }, (res) => {
      res.resume();
      res.on('end', () => resolve(res.statusCode ?? 0));
    });
    req.on('error', reject);
    req.end();
  });
}

beforeAll(async () => {
  api = await startApiHarness();
  nginx = await startNginx({ upstreams: [await api.listen()] });
  for (const [cid, path] of Object.entries(SENT)) await get(path, cid);
  await nginx.accessLines(
    'one access line per request',
    (line) => String(line[F.CORRELATION_ID]).startsWith('enc-'),
    Object.keys(SENT).length,
  );
});

afterAll(async () => {
  await nginx?.stop();
  await api?.close();
});

function hits(): Hit[] {
  const apiLines = api.lines().map((record, i) => ({ source: `api:${i}`, record }));
  const nginxLines = nginx
    .accessLog()
    .map((record, i) => ({ source: `nginx:${i}`, record: normalizeNginxLine(record) }));
  return [...apiLines, ...nginxLines];
}

describe('a request whose path has percent escapes, through nginx', () => {
  it.each(Object.keys(SENT))('%s is one request with its nginx line and no false gap', (cid) => {
    const all = hits();
    const own = (records: readonly Hit[], action: string): LogRecord[] =>
      records
        .filter((h) => h.record[F.CORRELATION_ID] === cid && h.record[F.EVENT_ACTION] === action)
        .map((h) => h.record);
    // Both writers logged it, each in its own form.
    const [received] = own(all, EVENTS.HTTP_REQUEST_RECEIVED);
    const [access] = own(all, EVENTS.NGINX_ACCESS);
    expect(received?.[F.URL_PATH]).toBe(SENT[cid as keyof typeof SENT]);
    expect(access?.[F.URL_PATH]).not.toBe(SENT[cid as keyof typeof SENT]);

    const trace = buildTrace(all, { correlationId: cid, now: Date.now(), source: 'files' });
    expect(trace.requests).toHaveLength(1);
    expect(trace.requests[0]?.nginx).toBeDefined();
    expect(trace.requests[0]?.path).toBe(SENT[cid as keyof typeof SENT]);
    expect(trace.gaps.map((g) => g.kind)).toEqual([]);
    // A status poll names the same task from either line.
    expect(polledTaskId(access as LogRecord)).toBe(polledTaskId(received as LogRecord));
  });
});
