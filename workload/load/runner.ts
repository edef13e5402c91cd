/**
 * Runs a request plan against nginx at the planned times (open loop: a slow server does not
 * slow the schedule, but no more than `maxInFlight` requests are ever outstanding), records
 * each request and its answer, then polls every created task to its final state.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import { CORRELATION_ID_HEADER } from '../../contract/correlation-id.ts';
import { type HttpClient, headerValue } from '../../contract/http-client.ts';
import { type FreezeControls, freezeAndResume } from './freeze.ts';
import {
  bodyHash,
  type EventRecord,
  type FinalRecord,
  type GroundTruthWriter,
  type RequestRecord,
  type SummaryRecord,
} from './ground-truth.ts';
import { type HeldJobs, waitForLongJob } from './jobs-in-flight.ts';
import type { PlannedRequest } from './plan.ts';
import { countBy, percentile, round } from './stats.ts';

/** The task-creation route. */
export const TASKS_PATH = '/api/v1/tasks';

/** What the load generator does to the stack it started: kill and restart a worker, restart Redis. */
export interface WorkerKiller {
  killWorker(index: number, signal?: NodeJS.Signals): Promise<unknown>;
  startWorker(index: number): Promise<void>;
  restartRedis?(): Promise<void>;
}

/** Inputs of {@link runLoad}. */
export interface RunLoadOptions {
  client: HttpClient;
  plan: readonly PlannedRequest[];
  writer: GroundTruthWriter;
  runId: string;
  maxInFlight: number;
  /** Kill worker-1 at this many ms after the start, restart it 3 s later. */
  killWorkerAtMs?: number;
  stack?: WorkerKiller;
  /** worker-1's jobs (from its logs): when given, the kill waits until worker-1 is running a job. */
  killWorkerJobs?: HeldJobs;
  /** Restart the stack's Redis (gracefully: it keeps its append-only file) at this many ms. */
  restartRedisAtMs?: number;
  /** Freeze the worker running each `held` task and resume it (workload/load/freeze.ts). */
  freeze?: Omit<FreezeControls, 'record' | 'say'>;
  /** Poll tasks to a final state for at most this long; 0 skips polling. */
  settleMs: number;
  /** The contract's word for a state the status route answers (Celery says SUCCESS). Default: as answered. */
  statusWord?: (state: string) => string;
  /** Progress messages. */
  say: (message: string) => void;
}

/** A job caught by the kill must have run this long, so it cannot finish before the signal lands. */
const KILL_MIN_JOB_AGE_MS = 200;
/** How long past the planned kill time to wait for worker-1 to be running a job. */
const KILL_WAIT_MS = 20_000;

/** What a `shared_invalid` request sends instead of its body's priority: the API refuses it. */
const INVALID_PRIORITY = 'urgent';

/** Statuses after which a task never changes again. */
const FINAL_STATUSES = new Set(['succeeded', 'failed']);

