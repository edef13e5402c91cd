/**
 * A fixed pool of compute threads (node:worker_threads) so Monte Carlo work never blocks the
 * worker's event loop, where BullMQ renews job locks, runs stalled checks and our lock leases
 * renew. Queued tasks start in priority order (high, then medium, then low; FIFO within a
 * priority), which is the second half of "priority by capacity". Aborting a running task, or
 * one running past its time limit, terminates its thread and starts a fresh one: JavaScript
 * cannot interrupt a running loop.
 */
import { Worker } from 'node:worker_threads';
import { dtqError } from '../../contract/dtq-error.ts';
import { PRIORITIES, type Priority } from '../../contract/vocabulary.ts';
import type { ComputeRequest } from './compute.ts';
import { reviveError, WORKER_ERRORS } from './errors.ts';
import { THREAD_READY, type ThreadReply, type ThreadRequest } from './thread-protocol.ts';

const THREAD_FILE = new URL('./compute-thread.ts', import.meta.url);

interface Task {
  id: number;
  request: ComputeRequest;
  rank: number;
  resolve: (value: unknown) => void;
  reject: (error: unknown) => void;
  signal: AbortSignal | undefined;
  onAbort: () => void;
  /** Time limit on a thread and the setting that names it. */
  limit: { ms: number; variable: string } | undefined;
  /** Fires when the task has run for its limit on its thread. */
  timer: NodeJS.Timeout | undefined;
}

interface Slot {
  thread: Worker;
  task: Task | undefined;
  /** Resolves when the thread has loaded (or died trying). */
  loaded: Promise<void>;
}

/** Options of a single run. */
export interface RunOptions {
  priority?: Priority;
  signal?: AbortSignal;
  /**
   * Longest the task may run once a thread has taken it (time spent queued for a thread does
   * not count); past it the thread is stopped and the run rejects with DTQ_ERR_WORKER_TIME_LIMIT.
   */
  timeLimitMs?: number;
  /** Names the setting of the limit in that error's message. */
  timeLimitVariable?: string;
}

/** Fixed-size pool of compute threads. */
export class ThreadPool {
  /** Number of threads. */
  readonly size: number;
  readonly #slots: Slot[] = [];
  readonly #queue: Task[] = [];
  readonly #ready: Promise<void>;
  #nextId = 1;
  #closed = false;

  constructor(size: number) {
    if (!Number.isInteger(size) || size < 1) throw new RangeError(`thread pool size must be ≥ 1, got ${size}`);
    this.size = size;
    for (let i = 0; i < size; i++) this.#slots.push(this.#spawn());
    this.#ready = Promise.all(this.#slots.map((slot) => slot.loaded)).then(() => undefined);
  }

  /** Resolves once every initial thread has loaded its modules (a cold thread takes ~0.5 s). */
  ready(): Promise<void> {
    return this.#ready;
  }

  /** Run a task on a free thread (queued by priority when all are busy). */
  run(request: ComputeRequest, options: RunOptions = {}): Promise<unknown> {
    if (this.#closed) return Promise.reject(new Error('thread pool is closed'));
    options.signal?.throwIfAborted();
    return new Promise((resolve, reject) => {
      const task: Task = {
        id: this.#nextId++,
        request,
        rank: PRIORITIES.indexOf(options.priority ?? 'medium'),
        resolve,
        reject,
        signal: options.signal,
        onAbort: () => this.#abort(task),
        limit:
          options.timeLimitMs === undefined
            ? undefined
            : { ms: options.timeLimitMs, variable: options.timeLimitVariable ?? 'RunOptions.timeLimitMs' },
        timer: undefined,
      };
      options.signal?.addEventListener('abort', task.onAbort, { once: true });
      // Insert after every task of the same or higher priority: FIFO within a priority.
      const at = this.#queue.findIndex((queued) => queued.rank > task.rank);
      if (at === -1) this.#queue.push(task);
      else this.#queue.splice(at, 0, task);
      this.#dispatch();
    });
  }

  /** Tasks waiting for a thread. */
  get queued(): number {
    return this.#queue.length;
  }

  /** Stop every thread; queued and running tasks are rejected. */
  async close(): Promise<void> {
    this.#closed = true;
    for (const task of this.#queue.splice(0)) this.#settle(task, new Error('thread pool closed'));
    await Promise.all(
      this.#slots.map(async (slot) => {
        if (slot.task) this.#settle(slot.task, new Error('thread pool closed'));
        await slot.thread.terminate();
      }),
    );
  }

