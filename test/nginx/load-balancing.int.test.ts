/**
 * Round-robin over three API instances, and passive health: when one instance dies, requests
 * keep succeeding on the others (a refused connection is retried on the next upstream).
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { type ApiHarness, EXAMPLE_BODY, startApiHarness } from '../api/api-harness.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';

let redis: TestRedis;
let apis: ApiHarness[] = [];
let upstreams: string[] = [];
let nginx: TestNginx;

beforeAll(async () => {
  redis = await startRedis();
  apis = await Promise.all(['api-1', 'api-2', 'api-3'].map((instance) => startApiHarness({ instance }, { redis })));
  upstreams = await Promise.all(apis.map((api) => api.listen()));
  nginx = await startNginx({ upstreams, maxFails: 1, failTimeoutS: 30 });
});

afterAll(async () => {
  await nginx?.stop();
  await Promise.all(apis.map((api) => api.close()));
  await redis?.close();
});

async function health(): Promise<string> {
  const response = await fetch(`${nginx.url}/health`);
  expect(response.status).toBe(200);
  return ((await response.json()) as { instance: string }).instance;
}

describe('load balancing', () => {
  it('spreads requests round-robin over the three instances', async () => {
    const answered: string[] = [];
    for (let i = 0; i < 9; i++) answered.push(await health());
    expect(new Set(answered)).toEqual(new Set(['api-1', 'api-2', 'api-3']));
    // Round-robin: each instance takes a third.
    for (const instance of ['api-1', 'api-2', 'api-3']) expect(answered.filter((a) => a === instance)).toHaveLength(3);
    const lines = await nginx.accessLines('the nine requests', () => true, 9);
    const addresses = new Set(lines.map((line) => line[F.NGINX_UPSTREAM_ADDRESS]));
    expect(addresses).toEqual(new Set(upstreams));
  });

  it('keeps answering when an instance dies', async () => {
    const dead = apis[1] as ApiHarness;
    await dead.app.close();
    const statuses: number[] = [];
    for (let i = 0; i < 12; i++) {
      const response = await fetch(`${nginx.url}/api/v1/tasks`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-request-id': `after-kill-${i}` },
        body: EXAMPLE_BODY,
      });
      statuses.push(response.status);
    }
    expect(statuses).toEqual(Array(12).fill(202));
    const after = await nginx.accessLines(
      'the requests after the kill',
      (line) => String(line[F.CORRELATION_ID]).startsWith('after-kill-'),
      12,
    );
    // The instance that died is tried at most once (max_fails=1), then skipped; every request
    // that hit it was passed on: nginx writes "dead, live" as the upstream address.
    const touchedDead = after.filter((line) => String(line[F.NGINX_UPSTREAM_ADDRESS]).includes(upstreams[1] as string));
    expect(touchedDead.length).toBeLessThanOrEqual(1);
    for (const line of touchedDead) expect(String(line[F.NGINX_UPSTREAM_ADDRESS])).toMatch(/, /);
    const served = new Set(after.map((line) => String(line[F.NGINX_UPSTREAM_ADDRESS]).split(', ').at(-1)));
    expect(served).toEqual(new Set([upstreams[0], upstreams[2]]));
  });
});
