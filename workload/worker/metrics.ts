/**
 * The worker's Prometheus metrics (served by instrumentation/metrics.ts's listener when
 * DTQ_WORKER_METRICS_PORT is set; the names are listed in docs/worker.md): attempts by task type
 * and outcome with their duration, retries, dead letters, stalls, lock contention and fenced
 * writes rejected. Fed by the processor and by BullMQ's worker events (lifecycle-events.ts).
 */
import { Counter, Gauge, Histogram, type Registry } from 'prom-client';
import { createMetricsRegistry, JOB_DURATION_BUCKETS } from '../../instrumentation/metrics.ts';
import type { ContentionPolicy } from '../locks/resources.ts';
import type { OutcomeStatus } from './outcome.ts';

/** How an attempt ended: its outcome status when it returned, `failed` when it threw. */
export type AttemptOutcome = OutcomeStatus | 'failed';

/** The worker's metrics and the calls that feed them. */
export interface WorkerMetrics {
  readonly registry: Registry;
  attemptFinished(taskType: string, outcome: AttemptOutcome, seconds: number): void;
  retryScheduled(taskType: string): void;
  deadLettered(taskType: string): void;
  stalled(queue: string): void;
  lockContended(taskType: string, policy: ContentionPolicy): void;
  fencedWriteRejected(taskType: string): void;
}

/** Create a worker's registry and metrics; `running` reads the number of jobs in progress. */
export function createWorkerMetrics(instance: string, running: () => number): WorkerMetrics {
  const registry = createMetricsRegistry({ service: 'worker', instance });
  const registers = [registry];
  const counter = <L extends string>(name: string, help: string, labelNames: readonly L[]) =>
    new Counter({ name, help, labelNames, registers });
  const attempts = counter(
    'dtq_worker_job_attempts_total',
    'Job attempts finished, by task type and outcome: computed, cache_hit, already_processing, or failed.',
    ['task_type', 'outcome'],
  );
  const durations = new Histogram({
    name: 'dtq_worker_job_duration_seconds',
    help: 'Duration of a job attempt from start to outcome, by task type and outcome.',
    labelNames: ['task_type', 'outcome'] as const,
    buckets: JOB_DURATION_BUCKETS,
    registers,
  });
  const retries = counter(
    'dtq_worker_retries_total',
    'Failed attempts that BullMQ scheduled for a retry, by task type.',
    ['task_type'],
  );
  const deadLetters = counter(
    'dtq_worker_dead_letters_total',
    'Jobs moved to the dead-letter queue (attempts exhausted or poison), by task type.',
    ['task_type'],
  );
  const stalls = counter(
    'dtq_worker_stalls_total',
    'Jobs this worker found stalled (their worker stopped renewing the job lock), by queue.',
    ['queue'],
  );
  const contentions = counter(
    'dtq_worker_lock_contentions_total',
    'Jobs that found their resource locked by another task, by task type and policy: wait (waited for it) or skip (answered already_processing).',
    ['task_type', 'policy'],
  );
  const rejected = counter(
    'dtq_worker_fenced_writes_rejected_total',
    'Results refused by the fenced store because a newer fencing token had been issued for the resource, by task type.',
    ['task_type'],
  );
  new Gauge({
    name: 'dtq_worker_jobs_running',
    help: 'Jobs in progress in this worker.',
    registers,
    collect() {
      this.set(running());
    },
  });
  return {
    registry,
    attemptFinished: (taskType, outcome, seconds) => {
      attempts.inc({ task_type: taskType, outcome });
      durations.observe({ task_type: taskType, outcome }, seconds);
    },
    retryScheduled: (taskType) => retries.inc({ task_type: taskType }),
    deadLettered: (taskType) => deadLetters.inc({ task_type: taskType }),
    stalled: (queue) => stalls.inc({ queue }),
    lockContended: (taskType, policy) => contentions.inc({ task_type: taskType, policy }),
    fencedWriteRejected: (taskType) => rejected.inc({ task_type: taskType }),
  };
}
