/**
 * Issue 3, test 3 (second half): once a key's record has expired (DTQ_IDEMPOTENCY_TTL_S), the
 * key works as new: a new task with a new id, even for another body.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { waitFor } from '../utils/wait.ts';
import { type ApiCluster, startApiCluster } from './api-cluster.ts';
import { JobCounter, postTask, VAR_BODY } from './e2e-helpers.ts';

let cluster: ApiCluster;
let jobs: JobCounter;

beforeAll(async () => {
  cluster = await startApiCluster(1, { DTQ_IDEMPOTENCY_TTL_S: '2' });
  jobs = new JobCounter(cluster.redis.url);
});
afterAll(async () => {
  await jobs?.close();
  await cluster?.close();
});

describe('Idempotency-Key retention', () => {
  it('replays within the retention period and treats the key as new after it', async () => {
    const url = (cluster.apis[0] as { url: string }).url;
    const key = randomUUID();
    const first = await postTask(url, key);
    expect(first.status).toBe(202);
    const replay = await postTask(url, key);
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    expect(replay.body.equals(first.body)).toBe(true);
    expect(await jobs.redis.pttl((await jobs.redis.keys('dtq:idem:*'))[0] as string)).toBeLessThanOrEqual(2_000);

    await waitFor('the record to expire', async () => (await jobs.redis.keys('dtq:idem:*')).length === 0, {
      timeoutMs: 10_000,
    });
    const renewed = await postTask(url, key, { ...VAR_BODY, priority: 'low' });
    expect(renewed.status).toBe(202);
    expect(renewed.headers.get('idempotent-replayed')).toBeNull();
    const firstId = JSON.parse(first.body.toString()).task_id;
    const renewedId = JSON.parse(renewed.body.toString()).task_id;
    expect(renewedId).not.toBe(firstId);
    expect(await jobs.total()).toBe(2);
    expect((await jobs.find(renewedId))?.data.priority).toBe('low');
  });
});
