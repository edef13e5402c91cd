/**
 * The dtq dashboards, as data: Latency, Errors and Duplicates. Every field and event name
 * comes from the vocabulary. Kibana saved objects (dashboards/kibana/), the Elasticsearch
 * aggregations (dashboards/es-query.ts) and `dtq-explore --stats` (dashboards/stats.ts) are
 * generated from these values.
 */
import { DUPLICATE_EVENTS, EVENTS, type EventName, F, type FieldName } from '../contract/vocabulary.ts';
import type { Bucket, Condition, Dashboard, Metric, Panel } from './model.ts';

/** Lines whose event.action is one of these events. */
function actions(...events: EventName[]): Condition {
  return { kind: 'oneOf', field: F.EVENT_ACTION, values: events };
}

/** Lines written at error level or worse. */
const ERROR_LEVEL: Condition = { kind: 'oneOf', field: F.LOG_LEVEL, values: ['error', 'fatal'] };

const time: Bucket = { id: 'time', label: 'Time', op: 'date_histogram' };

function terms(field: FieldName, label: string, size: number, orderBy?: string): Bucket {
  return {
    id: `by-${field.replaceAll('.', '-').replaceAll('_', '-')}`,
    label,
    op: 'terms',
    field,
    size,
    ...(orderBy ? { orderBy } : {}),
  };
}

function percentiles(field: FieldName, ...values: number[]): Metric[] {
  return values.map((percentile) => ({
    id: `p${percentile}`,
    label: `p${percentile}`,
    op: 'percentile',
    field,
    percentile,
  }));
}

const count = (label: string): Metric => ({ id: 'count', label, op: 'count' });

const DUPLICATE_ACTIONS = Object.keys(DUPLICATE_EVENTS) as EventName[];
const IDEMPOTENCY_ACTIONS: EventName[] = [
  EVENTS.IDEMPOTENCY_REPLAYED,
  EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT,
  EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH,
];

const CHART = { w: 24, h: 12 };
const TABLE = { w: 24, h: 12 };
const WIDE_TABLE = { w: 48, h: 14 };
const METRIC = { w: 12, h: 8 };