/** Run the plan, record everything, and return the summary (also written as the last line). */
export async function runLoad(options: RunLoadOptions): Promise<SummaryRecord> {
  const { client, plan, writer } = options;
  const records: RequestRecord[] = [];
  const start = performance.now();
  const startEpoch = Date.now();
  let inFlight = 0;
  let released: (() => void) | undefined;
  const pending = new Set<Promise<void>>();

  const send = async (request: PlannedRequest): Promise<void> => {
    const headers: Record<string, string> = {};
    if (request.correlationId !== null) headers[CORRELATION_ID_HEADER] = request.correlationId;
    if (request.idempotencyKey !== null) headers['idempotency-key'] = request.idempotencyKey;
    const sent = request.kind === 'shared_invalid' ? { ...request.body, priority: INVALID_PRIORITY } : request.body;
    const sentMs = performance.now() - start;
    const sentAt = new Date(startEpoch + sentMs).toISOString();
    const base = {
      record: 'request' as const,
      seq: request.seq,
      kind: request.kind,
      group: request.group,
      method: 'POST' as const,
      path: TASKS_PATH,
      correlation_mode: request.correlationMode,
      correlation_id_sent: request.correlationId,
      idempotency_key: request.idempotencyKey,
      body_sha256: bodyHash(sent),
      task_type: request.body.task_type,
      priority: sent.priority,
      fault: request.fault,
      sent_at: sentAt,
      planned_ms: request.atMs,
      sent_ms: round(sentMs, 1),
    };
    let record: RequestRecord;
    try {
      const response = await client.send('POST', TASKS_PATH, { headers, body: sent, timeoutMs: 30_000 });
      const answer = response.json();
      // Location names a created task only on a success (201 Created, 202 Accepted).
      const taskId = createdTaskId(answer, response.status < 300 ? headerValue(response, 'location') : undefined);
      record = {
        ...base,
        correlation_id_received: headerValue(response, CORRELATION_ID_HEADER) ?? null,
        correlation_id_body: typeof answer?.correlation_id === 'string' ? answer.correlation_id : null,
        status: response.status,
        replayed: headerValue(response, 'idempotent-replayed') === 'true',
        task_id: taskId,
        response_body: answer ?? response.text,
        latency_ms: round(response.ms, 2),
        error: null,
      };
    } catch (error) {
      record = {
        ...base,
        correlation_id_received: null,
        correlation_id_body: null,
        status: 0,
        replayed: false,
        task_id: null,
        response_body: null,
        latency_ms: round(performance.now() - start - sentMs, 2),
        error: error instanceof Error ? error.message : String(error),
      };
    }
    records.push(record);
    writer.write(record);
    const releaseKey = request.fault?.sleep_until_key;
    if (request.kind === 'held' && releaseKey !== undefined) {
      // Without a task (refused, or the network failed) there is nothing to hold: release at once.
      if (options.freeze === undefined || record.task_id === null) await options.freeze?.release(releaseKey);
      else
        freezes.push(
          freezeAndResume(
            { ...options.freeze, record: recordEvent, say: options.say },
            { taskId: record.task_id, releaseKey, resumeBeforeWrite: freezes.length % 2 === 0 },
          ),
        );
    }
  };
  const freezes: Promise<void>[] = [];
  const recordEvent = (event: Omit<EventRecord, 'record' | 'at' | 'at_ms'>): void => {
    const ms = performance.now() - start;
    writer.write({ record: 'event', ...event, at: new Date(startEpoch + ms).toISOString(), at_ms: round(ms, 1) });
  };

  let killTimer: Promise<void> | undefined;
  if (options.killWorkerAtMs !== undefined && options.stack) {
    const stack = options.stack;
    const at = options.killWorkerAtMs;
    const jobs = options.killWorkerJobs;
    killTimer = (async () => {
      await sleep(at);
      // Mid-job is the case worth testing: a worker killed between jobs leaves nothing behind.
      if (jobs && (await waitForLongJob(jobs, { minAgeMs: KILL_MIN_JOB_AGE_MS, timeoutMs: KILL_WAIT_MS })).length === 0)
        options.say(`worker-1 ran no job for ${KILL_WAIT_MS / 1000} s; killing it idle`);
      await stack.killWorker(0, 'SIGKILL');
      const killedMs = performance.now() - start;
      // Read after the process is gone: exactly the jobs that died with it.
      const held = jobs ? [...jobs.poll().keys()] : null;
      writer.write({
        record: 'event',
        action: 'worker_killed',
        instance: 'worker-1',
        signal: 'SIGKILL',
        at: new Date(startEpoch + killedMs).toISOString(),
        at_ms: round(killedMs, 1),
        held_task_ids: held,
      });
      options.say(
        `killed worker-1 with SIGKILL${held === null ? '' : ` holding ${held.length} job(s) [${held.join(', ')}]`}; restarting it in 3 s`,
      );
      await sleep(3000);
      await stack.startWorker(0);
      const restartedMs = performance.now() - start;
      writer.write({
        record: 'event',
        action: 'worker_restarted',
        instance: 'worker-1',
        signal: null,
        at: new Date(startEpoch + restartedMs).toISOString(),
        at_ms: round(restartedMs, 1),
        held_task_ids: null,
      });
    })();
  }

  let redisTimer: Promise<void> | undefined;
  const restartRedis = options.stack?.restartRedis?.bind(options.stack);
  if (options.restartRedisAtMs !== undefined && restartRedis) {
    const at = options.restartRedisAtMs;
    redisTimer = (async () => {
      await sleep(at);
      const stoppedMs = performance.now() - start;
      await restartRedis();
      const restartedMs = performance.now() - start;
      writer.write({
        record: 'event',
        action: 'redis_restarted',
        instance: 'redis',
        signal: 'SIGTERM',
        at: new Date(startEpoch + stoppedMs).toISOString(),
        at_ms: round(stoppedMs, 1),
        held_task_ids: null,
      });
      options.say(`restarted Redis (down ${Math.round(restartedMs - stoppedMs)} ms)`);
    })();
  }

  let lastReport = 0;
  for (const request of plan) {
    const wait = request.atMs - (performance.now() - start);
    if (wait > 1) await sleep(wait);
    while (inFlight >= options.maxInFlight) {
      await new Promise<void>((resolve) => {
        released = resolve;
      });
    }
    inFlight++;
    const task = send(request).finally(() => {
      inFlight--;
      pending.delete(task);
      released?.();
      released = undefined;
    });
    pending.add(task);
    const elapsedS = Math.floor((performance.now() - start) / 1000);
    if (elapsedS >= lastReport + 5) {
      lastReport = elapsedS;
      options.say(`${elapsedS} s: ${records.length} answered, ${inFlight} in flight`);
    }
  }
  await Promise.all(pending);
  const sendSeconds = (performance.now() - start) / 1000;
  await killTimer;
  await redisTimer;
  await Promise.all(freezes);

  const finals = options.settleMs > 0 ? await settleTasks(options, records) : [];

  const ok = records.filter((record) => record.status !== 0);
  const latencies = ok.map((record) => record.latency_ms);
  const summary: SummaryRecord = {
    record: 'summary',
    finished_at: new Date().toISOString(),
    sent: records.length,
    statuses: countBy(records, (record) => String(record.status)),
    network_errors: records.length - ok.length,
    achieved_rps: round(records.length / sendSeconds, 1),
    latency_ms: {
      p50: round(percentile(latencies, 0.5), 2),
      p90: round(percentile(latencies, 0.9), 2),
      p99: round(percentile(latencies, 0.99), 2),
      max: round(percentile(latencies, 1), 2),
    },
    tasks: finals.length,
    finals: countBy(finals, (final) => (final.settled ? final.status : `unsettled:${final.status}`)),
  };
  writer.write(summary);
  return summary;
}

