/**
 * Idempotency-Key end to end through a real nginx in front of three real API processes sharing
 * one real Redis:
 * concurrent duplicates (issue 3, test 1), a reused key with another body (test 2), replay
 * after completion and after restarting every API (test 3, first half).
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { type ApiCluster, startApiCluster } from './api-cluster.ts';
import { type Answer, JobCounter, postTask, VAR_BODY } from './e2e-helpers.ts';

let cluster: ApiCluster;
let jobs: JobCounter;

beforeAll(async () => {
  cluster = await startApiCluster(3, {}, { nginx: true });
  jobs = new JobCounter(cluster.redis.url);
});
afterAll(async () => {
  await jobs?.close();
  await cluster?.close();
});

/** Base URL of one API process, bypassing nginx. */
function api(i: number): string {
  return (cluster.apis[i % cluster.apis.length] as { url: string }).url;
}

describe('Idempotency-Key through nginx and three API processes (real Redis)', () => {
  const key = randomUUID();
  let first: Answer;

  it('creates exactly one job for 200 concurrent POSTs with one key; every other answer is a replay or a 409, each logged', async () => {
    const before = await jobs.total();
    const answers = await Promise.all(Array.from({ length: 200 }, () => postTask(cluster.url, key)));
    const created = answers.filter((a) => a.status === 202 && a.headers.get('idempotent-replayed') === null);
    expect(created).toHaveLength(1);
    first = created[0] as Answer;
    const taskId = JSON.parse(first.body.toString()).task_id as string;
    expect(await jobs.total()).toBe(before + 1);
    expect((await jobs.find(taskId))?.data.correlation_id).toBe(first.correlationId);

    const blocked = answers.filter((a) => a !== first);
    for (const a of blocked) {
      if (a.status === 409) {
        expect(a.headers.get('retry-after')).toBe('1');
        expect(JSON.parse(a.body.toString()).error).toMatchObject({
          code: 'DTQ_ERR_IDEMPOTENCY_IN_FLIGHT',
          correlation_id: a.correlationId,
          task_id: taskId,
        });
      } else {
        expect(a.status).toBe(202);
        expect(a.headers.get('idempotent-replayed')).toBe('true');
        expect(a.body.equals(first.body)).toBe(true);
        expect(a.headers.get('x-request-id')).toBe(a.correlationId);
      }
    }

    // Every blocked request left one line saying so, pointing at the original.
    const blockedLines = cluster
      .lines()
      .filter(
        (l) =>
          l[F.EVENT_ACTION] === EVENTS.IDEMPOTENCY_REPLAYED ||
          l[F.EVENT_ACTION] === EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT,
      )
      .filter((l) => l[F.IDEMPOTENCY_KEY] === key);
    expect(new Set(blockedLines.map((l) => l[F.CORRELATION_ID]))).toEqual(new Set(blocked.map((a) => a.correlationId)));
    expect(blockedLines).toHaveLength(blocked.length);
    for (const line of blockedLines) {
      expect(line[F.ORIGINAL_TASK_ID]).toBe(taskId);
      expect(line[F.ORIGINAL_CORRELATION_ID]).toBe(first.correlationId);
    }
    // nginx spread the requests: the three processes all took part.
    expect(new Set(blockedLines.map((l) => l[F.SERVICE_INSTANCE])).size).toBe(3);
    const upstreams = (cluster.nginx?.accessLog() ?? [])
      .filter((l) => blocked.some((a) => a.correlationId === l[F.CORRELATION_ID]))
      .map((l) => l[F.NGINX_UPSTREAM_ADDRESS]);
    expect(new Set(upstreams).size).toBe(3);
  });

  it('answers 422 to the same key with another body, creates no job and leaves the record unchanged', async () => {
    const [recordKey] = await jobs.redis.keys('dtq:idem:*');
    const record = await jobs.redis.hgetall(recordKey as string);
    const before = await jobs.total();
    const other = await postTask(cluster.url, key, { ...VAR_BODY, priority: 'low' });
    expect(other.status).toBe(422);
    expect(JSON.parse(other.body.toString()).error.code).toBe('DTQ_ERR_IDEMPOTENCY_PAYLOAD_MISMATCH');
    expect(await jobs.total()).toBe(before);
    expect(await jobs.redis.hgetall(recordKey as string)).toEqual(record);
    const line = cluster
      .lines()
      .find(
        (l) => l[F.EVENT_ACTION] === EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH && l[F.CORRELATION_ID] === other.correlationId,
      );
    expect(line).toMatchObject({
      [F.IDEMPOTENCY_KEY]: key,
      [F.ORIGINAL_TASK_ID]: record.task_id,
      [F.ORIGINAL_CORRELATION_ID]: first.correlationId,
    });
  });

  it('replays the byte-identical first response on every API, also after all of them restarted', async () => {
    for (let i = 0; i < 3; i++) {
      const again = await postTask(api(i), key);
      expect(again.status).toBe(202);
      expect(again.body.equals(first.body)).toBe(true);
    }
    await cluster.restartAll();
    for (let i = 0; i < 6; i++) {
      const again = await postTask(i < 3 ? api(i) : cluster.url, key);
      expect(again.status).toBe(202);
      expect(again.headers.get('idempotent-replayed')).toBe('true');
      expect(again.headers.get('location')).toBe(`/api/v1/tasks/${JSON.parse(first.body.toString()).task_id}`);
      expect(again.body.equals(first.body)).toBe(true);
    }
  });
});