  #spawn(): Slot {
    const thread = new Worker(THREAD_FILE);
    const loaded = new Promise<void>((resolve) => {
      const onReady = (message: unknown) => {
        if (message !== THREAD_READY) return;
        thread.off('message', onReady);
        resolve();
      };
      thread.on('message', onReady);
      thread.once('exit', () => resolve());
    });
    const slot: Slot = { thread, task: undefined, loaded };
    thread.on('message', (reply: ThreadReply | typeof THREAD_READY) => {
      if (reply === THREAD_READY) return;
      const task = slot.task;
      if (task === undefined || task.id !== reply.id) return;
      slot.task = undefined;
      if (reply.ok) this.#settle(task, undefined, reply.result);
      else this.#settle(task, reviveError(reply.error));
      this.#dispatch();
    });
    thread.on('error', (error) => this.#replace(slot, error.message));
    thread.on('exit', (code) => {
      if (!this.#closed && this.#slots.includes(slot)) this.#replace(slot, `exit code ${code}`);
    });
    return slot;
  }

  #replace(slot: Slot, reason: string): void {
    if (!this.#slots.includes(slot)) return;
    if (slot.task) this.#settle(slot.task, dtqError(WORKER_ERRORS.THREAD_CRASHED, { reason }));
    slot.task = undefined;
    this.#retire(slot);
  }

  /** Drop a slot's thread and start a fresh one in its place (unless the pool is closing). */
  #retire(slot: Slot): void {
    this.#slots.splice(this.#slots.indexOf(slot), 1);
    void slot.thread.terminate();
    if (!this.#closed) {
      this.#slots.push(this.#spawn());
      this.#dispatch();
    }
  }

  #dispatch(): void {
    for (const slot of this.#slots) {
      if (slot.task !== undefined) continue;
      const task = this.#queue.shift();
      if (task === undefined) return;
      slot.task = task;
      const message: ThreadRequest = { id: task.id, ...task.request };
      slot.thread.postMessage(message);
      if (task.limit !== undefined) task.timer = setTimeout(() => this.#expire(task, slot), task.limit.ms);
    }
  }

  #abort(task: Task): void {
    const queuedAt = this.#queue.indexOf(task);
    if (queuedAt !== -1) {
      this.#queue.splice(queuedAt, 1);
      this.#settle(task, task.signal?.reason);
      return;
    }
    const slot = this.#slots.find((candidate) => candidate.task === task);
    if (slot === undefined) return;
    slot.task = undefined;
    this.#settle(task, task.signal?.reason);
    // The loop cannot be interrupted: only dropping the thread stops it.
    this.#retire(slot);
  }

  /** The task ran past its time limit: fail it and replace its thread, the only way to stop it. */
  #expire(task: Task, slot: Slot): void {
    if (slot.task !== task || !this.#slots.includes(slot)) return;
    slot.task = undefined;
    this.#settle(
      task,
      dtqError(WORKER_ERRORS.TIME_LIMIT, {
        task_type: task.request.taskType,
        limit_ms: task.limit?.ms,
        variable: task.limit?.variable,
      }),
    );
    this.#retire(slot);
  }

  #settle(task: Task, error: unknown, result?: unknown): void {
    clearTimeout(task.timer);
    task.signal?.removeEventListener('abort', task.onAbort);
    if (error !== undefined) task.reject(error);
    else task.resolve(result);
  }
}
