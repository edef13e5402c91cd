/**
 * Which jobs a worker holds right now, read from its own NDJSON logs: a `task.started` whose
 * `task.completed`, `task.failed` or hand-back line has not been written yet. The load
 * generator uses it to SIGKILL a worker while it holds a job (mid-job, the case a crash test
 * is about) rather than between two jobs, and to record which jobs died with it. The logger
 * writes the file synchronously, so what is on disk is what the worker has done.
 */
import { closeSync, openSync, readdirSync, readSync } from 'node:fs';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { EVENTS, F } from '../../contract/vocabulary.ts';

/** Lines that end a job's run in this worker. */
const ENDS: ReadonlySet<string> = new Set([EVENTS.TASK_COMPLETED, EVENTS.TASK_FAILED, EVENTS.SERVICE_STOPPING]);

/** Update `open` (task id → start epoch ms) with one log line of the worker; ignores other lines. */
export function applyWorkerLine(open: Map<string, number>, line: string): void {
  if (!line.startsWith('{')) return;
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(line) as Record<string, unknown>;
  } catch {
    return;
  }
  const taskId = record[F.TASK_ID];
  const action = record[F.EVENT_ACTION];
  if (typeof taskId !== 'string' || typeof action !== 'string') return;
  if (action === EVENTS.TASK_STARTED) open.set(taskId, Date.parse(String(record[F.TIMESTAMP])));
  else if (ENDS.has(action)) open.delete(taskId);
}

/** Follows one worker's log file and keeps the set of jobs it holds. */
export class JobsInFlight {
  readonly path: string;
  readonly #open = new Map<string, number>();
  #offset = 0;
  #partial = '';

  constructor(path: string) {
    this.path = path;
  }

  /** Read what the worker wrote since the last call; the jobs it holds, by start time (epoch ms). */
  poll(): ReadonlyMap<string, number> {
    let fd: number;
    try {
      fd = openSync(this.path, 'r');
    } catch {
      return this.#open;
    }
    try {
      const chunk = Buffer.alloc(1 << 16);
      for (;;) {
        const read = readSync(fd, chunk, 0, chunk.length, this.#offset);
        if (read === 0) break;
        this.#offset += read;
        const lines = (this.#partial + chunk.subarray(0, read).toString('utf8')).split('\n');
        // A line still being written waits for the next read.
        this.#partial = lines.pop() ?? '';
        for (const line of lines) applyWorkerLine(this.#open, line);
      }
    } finally {
      closeSync(fd);
    }
    return this.#open;
  }
}

/** Anything that says which jobs it holds now (one log file, or a worker's several). */
export interface HeldJobs {
  poll(): ReadonlyMap<string, number>;
}

/**
 * Whether `file` is a log of worker `instance`: its own (`worker-1.ndjson`) or one of its pool
 * processes' (a Celery prefork child writes `worker-1.2.ndjson`).
 */
export function isLogOfWorker(file: string, instance: string): boolean {
  if (!file.startsWith(`${instance}.`) || !file.endsWith('.ndjson')) return false;
  const middle = file.slice(instance.length + 1, -'.ndjson'.length);
  return middle === '' || /^\d+$/.test(middle);
}

/** The jobs worker `instance` holds across its own log and its pool processes' logs in `logDir`. */
export class WorkerJobs implements HeldJobs {
  readonly #files = new Map<string, JobsInFlight>();
  readonly #logDir: string;
  readonly #instance: string;

  constructor(logDir: string, instance: string) {
    this.#logDir = logDir;
    this.#instance = instance;
  }

  /** Read every log of the worker (pool processes appear when they first write); the jobs held, by start time. */
  poll(): ReadonlyMap<string, number> {
    let names: string[] = [];
    try {
      names = readdirSync(this.#logDir);
    } catch {
      // No directory yet: no line written yet.
    }
    for (const name of names)
      if (!this.#files.has(name) && isLogOfWorker(name, this.#instance))
        this.#files.set(name, new JobsInFlight(join(this.#logDir, name)));
    const open = new Map<string, number>();
    for (const jobs of this.#files.values()) for (const [taskId, started] of jobs.poll()) open.set(taskId, started);
    return open;
  }
}

/** Limits of {@link waitForLongJob}. */
export interface WaitForJobOptions {
  /** A job counts once it has run this long: a short one could end before the signal lands. */
  minAgeMs: number;
  /** Give up after this long and return an empty list. */
  timeoutMs: number;
  pollMs?: number;
}

/** Wait until the worker holds a job that has run for at least `minAgeMs`; the jobs it holds then. */
export async function waitForLongJob(jobs: HeldJobs, options: WaitForJobOptions): Promise<string[]> {
  const deadline = Date.now() + options.timeoutMs;
  for (;;) {
    const open = jobs.poll();
    const now = Date.now();
    for (const started of open.values()) if (now - started >= options.minAgeMs) return [...open.keys()];
    if (now >= deadline) return [];
    await sleep(options.pollMs ?? 20);
  }
}
