/**
 * A real worker process with DTQ_WORKER_METRICS_PORT=0 logs the port it chose and serves
 * Prometheus metrics there: after it ran jobs of every outcome, the counts by task type and
 * outcome, the duration histogram, retries, dead letters and lock contention say exactly that.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { QUEUE_NAMES } from '../../workload/queue/contract.ts';
import { parseSamples, sampleValue, scrape } from '../utils/prometheus.ts';
import { startRedis, type TestRedis } from '../utils/redis-server.ts';
import { waitFor } from '../utils/wait.ts';
import {
  createHarness,
  createProducer,
  type Harness,
  lineOf,
  taskLines,
  varData,
  type WorkerProcess,
  withAction,
} from './worker-harness.ts';

let redis: TestRedis;
let harness: Harness;
let producer: ReturnType<typeof createProducer>;
let metricsUrl: string;

/**
 * How long the first of two contending jobs holds its lock (its injected pause after computing):
 * far longer than the second needs to start, so the contention is certain, not a race.
 */
const HOLD_MS = 12_000;

beforeAll(async () => {
  redis = await startRedis();
  harness = createHarness(redis.url);
  producer = createProducer(redis.url);
  await harness.spawnWorker('worker-m', { DTQ_WORKER_METRICS_PORT: '0' });
  metricsUrl = await metricsUrlOf(harness, 'worker-m');
});

/** The metrics URL a worker logged in its `metrics.listening` line. */
async function metricsUrlOf(logs: Harness, instance: string): Promise<string> {
  const listening = await waitFor(`the metrics.listening line of ${instance}`, () =>
    logs.lines().find((l) => l[F.EVENT_ACTION] === EVENTS.METRICS_LISTENING && l[F.SERVICE_INSTANCE] === instance),
  );
  return `http://${String(listening[F.SERVER_ADDRESS])}:${Number(listening[F.SERVER_PORT])}/metrics`;
}

afterAll(async () => {
  await producer?.close();
  await harness?.cleanup();
  await redis?.close();
});

const pricing = { spot: 100, strike: 105, volatility: 0.2, maturity: 1, simulations: 2000, seed: 7 };

