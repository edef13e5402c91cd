/**
 * GET /metrics on a real API (real Redis, listening on a port): requests driven through it show
 * up as counts and latencies by route, method and status, Idempotency-Key decisions by outcome,
 * the circuit breaker's state and the depth of each queue, read from BullMQ at scrape time.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { HTTP_DURATION_BUCKETS } from '../../instrumentation/metrics.ts';
import { urlTarget } from '../../workload/queue/redis-target.ts';
import { metricTypes, parseSamples, sampleValue, scrape } from '../utils/prometheus.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { type ApiHarness, EXAMPLE_BODY, startApiHarness } from './api-harness.ts';

let redis: TestRedis;
let api: ApiHarness;
let base: string;

beforeAll(async () => {
  redis = await startRedis();
  api = await startApiHarness({ redisTarget: urlTarget(redis.url), instance: 'api-metrics' }, { redis });
  base = `http://${await api.listen()}`;
});

afterAll(async () => {
  await api?.close();
  await redis?.close();
});

const metrics = () => scrape(`${base}/metrics`);

function post(body: string, headers: Record<string, string> = {}) {
  return fetch(`${base}/api/v1/tasks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
}

const requestCount = (text: string, route: string, method: string, status: number) =>
  sampleValue(text, 'dtq_http_request_duration_seconds_count', { route, method, status_code: String(status) }) ?? 0;

describe('API metrics', () => {
  it('counts and times requests by route pattern, method and status, unknown paths in one series', async () => {
    const before = await metrics();
    const created = await post(EXAMPLE_BODY);
    expect(created.status).toBe(202);
    const { task_id: taskId } = (await created.json()) as { task_id: string };
    expect((await fetch(`${base}/api/v1/tasks/${taskId}`)).status).toBe(200);
    expect((await fetch(`${base}/api/v1/tasks/no-such-task`)).status).toBe(404);
    expect((await post('{"task_type":"calculate_var"}')).status).toBe(400);
    expect((await fetch(`${base}/nowhere/${randomUUID()}`)).status).toBe(404);
    expect((await fetch(`${base}/elsewhere`)).status).toBe(404);
    const after = await metrics();

    const delta = (route: string, method: string, status: number) =>
      requestCount(after, route, method, status) - requestCount(before, route, method, status);
    expect(delta('/api/v1/tasks', 'POST', 202)).toBe(1);
    expect(delta('/api/v1/tasks', 'POST', 400)).toBe(1);
    expect(delta('/api/v1/tasks/:task_id', 'GET', 200)).toBe(1);
    expect(delta('/api/v1/tasks/:task_id', 'GET', 404)).toBe(1);
    expect(delta('unmatched', 'GET', 404)).toBe(2);

    // A histogram: cumulative buckets ending in +Inf = count, and a positive sum.
    const labels = { route: '/api/v1/tasks', method: 'POST', status_code: '202' };
    const buckets = parseSamples(after).filter(
      (s) =>
        s.name === 'dtq_http_request_duration_seconds_bucket' &&
        Object.entries(labels).every(([k, v]) => s.labels[k] === v),
    );
    expect(buckets.map((b) => b.labels.le)).toEqual([...HTTP_DURATION_BUCKETS.map(String), '+Inf']);
    const values = buckets.map((b) => b.value);
    expect(values).toEqual([...values].sort((a, b) => a - b));
    expect(values.at(-1)).toBe(requestCount(after, '/api/v1/tasks', 'POST', 202));
    expect(sampleValue(after, 'dtq_http_request_duration_seconds_sum', labels)).toBeGreaterThan(0);
    expect(metricTypes(after).get('dtq_http_request_duration_seconds')).toBe('histogram');
  });

  it('counts Idempotency-Key decisions by outcome', async () => {
    const before = await metrics();
    const key = randomUUID();
    expect((await post(EXAMPLE_BODY, { 'idempotency-key': key })).status).toBe(202);
    const replay = await post(EXAMPLE_BODY, { 'idempotency-key': key });
    expect(replay.headers.get('idempotent-replayed')).toBe('true');
    const other = EXAMPLE_BODY.replace('"high"', '"low"');
    expect((await post(other, { 'idempotency-key': key })).status).toBe(422);
    expect((await post(EXAMPLE_BODY, { 'idempotency-key': '' })).status).toBe(400);
    const after = await metrics();

    const outcome = (text: string, name: string) =>
      sampleValue(text, 'dtq_idempotency_decisions_total', { outcome: name }) ?? Number.NaN;
    const deltas = Object.fromEntries(
      ['new', 'replayed', 'mismatch', 'invalid_key', 'in_flight', 'taken_over', 'reclaimed', 'store_failed'].map(
        (name) => [name, outcome(after, name) - outcome(before, name)],
      ),
    );
    expect(deltas).toEqual({
      new: 1,
      replayed: 1,
      mismatch: 1,
      invalid_key: 1,
      in_flight: 0,
      taken_over: 0,
      reclaimed: 0,
      store_failed: 0,
    });
  });

  it('reads the depth of each queue from BullMQ when scraped', async () => {
    const counts = await api.queue.counts();
    const text = await metrics();
    for (const [queue, states] of Object.entries(counts)) {
      for (const [state, value] of Object.entries(states)) {
        expect(sampleValue(text, 'dtq_queue_jobs', { queue, state }), `${queue} ${state}`).toBe(value);
      }
    }
    // Nothing consumes the queues here: the high-priority tasks created above are all waiting.
    expect(counts.high.waiting).toBeGreaterThanOrEqual(2);
  });

  it('shows the circuit breaker open once the queues hold more than its threshold', async () => {
    const strict = await startApiHarness(
      { redisTarget: urlTarget(redis.url), instance: 'api-strict', circuitThreshold: 0, circuitCacheMs: 0 },
      { redis },
    );
    try {
      const scrapeStrict = async () => (await strict.app.inject({ method: 'GET', url: '/metrics' })).body;
      expect(sampleValue(await scrapeStrict(), 'dtq_circuit_open')).toBe(0);
      expect(sampleValue(await scrapeStrict(), 'dtq_circuit_threshold_jobs')).toBe(0);
      const refused = await strict.postTask();
      expect(refused.json().error.code).toBe('DTQ_ERR_API_CIRCUIT_OPEN');
      expect(sampleValue(await scrapeStrict(), 'dtq_circuit_open', { instance: 'api-strict' })).toBe(1);
    } finally {
      await strict.close();
    }
  });

  it('names its metrics dtq_* with the unit, labels them with service and instance', async () => {
    const text = await metrics();
    const ours = [...metricTypes(text).keys()].filter((name) => !/^(process|nodejs)_/.test(name));
    expect(ours.length).toBeGreaterThan(0);
    for (const name of ours) expect(name).toMatch(/^dtq_/);
    for (const [name, type] of metricTypes(text)) {
      if (type === 'counter') expect(name, name).toMatch(/_total$/);
    }
    for (const sample of parseSamples(text)) {
      expect(sample.labels).toMatchObject({ service: 'api', instance: 'api-metrics' });
    }
  });

  it('still answers a scrape while Redis is down, without the queue depths', async () => {
    await redis.stop();
    try {
      const text = await metrics();
      expect(sampleValue(text, 'dtq_queue_jobs', { queue: 'high', state: 'waiting' })).toBeUndefined();
      expect(sampleValue(text, 'dtq_queue_depth_read_failures_total')).toBeGreaterThanOrEqual(1);
    } finally {
      await redis.start();
    }
  });
});