/** Latency by stage: nginx, API handling, queue wait, execution; slowest requests; throughput. */
export const LATENCY: Dashboard = {
  id: 'latency',
  title: 'dtq · Latency',
  description: 'Percentiles per stage of a request (nginx → API → queue → worker), slowest requests, throughput.',
  panels: [
    {
      id: 'nginx-latency',
      title: 'nginx request time (p50 / p95 / p99)',
      description: 'End-to-end time nginx measured for each request ($request_time), per interval.',
      kind: 'line',
      where: [actions(EVENTS.NGINX_ACCESS)],
      buckets: [time],
      metrics: percentiles(F.EVENT_DURATION, 50, 95, 99),
      unit: 'ns',
      size: CHART,
    },
    {
      id: 'api-latency',
      title: 'API handling time (p50 / p95 / p99)',
      description: 'Time the API spent on each request, from receipt to response.',
      kind: 'line',
      where: [actions(EVENTS.HTTP_REQUEST_COMPLETED)],
      buckets: [time],
      metrics: percentiles(F.EVENT_DURATION, 50, 95, 99),
      unit: 'ns',
      size: CHART,
    },
    {
      id: 'queue-wait-over-time',
      title: 'Queue wait p95 per queue',
      description: 'Time between enqueue (or retry due time) and the start of execution, per queue.',
      kind: 'line',
      where: [actions(EVENTS.TASK_STARTED)],
      buckets: [time, terms(F.TASK_QUEUE, 'Queue', 5)],
      metrics: percentiles(F.TASK_QUEUE_WAIT, 95),
      unit: 'ns',
      size: CHART,
    },
    {
      id: 'queue-wait-by-queue',
      title: 'Queue wait per queue (p50 / p95 / p99)',
      description: 'Queue wait percentiles over the whole time range, per queue.',
      kind: 'table',
      where: [actions(EVENTS.TASK_STARTED)],
      buckets: [terms(F.TASK_QUEUE, 'Queue', 10, 'p95')],
      metrics: [...percentiles(F.TASK_QUEUE_WAIT, 50, 95, 99), count('Tasks started')],
      unit: 'ns',
      size: TABLE,
    },
    {
      id: 'execution-over-time',
      title: 'Execution time p95 per task type',
      description: 'Time a worker spent executing a task (successful attempts), per task type.',
      kind: 'line',
      where: [actions(EVENTS.TASK_COMPLETED)],
      buckets: [time, terms(F.TASK_TYPE, 'Task type', 5)],
      metrics: percentiles(F.EVENT_DURATION, 95),
      unit: 'ns',
      size: CHART,
    },
    {
      id: 'execution-by-type',
      title: 'Execution time per task type (p50 / p95 / p99)',
      description: 'Execution percentiles over the whole time range, per task type.',
      kind: 'table',
      where: [actions(EVENTS.TASK_COMPLETED)],
      buckets: [terms(F.TASK_TYPE, 'Task type', 10, 'p95')],
      metrics: [...percentiles(F.EVENT_DURATION, 50, 95, 99), count('Tasks completed')],
      unit: 'ns',
      size: TABLE,
    },
    {
      id: 'slowest-requests',
      title: 'Slowest requests',
      description:
        'Requests with the longest time at nginx or in the API. Click a correlation id to open its lines in Discover; `dtq-explore <id>` shows its timeline.',
      kind: 'table',
      where: [actions(EVENTS.NGINX_ACCESS, EVENTS.HTTP_REQUEST_COMPLETED), { kind: 'exists', field: F.CORRELATION_ID }],
      buckets: [terms(F.CORRELATION_ID, 'Correlation id', 20, 'slowest')],
      metrics: [{ id: 'slowest', label: 'Slowest hop', op: 'max', field: F.EVENT_DURATION }],
      unit: 'ns',
      size: TABLE,
    },
    {
      id: 'throughput-by-priority',
      title: 'Tasks enqueued per priority',
      description: 'Tasks accepted by the API per interval, stacked by requested priority.',
      kind: 'bar_stacked',
      where: [actions(EVENTS.TASK_ENQUEUED)],
      buckets: [time, terms(F.TASK_PRIORITY, 'Priority', 3)],
      metrics: [count('Tasks enqueued')],
      unit: 'count',
      size: CHART,
    },
    {
      id: 'completed-by-queue',
      title: 'Tasks completed per queue',
      description: 'Tasks finished successfully per interval, stacked by the queue they came from.',
      kind: 'bar_stacked',
      where: [actions(EVENTS.TASK_COMPLETED)],
      buckets: [time, terms(F.TASK_QUEUE, 'Queue', 5)],
      metrics: [count('Tasks completed')],
      unit: 'count',
      size: CHART,
    },
  ],
};

