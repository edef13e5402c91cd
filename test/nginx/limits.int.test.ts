/** What nginx refuses itself answers in the API's error format: 413 body, 431 headers, 502 no upstream, 504 no answer. */
import { type AddressInfo, createServer, type Server } from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { BODY_LIMIT_BYTES } from '../../workload/api/config.ts';
import { type ApiHarness, startApiHarness } from '../api/api-harness.ts';
import { freePort } from '../utils/free-port.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';

let api: ApiHarness;
let nginx: TestNginx;
let nowhere: TestNginx;
let silent: Server;
let slow: TestNginx;

beforeAll(async () => {
  api = await startApiHarness();
  nginx = await startNginx({ upstreams: [await api.listen()] });
  // An upstream port nobody listens on.
  nowhere = await startNginx({ upstreams: [`127.0.0.1:${await freePort()}`], retryAfterS: 4 });
  // An upstream that takes the request and never answers.
  silent = createServer((socket) => socket.on('error', () => {}));
  await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
  slow = await startNginx({ upstreams: [`127.0.0.1:${(silent.address() as AddressInfo).port}`], readTimeoutS: 1 });
});

afterAll(async () => {
  await Promise.all([nginx?.stop(), nowhere?.stop(), slow?.stop()]);
  silent?.close();
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

  it('answers 504 with Retry-After, saying the outcome is unknown, when an instance takes the request and never answers', async () => {
    const response = await fetch(`${slow.url}/api/v1/tasks`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-request-id': 'never-answered' },
      body: '{}',
    });
    expect(response.status).toBe(504);
    expect(response.headers.get('retry-after')).toBe('2');
    const error = await errorOf(response);
    expect(error).toMatchObject({ code: 'DTQ_ERR_API_UPSTREAM_TIMEOUT', correlation_id: 'never-answered' });
    expect(error.message).toMatch(/may or may not have been carried out/);
    const [line] = await slow.accessLines('the 504', (entry) => entry[F.CORRELATION_ID] === 'never-answered');
    expect(line).toMatchObject({ [F.HTTP_STATUS]: '504', [F.NGINX_UPSTREAM_STATUS]: '504' });
  });
});