describe('worker metrics', () => {
  it('counts attempts by task type and outcome, their durations, retries, dead letters and lock contention', {
    timeout: 120_000,
  }, async () => {
    const before = await scrape(metricsUrl);
    expect(sampleValue(before, 'dtq_worker_jobs_running')).toBe(0);

    // Two pairs contending for a lock: the first of each holds it while the second arrives.
    const holder = await producer.enqueue('monte_carlo_pricing', { ...pricing, fault: { sleep_ms: HOLD_MS } });
    const waitHolder = await producer.enqueue(
      'calculate_var',
      varData('metrics-wait', { seed: 3, fault: { sleep_ms: HOLD_MS } }),
      {
        priority: 'high',
      },
    );
    await lineOf(harness, holder.taskId, 'lock.acquired');
    await lineOf(harness, waitHolder.taskId, 'lock.acquired');
    const skipper = await producer.enqueue('monte_carlo_pricing', pricing);
    const waiter = await producer.enqueue('calculate_var', varData('metrics-wait', { seed: 4 }), { priority: 'high' });

    const plain = await producer.enqueue('calculate_var', varData('metrics-plain', { seed: 1 }), { priority: 'low' });
    const flaky = await producer.enqueue(
      'calculate_var',
      varData('metrics-flaky', { seed: 2, fault: { fail_attempts: 1 } }),
      {
        priority: 'low',
        attempts: 3,
      },
    );
    const poison = await producer.enqueue('calculate_var', varData('metrics-poison', { fault: { poison: true } }), {
      priority: 'low',
    });
    await lineOf(harness, skipper.taskId, 'task.completed');
    const running = await scrape(metricsUrl);
    expect(sampleValue(running, 'dtq_worker_jobs_running')).toBeGreaterThanOrEqual(2);
    await lineOf(harness, plain.taskId, 'task.completed');
    const cached = await producer.enqueue('calculate_var', varData('metrics-plain', { seed: 1 }), { priority: 'low' });
    for (const task of [flaky, cached, holder, waitHolder, waiter]) {
      await lineOf(harness, task.taskId, 'task.completed', 60_000);
    }
    await lineOf(harness, poison.taskId, 'task.dead_lettered');

    const after = await scrape(metricsUrl);
    const delta = (name: string, labels: Record<string, string>) =>
      (sampleValue(after, name, labels) ?? 0) - (sampleValue(before, name, labels) ?? 0);
    const jobs = (task_type: string, outcome: string) => delta('dtq_worker_job_attempts_total', { task_type, outcome });
    expect({
      varComputed: jobs('calculate_var', 'computed'),
      varCacheHit: jobs('calculate_var', 'cache_hit'),
      varFailed: jobs('calculate_var', 'failed'),
      pricingComputed: jobs('monte_carlo_pricing', 'computed'),
      pricingSkipped: jobs('monte_carlo_pricing', 'already_processing'),
      retries: delta('dtq_worker_retries_total', { task_type: 'calculate_var' }),
      deadLetters: delta('dtq_worker_dead_letters_total', { task_type: 'calculate_var' }),
      waited: delta('dtq_worker_lock_contentions_total', { task_type: 'calculate_var', policy: 'wait' }),
      skipped: delta('dtq_worker_lock_contentions_total', { task_type: 'monte_carlo_pricing', policy: 'skip' }),
    }).toEqual({
      // plain, flaky (second attempt), the wait holder and its waiter.
      varComputed: 4,
      varCacheHit: 1,
      // flaky's first attempt and the poison job.
      varFailed: 2,
      pricingComputed: 1,
      pricingSkipped: 1,
      retries: 1,
      deadLetters: 1,
      waited: 1,
      skipped: 1,
    });

    // Each attempt is one observation of the duration histogram; the holders took at least HOLD_MS.
    const count = (outcome: string) =>
      delta('dtq_worker_job_duration_seconds_count', { task_type: 'calculate_var', outcome });
    expect(count('computed')).toBe(4);
    expect(count('failed')).toBe(2);
    const slowest = parseSamples(after).filter(
      (s) =>
        s.name === 'dtq_worker_job_duration_seconds_bucket' &&
        s.labels.task_type === 'monte_carlo_pricing' &&
        s.labels.outcome === 'computed' &&
        s.labels.le !== '+Inf' &&
        Number(s.labels.le) < HOLD_MS / 1000,
    );
    expect(slowest.every((bucket) => bucket.value === 0)).toBe(true);
    expect(sampleValue(after, 'dtq_worker_jobs_running')).toBe(0);
    for (const sample of parseSamples(after)) {
      expect(sample.labels).toMatchObject({ service: 'worker', instance: 'worker-m' });
    }
  });
});

describe('worker metrics of a stall', () => {
  let stallRedis: TestRedis;
  let stallHarness: Harness;
  let stallProducer: ReturnType<typeof createProducer>;

  beforeAll(async () => {
    stallRedis = await startRedis();
    stallHarness = createHarness(stallRedis.url);
    stallProducer = createProducer(stallRedis.url);
  });

  afterAll(async () => {
    await stallProducer?.close();
    await stallHarness?.cleanup();
    await stallRedis?.close();
  });

  it('counts the stall on the worker that found it after the other was killed mid-job', {
    timeout: 120_000,
  }, async () => {
    const workers: WorkerProcess[] = [];
    for (const instance of ['worker-a', 'worker-b']) {
      workers.push(await stallHarness.spawnWorker(instance, { DTQ_WORKER_METRICS_PORT: '0' }));
    }
    const urls = new Map<string, string>();
    for (const worker of workers) urls.set(worker.instance, await metricsUrlOf(stallHarness, worker.instance));
    // A job that is certainly still running when its worker is killed: it pauses a minute.
    const task = await stallProducer.enqueue('calculate_var', varData('stall', { fault: { sleep_ms: 60_000 } }), {
      priority: 'high',
    });
    const acquired = await waitFor(
      'a worker to take the lock',
      () => withAction(taskLines(stallHarness.lines(), task.taskId), 'lock.acquired')[0],
    );
    const victim = workers.find((w) => w.instance === acquired[F.SERVICE_INSTANCE]) as WorkerProcess;
    const survivor = workers.find((w) => w !== victim) as WorkerProcess;
    victim.signal('SIGKILL');
    await lineOf(stallHarness, task.taskId, 'task.stalled', 60_000);
    const text = await scrape(urls.get(survivor.instance) as string);
    const stalls = parseSamples(text).filter((s) => s.name === 'dtq_worker_stalls_total');
    expect(stalls.map((s) => [s.labels.queue, s.value])).toEqual([[QUEUE_NAMES.high, 1]]);
  });
});