/** Errors: per service and instance, at nginx, failed and dead-lettered tasks, retries, breakers, outages. */
export const ERRORS: Dashboard = {
  id: 'errors',
  title: 'dtq · Errors',
  description:
    'Error lines per instance, HTTP errors at nginx, failed tasks with reasons, retries, circuit breaker, outages.',
  panels: [
    {
      id: 'dead-lettered-total',
      title: 'Dead-lettered tasks',
      description: 'Tasks that exhausted their attempts or were poison.',
      kind: 'metric',
      where: [actions(EVENTS.TASK_DEAD_LETTERED)],
      buckets: [],
      metrics: [count('Dead-lettered')],
      unit: 'count',
      size: METRIC,
    },
    {
      id: 'circuit-openings-total',
      title: 'Circuit-breaker openings',
      description: 'Times an API opened its circuit because the queues were too deep.',
      kind: 'metric',
      where: [actions(EVENTS.CIRCUIT_OPENED)],
      buckets: [],
      metrics: [count('Openings')],
      unit: 'count',
      size: METRIC,
    },
    {
      id: 'outages-total',
      title: 'Dependency outages seen',
      description: 'Lines reporting Redis or Elasticsearch unavailable.',
      kind: 'metric',
      where: [actions(EVENTS.DEPENDENCY_UNAVAILABLE)],
      buckets: [],
      metrics: [count('Outage reports')],
      unit: 'count',
      size: METRIC,
    },
    {
      id: 'retries-total',
      title: 'Retries scheduled',
      description: 'Attempts that failed transiently and were scheduled again.',
      kind: 'metric',
      where: [actions(EVENTS.TASK_RETRY_SCHEDULED)],
      buckets: [],
      metrics: [count('Retries')],
      unit: 'count',
      size: METRIC,
    },
    {
      id: 'error-lines-over-time',
      title: 'Error lines per instance',
      description: 'Lines logged at error or fatal level, per interval and service instance.',
      kind: 'line',
      where: [ERROR_LEVEL],
      buckets: [time, terms(F.SERVICE_INSTANCE, 'Instance', 10)],
      metrics: [count('Error lines')],
      unit: 'count',
      size: CHART,
    },
    {
      id: 'error-rate-by-instance',
      title: 'Error rate per service and instance',
      description: 'All lines and error-level lines per service instance; the rate is errors / lines.',
      kind: 'table',
      where: [],
      buckets: [terms(F.SERVICE_NAME, 'Service', 10, 'errors'), terms(F.SERVICE_INSTANCE, 'Instance', 20, 'errors')],
      metrics: [count('Lines'), { id: 'errors', label: 'Error lines', op: 'count', where: [ERROR_LEVEL] }],
      ratios: [{ id: 'error-rate', label: 'Error rate', numerator: 'errors', denominator: 'count' }],
      unit: 'count',
      size: CHART,
    },
    {
      id: 'nginx-status',
      title: 'HTTP errors at nginx (4xx / 5xx)',
      description: 'Responses nginx sent with a client (4xx) or server (5xx) error status.',
      kind: 'bar_stacked',
      where: [actions(EVENTS.NGINX_ACCESS)],
      buckets: [time],
      metrics: [
        {
          id: 'status-4xx',
          label: '4xx',
          op: 'count',
          where: [{ kind: 'range', field: F.HTTP_STATUS, gte: 400, lt: 500 }],
        },
        {
          id: 'status-5xx',
          label: '5xx',
          op: 'count',
          where: [{ kind: 'range', field: F.HTTP_STATUS, gte: 500, lt: 600 }],
        },
      ],
      unit: 'count',
      size: CHART,
    },
    {
      id: 'failed-tasks',
      title: 'Failed and dead-lettered tasks per type and reason',
      description: 'Failed attempts and dead letters, by task type and error code (the reason).',
      kind: 'table',
      where: [actions(EVENTS.TASK_FAILED, EVENTS.TASK_DEAD_LETTERED)],
      buckets: [
        terms(F.EVENT_ACTION, 'Event', 2),
        terms(F.TASK_TYPE, 'Task type', 10),
        terms(F.ERROR_CODE, 'Reason (error code)', 10),
      ],
      metrics: [count('Tasks')],
      unit: 'count',
      size: WIDE_TABLE,
    },
    {
      id: 'retries-over-time',
      title: 'Retries per task type',
      description: 'Retries scheduled per interval, by task type.',
      kind: 'bar_stacked',
      where: [actions(EVENTS.TASK_RETRY_SCHEDULED)],
      buckets: [time, terms(F.TASK_TYPE, 'Task type', 5)],
      metrics: [count('Retries')],
      unit: 'count',
      size: CHART,
    },
    {
      id: 'circuit-openings',
      title: 'Circuit-breaker openings per instance',
      description: 'Circuit openings per interval, by API instance.',
      kind: 'bar_stacked',
      where: [actions(EVENTS.CIRCUIT_OPENED)],
      buckets: [time, terms(F.SERVICE_INSTANCE, 'Instance', 10)],
      metrics: [count('Openings')],
      unit: 'count',
      size: CHART,
    },
    {
      id: 'outages-over-time',
      title: 'Redis / Elasticsearch outages seen in logs',
      description: 'dependency.unavailable lines per interval, by dependency.',
      kind: 'bar_stacked',
      where: [actions(EVENTS.DEPENDENCY_UNAVAILABLE)],
      buckets: [time, terms(F.DEPENDENCY_NAME, 'Dependency', 5)],
      metrics: [count('Outage reports')],
      unit: 'count',
      size: CHART,
    },
    {
      id: 'outages-by-instance',
      title: 'Outages per dependency and instance',
      description: 'Which processes saw which dependency go away.',
      kind: 'table',
      where: [actions(EVENTS.DEPENDENCY_UNAVAILABLE)],
      buckets: [terms(F.DEPENDENCY_NAME, 'Dependency', 5), terms(F.SERVICE_INSTANCE, 'Instance', 20)],
      metrics: [count('Outage reports')],
      unit: 'count',
      size: CHART,
    },
  ],
};

