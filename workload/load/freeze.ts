/**
 * The frozen-worker scenario of a load run: a held task (its fault pauses before the fenced
 * write until a release key exists) is caught running on some worker; that worker is frozen
 * with SIGSTOP past its job lock, so the job is redelivered to another worker; the frozen one
 * is resumed (SIGCONT) either before the redelivered attempt writes its result or after it
 * did. Either way only one result may count, and the trace must say what the frozen attempt
 * really did. Each step is recorded in the ground truth.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { EventRecord } from './ground-truth.ts';
import { JobsInFlight } from './jobs-in-flight.ts';

/** What the scenario needs of the stack and of Redis. */
export interface FreezeControls {
  /** The workers' log files, by worker index. */
  readonly workerLogs: readonly string[];
  /** Send a signal to worker `index` (SIGSTOP, SIGCONT), not waiting for anything. */
  signalWorker(index: number, signal: 'SIGSTOP' | 'SIGCONT'): void;
  /** Instance name of worker `index`. */
  instanceOf(index: number): string;
  /** Create the key that ends a held task's pause. */
  release(key: string): Promise<void>;
  /** Record one event line of the ground truth. */
  record(event: Omit<EventRecord, 'record' | 'at' | 'at_ms'>): void;
  say(message: string): void;
}

/** One held task and when its frozen worker is resumed. */
export interface FreezeCase {
  readonly taskId: string;
  readonly releaseKey: string;
  /** Resume the frozen worker while the redelivered attempt still waits (true), or after it wrote. */
  readonly resumeBeforeWrite: boolean;
}

/** Longest wait for each step (start, redelivery, completion) before the case gives up. */
const STEP_TIMEOUT_MS = 60_000;
/** A held task is frozen once it has run this long: past its compute, inside the pause. */
const MIN_AGE_BEFORE_FREEZE_MS = 300;
/** After resuming the frozen worker, how long the redelivered attempt still waits for its release. */
const RESUMED_HEAD_START_MS = 2000;

/** Poll the workers' logs until `found` says yes; the worker index, or -1 on timeout. */
async function waitFor(
  logs: readonly JobsInFlight[],
  found: (open: ReadonlyMap<string, number>, index: number) => boolean,
): Promise<number> {
  const deadline = Date.now() + STEP_TIMEOUT_MS;
  while (Date.now() < deadline) {
    for (let i = 0; i < logs.length; i++) if (found((logs[i] as JobsInFlight).poll(), i)) return i;
    await sleep(25);
  }
  return -1;
}

/** Run one case; resolves when the frozen worker runs again and the task was released. */
export async function freezeAndResume(controls: FreezeControls, task: FreezeCase): Promise<void> {
  const logs = controls.workerLogs.map((path) => new JobsInFlight(path));
  let frozen = -1;
  try {
    frozen = await waitFor(logs, (open) => {
      const started = open.get(task.taskId);
      return started !== undefined && Date.now() - started >= MIN_AGE_BEFORE_FREEZE_MS;
    });
    if (frozen === -1) {
      controls.say(`held task ${task.taskId} never ran; no worker frozen`);
      return;
    }
    controls.signalWorker(frozen, 'SIGSTOP');
    const held = [...(logs[frozen] as JobsInFlight).poll().keys()];
    controls.record({
      action: 'worker_frozen',
      instance: controls.instanceOf(frozen),
      signal: 'SIGSTOP',
      held_task_ids: held,
    });
    controls.say(`froze ${controls.instanceOf(frozen)} (SIGSTOP) holding [${held.join(', ')}]`);
    // The redelivered attempt: the held task started on another worker.
    const other = await waitFor(logs, (open, index) => index !== frozen && open.has(task.taskId));
    if (other === -1) controls.say(`held task ${task.taskId} was not redelivered within ${STEP_TIMEOUT_MS / 1000} s`);
    if (task.resumeBeforeWrite) {
      resume(controls, frozen, task, true);
      frozen = -1;
      await sleep(RESUMED_HEAD_START_MS);
      await controls.release(task.releaseKey);
    } else {
      await controls.release(task.releaseKey);
      if (other !== -1) await waitFor([logs[other] as JobsInFlight], (open) => !open.has(task.taskId));
      resume(controls, frozen, task, false);
      frozen = -1;
    }
  } finally {
    if (frozen !== -1) resume(controls, frozen, task, task.resumeBeforeWrite);
    await controls.release(task.releaseKey);
  }
}

function resume(controls: FreezeControls, index: number, task: FreezeCase, beforeWrite: boolean): void {
  controls.signalWorker(index, 'SIGCONT');
  controls.record({
    action: beforeWrite ? 'worker_resumed_before_write' : 'worker_resumed_after_write',
    instance: controls.instanceOf(index),
    signal: 'SIGCONT',
    held_task_ids: [task.taskId],
  });
  controls.say(
    `resumed ${controls.instanceOf(index)} (SIGCONT) ${beforeWrite ? 'before' : 'after'} the redelivered attempt wrote`,
  );
}
