/**
 * A known set of log lines (in the shape the shipper indexes) whose dashboard numbers are
 * known by construction: latencies on plateaus so percentiles are exact, one spread 1..100 ms
 * for an interpolated p95, fixed counts of errors, failures and duplicates.
 */
import { EVENTS, F, type LogRecord, NS_PER_MS } from '../../contract/vocabulary.ts';

/** Start of the data set; lines fall in the three minutes after it. */
export const BASE = Date.parse('2026-01-15T10:00:00.000Z');

/** Build the data set. */
export function knownLines(): LogRecord[] {
  const lines: LogRecord[] = [];
  let n = 0;
  const at = (minute: number) => new Date(BASE + minute * 60_000 + (n++ % 50) * 100).toISOString();
  const line = (
    minute: number,
    service: string,
    instance: string,
    action: string,
    fields: LogRecord = {},
    level = 'info',
  ) =>
    lines.push({
      [F.TIMESTAMP]: at(minute),
      [F.LOG_LEVEL]: level,
      [F.SERVICE_NAME]: service,
      [F.SERVICE_INSTANCE]: instance,
      [F.EVENT_ACTION]: action,
      [F.MESSAGE]: action,
      ...fields,
    });
  const id = (i: number) => `c-${String(i).padStart(3, '0')}`;

  // 100 requests: nginx 80 × 10 ms then 20 × 500 ms; statuses 85 × 200, 10 × 4xx, 5 × 503.
  for (let i = 1; i <= 100; i += 1) {
    const status = i <= 85 ? 200 : i <= 95 ? (i % 2 === 0 ? 404 : 429) : 503;
    line(i % 3, 'nginx', 'nginx', EVENTS.NGINX_ACCESS, {
      [F.CORRELATION_ID]: id(i),
      [F.EVENT_DURATION]: (i <= 80 ? 10 : 500) * NS_PER_MS,
      [F.HTTP_STATUS]: status,
    });
    // The API handled request i in i ms: a spread whose p95 is about 95 ms.
    line(i % 3, 'api', `api-${(i % 3) + 1}`, EVENTS.HTTP_REQUEST_COMPLETED, {
      [F.CORRELATION_ID]: id(i),
      [F.EVENT_DURATION]: i * NS_PER_MS,
      [F.HTTP_STATUS]: status,
    });
  }
  // One very slow API request that never reached nginx's log: the slowest of all.
  line(2, 'api', 'api-1', EVENTS.HTTP_REQUEST_COMPLETED, {
    [F.CORRELATION_ID]: 'c-999',
    [F.EVENT_DURATION]: 2000 * NS_PER_MS,
  });

  // Enqueued and started: 10 per priority; queue waits 5 / 50 / 200 ms.
  const waits = { high: 5, medium: 50, low: 200 } as const;
  for (const [priority, waitMs] of Object.entries(waits)) {
    for (let i = 0; i < 10; i += 1) {
      line(i % 3, 'api', 'api-2', EVENTS.TASK_ENQUEUED, { [F.TASK_PRIORITY]: priority, [F.TASK_QUEUE]: priority });
      line(i % 3, 'worker', `worker-${(i % 3) + 1}`, EVENTS.TASK_STARTED, {
        [F.TASK_QUEUE]: priority,
        [F.TASK_QUEUE_WAIT]: waitMs * NS_PER_MS,
      });
    }
  }
  // Completed: calculate_var 10 × 100 ms (high), stress_test 5 × 1000 ms (low).
  for (let i = 0; i < 10; i += 1) {
    line(1, 'worker', 'worker-1', EVENTS.TASK_COMPLETED, {
      [F.TASK_TYPE]: 'calculate_var',
      [F.TASK_QUEUE]: 'high',
      [F.EVENT_DURATION]: 100 * NS_PER_MS,
    });
  }
  for (let i = 0; i < 5; i += 1) {
    line(2, 'worker', 'worker-2', EVENTS.TASK_COMPLETED, {
      [F.TASK_TYPE]: 'stress_test',
      [F.TASK_QUEUE]: 'low',
      [F.EVENT_DURATION]: 1000 * NS_PER_MS,
    });
  }
  // Failures: 4 transient calculate_var failures (each retried), 1 poison stress_test, dead-lettered.
  for (let i = 0; i < 4; i += 1) {
    line(
      0,
      'worker',
      'worker-3',
      EVENTS.TASK_FAILED,
      { [F.TASK_TYPE]: 'calculate_var', [F.ERROR_CODE]: 'DTQ_ERR_TASK_TRANSIENT' },
      'warn',
    );
    line(0, 'worker', 'worker-3', EVENTS.TASK_RETRY_SCHEDULED, { [F.TASK_TYPE]: 'calculate_var' });
  }
  line(
    1,
    'worker',
    'worker-1',
    EVENTS.TASK_FAILED,
    { [F.TASK_TYPE]: 'stress_test', [F.ERROR_CODE]: 'DTQ_ERR_TASK_POISON' },
    'error',
  );
  line(
    1,
    'worker',
    'worker-1',
    EVENTS.TASK_DEAD_LETTERED,
    { [F.TASK_TYPE]: 'stress_test', [F.ERROR_CODE]: 'DTQ_ERR_TASK_POISON' },
    'error',
  );

  // Breaker and outages.
  line(1, 'api', 'api-2', EVENTS.CIRCUIT_OPENED, { [F.CIRCUIT_STATE]: 'open' }, 'warn');
  line(2, 'api', 'api-2', EVENTS.CIRCUIT_OPENED, { [F.CIRCUIT_STATE]: 'open' }, 'warn');
  for (const instance of ['api-1', 'worker-1', 'worker-2']) {
    line(
      2,
      instance.startsWith('api') ? 'api' : 'worker',
      instance,
      EVENTS.DEPENDENCY_UNAVAILABLE,
      { [F.DEPENDENCY_NAME]: 'redis' },
      'error',
    );
  }
  line(2, 'shipper', 'shipper', EVENTS.DEPENDENCY_UNAVAILABLE, { [F.DEPENDENCY_NAME]: 'elasticsearch' }, 'warn');
  line(
    2,
    'api',
    'api-1',
    EVENTS.HTTP_REQUEST_COMPLETED,
    { [F.CORRELATION_ID]: 'c-500', [F.HTTP_STATUS]: 500 },
    'fatal',
  );

  // Duplicates: replays k-1 × 3, k-2 × 2; in-flight k-1 × 2; mismatch k-3 × 1; lock P1 × 3, P2 × 1; cache r-1 × 6.
  const original = { 'k-1': 'c-001', 'k-2': 'c-002', 'k-3': 'c-003' } as const;
  const duplicate = (action: string, key: keyof typeof original) =>
    line(1, 'api', 'api-3', action, { [F.IDEMPOTENCY_KEY]: key, [F.ORIGINAL_CORRELATION_ID]: original[key] });
  for (const key of ['k-1', 'k-1', 'k-1', 'k-2', 'k-2'] as const) duplicate(EVENTS.IDEMPOTENCY_REPLAYED, key);
  duplicate(EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT, 'k-1');
  duplicate(EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT, 'k-1');
  duplicate(EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH, 'k-3');
  for (const resource of ['portfolio:P1', 'portfolio:P1', 'portfolio:P1', 'portfolio:P2']) {
    line(2, 'worker', 'worker-2', EVENTS.LOCK_CONTENDED, { [F.LOCK_RESOURCE]: resource });
  }
  for (let i = 0; i < 6; i += 1) line(2, 'worker', 'worker-3', EVENTS.RESULT_CACHE_HIT, { [F.RESULT_KEY]: 'r-1' });
  return lines;
}