/** Duplicates blocked: idempotency replays, in-flight conflicts, payload mismatches, lock contention, cache hits. */
export const DUPLICATES: Dashboard = {
  id: 'duplicates',
  title: 'dtq · Duplicates',
  description: 'Every duplicate the system blocked, by kind, over time, and the keys that drew the most.',
  panels: [
    {
      id: 'duplicates-over-time',
      title: 'Duplicates blocked per kind',
      description:
        'Idempotency replays, in-flight conflicts, payload mismatches, lock contention and result cache hits.',
      kind: 'bar_stacked',
      where: [actions(...DUPLICATE_ACTIONS)],
      buckets: [time, terms(F.EVENT_ACTION, 'Kind', DUPLICATE_ACTIONS.length)],
      metrics: [count('Duplicates')],
      unit: 'count',
      size: { w: 32, h: 12 },
    },
    {
      id: 'duplicates-by-kind',
      title: 'Duplicates per kind',
      description: 'Totals over the time range.',
      kind: 'table',
      where: [actions(...DUPLICATE_ACTIONS)],
      buckets: [terms(F.EVENT_ACTION, 'Kind', DUPLICATE_ACTIONS.length)],
      metrics: [count('Duplicates')],
      unit: 'count',
      size: { w: 16, h: 12 },
    },
    {
      id: 'top-idempotency-keys',
      title: 'Top idempotency keys',
      description: 'Keys with the most replays, in-flight conflicts or payload mismatches.',
      kind: 'table',
      where: [actions(...IDEMPOTENCY_ACTIONS)],
      buckets: [terms(F.IDEMPOTENCY_KEY, 'Idempotency key', 10)],
      metrics: [count('Duplicates')],
      unit: 'count',
      size: TABLE,
    },
    {
      id: 'top-originals',
      title: 'Most duplicated originals',
      description:
        'Correlation ids of the original requests that duplicates pointed at. Click one to open it in Discover; `dtq-explore <id>` shows its timeline.',
      kind: 'table',
      where: [actions(...DUPLICATE_ACTIONS), { kind: 'exists', field: F.ORIGINAL_CORRELATION_ID }],
      buckets: [terms(F.ORIGINAL_CORRELATION_ID, 'Original correlation id', 10)],
      metrics: [count('Duplicates')],
      unit: 'count',
      size: TABLE,
    },
    {
      id: 'top-contended-locks',
      title: 'Most contended locks',
      description: 'Lock resources a worker found already held.',
      kind: 'table',
      where: [actions(EVENTS.LOCK_CONTENDED)],
      buckets: [terms(F.LOCK_RESOURCE, 'Lock resource', 10)],
      metrics: [count('Contentions')],
      unit: 'count',
      size: TABLE,
    },
    {
      id: 'top-cache-hits',
      title: 'Most reused results',
      description: 'Single-flight result keys served from the cache instead of computed again.',
      kind: 'table',
      where: [actions(EVENTS.RESULT_CACHE_HIT)],
      buckets: [terms(F.RESULT_KEY, 'Result key', 10)],
      metrics: [count('Cache hits')],
      unit: 'count',
      size: TABLE,
    },
  ],
};

/** All dashboards, in the order Kibana lists them. */
export const DASHBOARDS: readonly Dashboard[] = [LATENCY, ERRORS, DUPLICATES];

/** Every panel of every dashboard. */
export function allPanels(): Panel[] {
  return DASHBOARDS.flatMap((dashboard) => dashboard.panels);
}

/** A panel by id (throws on an unknown id: ids are code, not input). */
export function panelById(id: string): Panel {
  const panel = allPanels().find((candidate) => candidate.id === id);
  if (!panel) throw new Error(`no dashboard panel has the id ${id}`);
  return panel;
}

/** Fields whose values are correlation ids: rendered as links to Discover. */
export const CORRELATION_FIELDS: readonly FieldName[] = [F.CORRELATION_ID, F.ORIGINAL_CORRELATION_ID];

/** Fields holding nanosecond durations: formatted as durations in Kibana. */
export const DURATION_FIELDS: readonly FieldName[] = [F.EVENT_DURATION, F.TASK_QUEUE_WAIT, F.TASK_RETRY_DELAY];
