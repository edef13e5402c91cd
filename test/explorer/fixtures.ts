/**
 * Realistic log lines for the explorer's tests and benchmark, written from the vocabulary
 * exactly as the workload writes them: flat dotted keys, durations in ns, nginx lines in
 * their raw form (strings and seconds) before normalizeNginxLine.
 */

import { EVENTS, F, type LogRecord, NS_PER_MS, normalizeNginxLine } from '../../contract/vocabulary.ts';
import type { Hit } from '../../explorer/model/types.ts';

/** Base time of every fixture: 2026-11-22T10:15:23.000Z. */
export const T0 = Date.parse('2026-11-22T10:15:23.000Z');

/** Builds lines with per-process event.sequence, like pino's mixin does. */
export class LogWriter {
  readonly records: LogRecord[] = [];
  readonly #sequence = new Map<string, number>();
  /** Epoch ms that offsets count from. */
  readonly base: number;

  constructor(base = T0) {
    this.base = base;
  }

  /** One line from a process at `ms` after T0. */
  line(ms: number, service: string, instance: string, action: string, fields: Record<string, unknown> = {}): LogRecord {
    const sequence = (this.#sequence.get(instance) ?? 0) + 1;
    this.#sequence.set(instance, sequence);
    const record: LogRecord = {
      [F.TIMESTAMP]: new Date(this.base + ms).toISOString(),
      [F.LOG_LEVEL]: action === EVENTS.TASK_FAILED ? 'error' : 'info',
      [F.SERVICE_NAME]: service,
      [F.SERVICE_INSTANCE]: instance,
      [F.PROCESS_PID]: 1000 + sequence,
      [F.EVENT_SEQUENCE]: sequence,
      [F.EVENT_ACTION]: action,
      [F.MESSAGE]: action,
      ...fields,
    };
    this.records.push(record);
    return record;
  }

  /** An nginx access line as nginx writes it (escape=json strings), logged at `endMs`. */
  nginx(
    endMs: number,
    cid: string,
    method: string,
    path: string,
    status: number,
    requestTimeS: number,
    upstream = '127.0.0.1:3001',
  ): LogRecord {
    const record: LogRecord = {
      [F.TIMESTAMP]: new Date(Math.floor((this.base + endMs) / 1000) * 1000).toISOString().replace('.000Z', '+00:00'),
      [F.SERVICE_NAME]: 'nginx',
      [F.SERVICE_INSTANCE]: 'nginx',
      [F.EVENT_ACTION]: EVENTS.NGINX_ACCESS,
      [F.MESSAGE]: `${method} ${path} ${status}`,
      [F.CORRELATION_ID]: cid,
      [F.HTTP_METHOD]: method,
      [F.URL_PATH]: path,
      [F.HTTP_STATUS]: String(status),
      [F.HTTP_RESPONSE_BYTES]: '87',
      [F.NGINX_REQUEST_TIME]: requestTimeS.toFixed(3),
      [F.NGINX_UPSTREAM_RESPONSE_TIME]: requestTimeS.toFixed(3),
      [F.NGINX_UPSTREAM_ADDRESS]: upstream,
      [F.NGINX_UPSTREAM_STATUS]: String(status),
      [F.NGINX_MSEC]: ((this.base + endMs) / 1000).toFixed(3),
    };
    this.records.push(record);
    return record;
  }

  /** A POST /api/v1/tasks through nginx and an API, enqueuing `taskId` (unless status ≠ 202). */
  post(opts: {
    ms: number;
    cid: string;
    taskId?: string;
    api?: string;
    status?: number;
    queue?: string;
    key?: string;
    taskType?: string;
    apiMs?: number;
    between?: (ms: number) => void;
  }): void {
    const api = opts.api ?? 'api-1';
    const status = opts.status ?? 202;
    const apiMs = opts.apiMs ?? 3;
    const http = {
      [F.CORRELATION_ID]: opts.cid,
      [F.HTTP_METHOD]: 'POST',
      [F.URL_PATH]: '/api/v1/tasks',
      [F.HTTP_ROUTE]: '/api/v1/tasks',
      ...(opts.key ? { [F.IDEMPOTENCY_KEY]: opts.key } : {}),
    };
    this.line(opts.ms + 1, 'api', api, EVENTS.HTTP_REQUEST_RECEIVED, http);
    opts.between?.(opts.ms + 2);
    if (opts.taskId && status === 202) {
      this.line(opts.ms + 2, 'api', api, EVENTS.TASK_ENQUEUED, {
        [F.CORRELATION_ID]: opts.cid,
        [F.TASK_ID]: opts.taskId,
        [F.TASK_QUEUE]: opts.queue ?? 'high',
        [F.TASK_PRIORITY]: opts.queue ?? 'high',
        [F.TASK_TYPE]: opts.taskType ?? 'calculate_var',
        ...(opts.key ? { [F.IDEMPOTENCY_KEY]: opts.key } : {}),
      });
    }
    this.line(opts.ms + 1 + apiMs, 'api', api, EVENTS.HTTP_REQUEST_COMPLETED, {
      ...http,
      [F.HTTP_STATUS]: status,
      [F.EVENT_DURATION]: apiMs * NS_PER_MS,
      ...(opts.taskId ? { [F.TASK_ID]: opts.taskId } : {}),
    });
    this.nginx(opts.ms + apiMs + 2, opts.cid, 'POST', '/api/v1/tasks', status, (apiMs + 2) / 1000);
  }

  /** One worker attempt: started at `ms`, ends after `durationMs` with success or a failure. */
  attempt(opts: {
    ms: number;
    cid: string;
    taskId: string;
    worker: string;
    attempt: number;
    durationMs?: number;
    queueWaitMs?: number;
    fail?: string;
    retryDelayMs?: number;
    redelivered?: boolean;
    /** Leave the attempt open (the worker died). */
    die?: boolean;
    queue?: string;
  }): void {
    const base = {
      [F.CORRELATION_ID]: opts.cid,
      [F.TASK_ID]: opts.taskId,
      [F.TASK_ATTEMPT]: opts.attempt,
      [F.TASK_TYPE]: 'calculate_var',
    };
    this.line(opts.ms, 'worker', opts.worker, EVENTS.TASK_STARTED, {
      ...base,
      [F.TASK_QUEUE]: opts.queue ?? 'high',
      [F.TASK_QUEUE_WAIT]: (opts.queueWaitMs ?? 5) * NS_PER_MS,
      [F.TASK_REDELIVERED]: opts.redelivered ?? false,
      [F.TASK_MAX_ATTEMPTS]: 3,
    });
    if (opts.die) return;
    const end = opts.ms + (opts.durationMs ?? 40);
    if (opts.fail) {
      this.line(end, 'worker', opts.worker, EVENTS.TASK_FAILED, {
        ...base,
        [F.EVENT_DURATION]: (opts.durationMs ?? 40) * NS_PER_MS,
        [F.ERROR_CODE]: 'DTQ_ERR_TASK_TRANSIENT',
        [F.ERROR_TYPE]: 'TransientTaskError',
        [F.ERROR_MESSAGE]: opts.fail,
      });
      if (opts.retryDelayMs !== undefined)
        this.line(end, 'worker', opts.worker, EVENTS.TASK_RETRY_SCHEDULED, {
          ...base,
          [F.TASK_RETRY_DELAY]: opts.retryDelayMs * NS_PER_MS,
        });
    } else {
      this.line(end, 'worker', opts.worker, EVENTS.TASK_COMPLETED, {
        ...base,
        [F.EVENT_DURATION]: (opts.durationMs ?? 40) * NS_PER_MS,
        [F.EVENT_OUTCOME]: 'success',
      });
    }
  }

  /**
   * A GET status poll (new correlation id per poll, as a typical client does); with
   * `statusRead` also the `task.status_read` line the API writes between the two.
   */
  poll(ms: number, cid: string, taskId: string, status = 200, api = 'api-2', statusRead = false): void {
    const http = {
      [F.CORRELATION_ID]: cid,
      [F.HTTP_METHOD]: 'GET',
      [F.URL_PATH]: `/api/v1/tasks/${taskId}`,
      [F.HTTP_ROUTE]: '/api/v1/tasks/:task_id',
      [F.TASK_ID]: taskId,
    };
    this.line(ms, 'api', api, EVENTS.HTTP_REQUEST_RECEIVED, http);
    if (statusRead)
      this.line(ms, 'api', api, EVENTS.TASK_STATUS_READ, {
        [F.CORRELATION_ID]: cid,
        [F.TASK_ID]: taskId,
        [F.TASK_STATUS]: 'active',
        [F.TASK_QUEUE]: 'high',
      });
    this.line(ms + 1, 'api', api, EVENTS.HTTP_REQUEST_COMPLETED, {
      ...http,
      [F.HTTP_STATUS]: status,
      [F.EVENT_DURATION]: 1 * NS_PER_MS,
    });
    this.nginx(ms + 2, cid, 'GET', `/api/v1/tasks/${taskId}`, status, 0.002);
  }

  /** The lines as hits, normalised the way both sources normalise them. */
  hits(prefix = 'fixture'): Hit[] {
    return this.records.map((record, i) => ({ source: `${prefix}:${i}`, record: normalizeNginxLine(record) }));
  }

  /** Lines as NDJSON text per instance file, the way the workload writes them. */
  files(): Map<string, string> {
    const files = new Map<string, string>();
    for (const record of this.records) {
      const name = `${String(record[F.SERVICE_INSTANCE])}.ndjson`;
      files.set(name, `${files.get(name) ?? ''}${JSON.stringify(record)}\n`);
    }
    return files;
  }
}

/** A request that succeeded on the first attempt, then was polled twice. */
export function happyPath(w = new LogWriter(), cid = 'req-happy-1', taskId = 'task-happy-1', at = 0): LogWriter {
  w.post({ ms: at, cid, taskId });
  w.attempt({ ms: at + 20, cid, taskId, worker: 'worker-2', attempt: 1, durationMs: 340, queueWaitMs: 17 });
  w.poll(at + 100, `${cid}-poll-1`, taskId);
  w.poll(at + 600, `${cid}-poll-2`, taskId);
  return w;
}

/** Accepted with 202, then failed three attempts and was dead-lettered. */
export function deadLettered(w = new LogWriter(), cid = 'req-dlq-1', taskId = 'task-dlq-1'): LogWriter {
  w.post({ ms: 12, cid, taskId });
  w.attempt({
    ms: 30,
    cid,
    taskId,
    worker: 'worker-1',
    attempt: 1,
    fail: 'upstream price feed timed out',
    retryDelayMs: 1000,
  });
  w.attempt({
    ms: 1100,
    cid,
    taskId,
    worker: 'worker-3',
    attempt: 2,
    fail: 'upstream price feed timed out',
    retryDelayMs: 2000,
  });
  w.attempt({ ms: 3200, cid, taskId, worker: 'worker-2', attempt: 3, fail: 'upstream price feed timed out' });
  w.line(3241, 'worker', 'worker-2', EVENTS.TASK_DEAD_LETTERED, {
    [F.CORRELATION_ID]: cid,
    [F.TASK_ID]: taskId,
    [F.TASK_QUEUE]: 'dead-letter',
    [F.TASK_ATTEMPT]: 3,
  });
  return w;
}

/** One original request and every kind of duplicate that can be blocked against it. */
export function duplicatesScenario(): LogWriter {
  const w = new LogWriter();
  const original = {
    [F.ORIGINAL_TASK_ID]: 'orig-task',
    [F.ORIGINAL_CORRELATION_ID]: 'orig-req',
    [F.IDEMPOTENCY_KEY]: 'key-1',
  };
  w.post({ ms: 0, cid: 'orig-req', taskId: 'orig-task', key: 'key-1' });
  w.attempt({ ms: 20, cid: 'orig-req', taskId: 'orig-task', worker: 'worker-1', attempt: 1, durationMs: 900 });
  w.post({
    ms: 5,
    cid: 'conflict-req',
    status: 409,
    key: 'key-1',
    between: (ms) =>
      w.line(ms, 'api', 'api-1', EVENTS.IDEMPOTENCY_IN_FLIGHT_CONFLICT, {
        [F.CORRELATION_ID]: 'conflict-req',
        ...original,
      }),
  });
  w.post({
    ms: 1200,
    cid: 'replay-req',
    status: 202,
    key: 'key-1',
    api: 'api-2',
    between: (ms) =>
      w.line(ms, 'api', 'api-2', EVENTS.IDEMPOTENCY_REPLAYED, {
        [F.CORRELATION_ID]: 'replay-req',
        [F.TASK_ID]: 'orig-task',
        ...original,
      }),
  });
  w.post({
    ms: 1300,
    cid: 'mismatch-req',
    status: 422,
    key: 'key-1',
    api: 'api-3',
    between: (ms) =>
      w.line(ms, 'api', 'api-3', EVENTS.IDEMPOTENCY_PAYLOAD_MISMATCH, {
        [F.CORRELATION_ID]: 'mismatch-req',
        ...original,
      }),
  });
  // A second job on the same portfolio finds the lock held by the original, then a cache hit.
  w.post({ ms: 100, cid: 'other-req', taskId: 'other-task' });
  w.line(130, 'worker', 'worker-2', EVENTS.TASK_STARTED, {
    [F.CORRELATION_ID]: 'other-req',
    [F.TASK_ID]: 'other-task',
    [F.TASK_ATTEMPT]: 1,
  });
  w.line(131, 'worker', 'worker-2', EVENTS.LOCK_CONTENDED, {
    [F.CORRELATION_ID]: 'other-req',
    [F.TASK_ID]: 'other-task',
    [F.LOCK_RESOURCE]: 'portfolio:p-42',
    [F.ORIGINAL_TASK_ID]: 'orig-task',
    [F.ORIGINAL_CORRELATION_ID]: 'orig-req',
  });
  w.line(950, 'worker', 'worker-2', EVENTS.RESULT_CACHE_HIT, {
    [F.CORRELATION_ID]: 'other-req',
    [F.TASK_ID]: 'other-task',
    [F.ORIGINAL_TASK_ID]: 'orig-task',
    [F.ORIGINAL_CORRELATION_ID]: 'orig-req',
  });
  w.line(951, 'worker', 'worker-2', EVENTS.TASK_COMPLETED, {
    [F.CORRELATION_ID]: 'other-req',
    [F.TASK_ID]: 'other-task',
    [F.TASK_ATTEMPT]: 1,
    [F.EVENT_DURATION]: 821e6,
  });
  return w;
}

/**
 * A request whose client polled its task `polls` times under the request's own correlation
 * id, and a second client that polled it `otherPolls` times with a new id per poll, as the
 * real API writes them (with status reads); plus lines that look like polls but are not.
 */
export function longPolled(w = new LogWriter(), cid = 'long-polled', polls = 300, otherPolls = 40): LogWriter {
  const taskId = `${cid}-task`;
  w.post({ ms: 0, cid, taskId });
  w.attempt({ ms: 10, cid, taskId, worker: 'worker-1', attempt: 1, durationMs: 20 + polls * 10 });
  for (let i = 0; i < polls; i++) w.poll(20 + i * 10, cid, taskId, 200, i % 7 === 3 ? 'api-3' : 'api-2', i % 2 === 0);
  for (let i = 0; i < otherPolls; i++) w.poll(25 + i * 70, `${cid}-other-${i}`, taskId, 200, 'api-1', true);
  // Not polls: a GET of the task list and a GET below a task, under the same correlation id.
  w.line(40 + polls * 5, 'api', 'api-1', EVENTS.HTTP_REQUEST_RECEIVED, {
    [F.CORRELATION_ID]: cid,
    [F.HTTP_METHOD]: 'GET',
    [F.URL_PATH]: `/api/v1/tasks/${taskId}/result`,
  });
  w.line(41 + polls * 5, 'api', 'api-1', EVENTS.HTTP_REQUEST_COMPLETED, {
    [F.CORRELATION_ID]: cid,
    [F.HTTP_METHOD]: 'GET',
    [F.URL_PATH]: `/api/v1/tasks/${taskId}/result`,
    [F.HTTP_STATUS]: 404,
    [F.EVENT_DURATION]: NS_PER_MS,
  });
  w.nginx(42 + polls * 5, cid, 'GET', `/api/v1/tasks/${taskId}/result`, 404, 0.002);
  return w;
}
