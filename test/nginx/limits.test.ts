/** What nginx refuses itself answers in the API's error format: 413 body, 431 headers, 502 no upstream. */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { BODY_LIMIT_BYTES } from '../../workload/api/config.ts';
import { F } from '../../workload/log/vocabulary.ts';
import { type ApiHarness, startApiHarness } from '../api/api-harness.ts';
import { freePort } from '../utils/free-port.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';

let api: ApiHarness;
let nginx: TestNginx;
let nowhere: TestNginx;

beforeAll(async () => {
  api = await startApiHarness();
  nginx = await startNginx({ upstreams: [await api.listen()] });
  // An upstream port nobody listens on.
  nowhere = await startNginx({ upstreams: [`127.0.0.1:${await freePort()}`], retryAfterS: 4 });
});

afterAll(async () => {
  await Promise.all([nginx?.stop(), nowhere?.stop()]);
  await api?.close();
});

async function errorOf(response: Response) {
  expect(response.headers.get('content-type')).toMatch(/application\/json/);
  const body = (await response.json()) as { error: { code: string; message: string; correlation_id: string } };
  expect(body.error.correlation_id).toBe(response.headers.get('x-request-id'));
  return body.error;
}

describe('limits at the nginx door', () => {
  it('answers 413 in the API format for a body over 1 MiB', async () => {
    const response = await fetch(`${nginx.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'too-big-1' },
      body: 'x'.repeat(BODY_LIMIT_BYTES + 1),
    });
    expect(response.status).toBe(413);
    const error = await errorOf(response);
    expect(error).toMatchObject({ code: 'DTQ_ERR_API_BODY_TOO_LARGE', correlation_id: 'too-big-1' });
    expect(error.message).toContain(String(BODY_LIMIT_BYTES));
  });

  it('passes a body of exactly 1 MiB on to the API', async () => {
    const response = await fetch(`${nginx.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: `"${'x'.repeat(BODY_LIMIT_BYTES - 2)}"`,
    });
    // The API parses it and refuses the content, not the size.
    expect(response.status).toBe(400);
    expect((await errorOf(response)).code).toBe('DTQ_ERR_API_INVALID_FIELD');
  });

  it('answers 431 in the API format for a 100 KB header', async () => {
    const response = await fetch(`${nginx.url}/health`, {
      headers: { 'x-request-id': 'big-header-1', 'x-padding': 'p'.repeat(100 * 1024) },
    });
    expect(response.status).toBe(431);
    expect((await errorOf(response)).code).toBe('DTQ_ERR_API_HEADER_TOO_LARGE');
    await nginx.accessLines('the 431', (entry) => entry[F.HTTP_STATUS] === '431');
    expect(nginx.rawAccessLog()).not.toContain('pppppppp');
  });

  it('answers 502 with Retry-After when no API instance answers', async () => {
    const response = await fetch(`${nowhere.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'nobody-home' },
      body: '{}',
    });
    expect(response.status).toBe(502);
    expect(response.headers.get('retry-after')).toBe('4');
    expect(await errorOf(response)).toMatchObject({ code: 'DTQ_ERR_API_NO_UPSTREAM', correlation_id: 'nobody-home' });
    const [line] = await nowhere.accessLines('the 502', (entry) => entry[F.CORRELATION_ID] === 'nobody-home');
    expect(line).toMatchObject({ [F.HTTP_STATUS]: '502', [F.NGINX_UPSTREAM_STATUS]: '502' });
  });
});