/** Poll each created task (once per task id) until it is final or the settle time is up. */
async function settleTasks(options: RunLoadOptions, records: readonly RequestRecord[]): Promise<FinalRecord[]> {
  const creators = new Map<string, RequestRecord>();
  for (const record of records) {
    if (record.task_id !== null && !creators.has(record.task_id) && !record.replayed) {
      creators.set(record.task_id, record);
    }
  }
  const deadline = Date.now() + options.settleMs;
  const finals: FinalRecord[] = [];
  const queue = [...creators.entries()];
  options.say(`polling ${queue.length} tasks to their final state (up to ${Math.round(options.settleMs / 1000)} s)`);
  let pollSeq = 0;
  const statusWord = options.statusWord ?? ((state: string) => state);
  const poll = async (taskId: string, creator: RequestRecord): Promise<FinalRecord> => {
    let last: { status: string; attempts: number | null; error: string | null; http: number } = {
      status: 'unknown',
      attempts: null,
      error: null,
      http: 0,
    };
    for (let delay = 250; ; delay = Math.min(delay * 2, 2000)) {
      try {
        const response = await options.client.send('GET', `${TASKS_PATH}/${encodeURIComponent(taskId)}`, {
          headers: { [CORRELATION_ID_HEADER]: `poll-${options.runId}-${creator.seq}-${pollSeq++}` },
        });
        const body = response.json();
        last = {
          status: typeof body?.status === 'string' ? statusWord(body.status) : `http-${response.status}`,
          attempts: typeof body?.attempts === 'number' ? body.attempts : null,
          error: typeof body?.error === 'string' ? body.error : errorText(body?.error),
          http: response.status,
        };
      } catch (error) {
        last = { ...last, error: error instanceof Error ? error.message : String(error), http: 0 };
      }
      const settled = FINAL_STATUSES.has(last.status);
      if (settled || Date.now() + delay > deadline) {
        return {
          record: 'final',
          task_id: taskId,
          seq: creator.seq,
          correlation_id: creator.correlation_id_received,
          status: last.status,
          settled,
          attempts: last.attempts,
          error: last.error,
          http_status: last.http,
          polled_at: new Date().toISOString(),
        };
      }
      await sleep(delay);
    }
  };
  const workers = Array.from({ length: Math.min(16, queue.length) }, async () => {
    for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
      const final = await poll(next[0], next[1]);
      finals.push(final);
      options.writer.write(final);
    }
  });
  await Promise.all(workers);
  return finals;
}

/**
 * The id of the task a POST created: `task_id` of the answer, else the last segment of its
 * `Location` (`/api/v1/tasks/<id>`); null when it names none.
 */
export function createdTaskId(answer: unknown, location: string | undefined): string | null {
  const taskId = (answer as { task_id?: unknown } | null | undefined)?.task_id;
  if (typeof taskId === 'string') return taskId;
  const prefix = `${TASKS_PATH}/`;
  if (location?.startsWith(prefix) && location.length > prefix.length)
    return decodeURIComponent(location.slice(prefix.length));
  return null;
}

function errorText(value: unknown): string | null {
  if (value === undefined || value === null) return null;
  if (typeof value === 'object' && 'message' in value && typeof value.message === 'string') return value.message;
  return JSON.stringify(value);
}
