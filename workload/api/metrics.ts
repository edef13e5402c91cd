/**
 * The API's Prometheus metrics (served at GET /metrics; the names are listed in docs/api.md):
 * requests by route, method and status with their latency, Idempotency-Key decisions, the
 * circuit breaker, and the depth of each queue read from BullMQ when Prometheus scrapes.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { PRIORITIES } from '../../contract/vocabulary.ts';
import { createMetricsRegistry, HTTP_DURATION_BUCKETS } from '../../instrumentation/metrics.ts';
import { IDEMPOTENCY_OUTCOMES, type IdempotencyOutcome } from '../idempotency/decision-handlers.ts';
import type { QueueCounts, TaskQueue } from '../queue/task-queue.ts';
import type { CircuitBreaker } from './services/circuit-breaker.ts';

/** How long a scrape waits for the queue counts before it leaves them out: a scrape must not hang on Redis. */
export const QUEUE_SCRAPE_TIMEOUT_MS = 500;

/** Route label of a request no route matched (404, or refused by the router): one series, not one per path. */
export const UNMATCHED_ROUTE = 'unmatched';

/** What the metrics read from the rest of the API. */
export interface ApiMetricsSources {
  readonly instance: string;
  readonly queue: Pick<TaskQueue, 'counts'>;
  readonly breaker: Pick<CircuitBreaker, 'current' | 'threshold'>;
}

/** The API's metrics and the calls that feed them. */
export interface ApiMetrics {
  readonly registry: Registry;
  /** One answered request: its route pattern (or undefined when none matched), method, status and duration. */
  requestCompleted(route: string | undefined, method: string, status: number, seconds: number): void;
  idempotencyDecided(outcome: IdempotencyOutcome): void;
}

async function countsWithin(queue: Pick<TaskQueue, 'counts'>, ms: number): Promise<Record<string, QueueCounts>> {
  const deadline = new AbortController();
  try {
    return await Promise.race([
      queue.counts(),
      sleep(ms, undefined, { signal: deadline.signal }).then(() => {
        throw new Error(`queue counts took longer than ${ms} ms`);
      }),
    ]);
  } finally {
    deadline.abort();
  }
}

/** Create the API's registry and metrics. */
export function createApiMetrics(sources: ApiMetricsSources): ApiMetrics {
  const registry = createMetricsRegistry({ service: 'api', instance: sources.instance });
  const requests = new Histogram({
    name: 'dtq_http_request_duration_seconds',
    help: 'Time from receiving a request to sending its answer, by route pattern, method and status; _count is the request count.',
    labelNames: ['route', 'method', 'status_code'] as const,
    buckets: HTTP_DURATION_BUCKETS,
    registers: [registry],
  });
  const decisions = new Counter({
    name: 'dtq_idempotency_decisions_total',
    help: 'Requests with an Idempotency-Key by decision: new, taken_over, reclaimed, replayed, in_flight (409), mismatch (422), invalid_key (400), store_failed (503/500).',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });
  for (const outcome of IDEMPOTENCY_OUTCOMES) decisions.inc({ outcome }, 0);

  new Gauge({
    name: 'dtq_circuit_open',
    help: '1 while the circuit breaker refuses new tasks (queue depth above the threshold), else 0.',
    registers: [registry],
    collect() {
      this.set(sources.breaker.current().open ? 1 : 0);
    },
  });
  new Gauge({
    name: 'dtq_circuit_threshold_jobs',
    help: 'Waiting tasks above which the circuit breaker opens (DTQ_CIRCUIT_THRESHOLD).',
    registers: [registry],
    collect() {
      this.set(sources.breaker.threshold);
    },
  });
  // One reading per scrape, shared by the metrics that show it: prom-client collects them concurrently.
  let reading: Promise<Record<string, QueueCounts> | undefined> | undefined;
  const readCounts = () => {
    reading ??= countsWithin(sources.queue, QUEUE_SCRAPE_TIMEOUT_MS)
      .catch(() => {
        readFailures.inc();
        return undefined;
      })
      .finally(() => {
        reading = undefined;
      });
    return reading;
  };
  const readFailures = new Counter({
    name: 'dtq_queue_depth_read_failures_total',
    help: 'Scrapes that could not read the queue counts in time (Redis down or slow); dtq_queue_jobs is absent from those.',
    registers: [registry],
    async collect() {
      await readCounts();
    },
  });
  new Gauge({
    name: 'dtq_queue_jobs',
    help: `Jobs in each task queue by state, read from BullMQ at scrape time (within ${QUEUE_SCRAPE_TIMEOUT_MS} ms).`,
    labelNames: ['queue', 'state'] as const,
    registers: [registry],
    async collect() {
      this.reset();
      const counts = await readCounts();
      for (const queue of PRIORITIES) {
        const c = counts?.[queue];
        if (c === undefined) continue;
        for (const [state, value] of Object.entries(c)) this.set({ queue, state }, value);
      }
    },
  });

  return {
    registry,
    requestCompleted: (route, method, status, seconds) =>
      requests.observe({ route: route ?? UNMATCHED_ROUTE, method, status_code: String(status) }, seconds),
    idempotencyDecided: (outcome) => decisions.inc({ outcome }),
  };
}
