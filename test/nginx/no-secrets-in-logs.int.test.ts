/**
 * Credentials never reach a log: a request carrying Authorization, Proxy-Authorization and
 * Cookie (and an Idempotency-Key, which scopes by the Authorization value) goes through nginx,
 * the API and the idempotency layer, and none of their lines holds any of the secrets.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { urlTarget } from '../../workload/queue/redis-target.ts';
import { type ApiHarness, EXAMPLE_BODY, startApiHarness } from '../api/api-harness.ts';
import { startNginx, type TestNginx } from '../utils/nginx.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';

let redis: TestRedis;
let api: ApiHarness;
let nginx: TestNginx;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApiHarness({ redisTarget: urlTarget(redis.url) }, { redis });
  nginx = await startNginx({ upstreams: [await api.listen()] });
});

afterAll(async () => {
  await nginx?.stop();
  await api?.close();
  await redis?.close();
});

const SECRETS = ['bearer-s3cret-token', 'proxy-s3cret', 'session-s3cret', 'csrf-s3cret'];

describe('secrets in logs', () => {
  it('keeps Authorization and Cookie values out of nginx and API lines', async () => {
    const response = await fetch(`${nginx.url}/api/v1/tasks`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-request-id': 'with-credentials',
        'idempotency-key': 'secret-test-key-1',
        authorization: `Bearer ${SECRETS[0]}`,
        'proxy-authorization': `Basic ${SECRETS[1]}`,
        cookie: `sid=${SECRETS[2]}; csrf=${SECRETS[3]}`,
      },
      body: EXAMPLE_BODY,
    });
    expect(response.status).toBe(202);
    await nginx.accessLines('the request', (line) => line[F.CORRELATION_ID] === 'with-credentials');
    const apiLines = await waitFor('the API completion line', () => {
      const lines = api.lines().filter((line) => line[F.CORRELATION_ID] === 'with-credentials');
      return lines.some((line) => line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED) ? lines : undefined;
    });
    // The idempotency layer ran (it reads Authorization), so its lines are among those checked.
    expect(apiLines.map((line) => line[F.EVENT_ACTION])).toContain(EVENTS.IDEMPOTENCY_CLAIMED);
    for (const secret of SECRETS) {
      expect(nginx.rawAccessLog()).not.toContain(secret);
      expect(api.rawLog()).not.toContain(secret);
    }
  });
});
