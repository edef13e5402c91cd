/**
 * The request plan of a load run, built before anything is sent: which request goes out when,
 * with which body, correlation id and Idempotency-Key. Pure and seeded, so a run can be
 * repeated exactly and the plan can be tested without a server.
 */
import { PRIORITIES, type Priority, type TaskType } from '../../contract/vocabulary.ts';
import type { FaultSpec } from '../queue/contract.ts';
import type { TaskRequestBody } from '../stack/sample-tasks.ts';
import { type LoadTarget, loadTarget } from './targets.ts';

/** Why a request is in the plan; the fidelity check expects a different story for each. */
export type RequestKind =
  /** An ordinary task, no Idempotency-Key. */
  | 'task'
  /** A task with an Idempotency-Key that is used once. */
  | 'keyed'
  /** The first request of a duplicate group. */
  | 'original'
  /** Same key, same body, after the original finished: expect a replay (same task id). */
  | 'replay'
  /** Same key, different body: expect 422, original untouched. */
  | 'mismatch'
  /** Same key, same body, sent at the same instant as the original: expect 409 or a replay. */
  | 'concurrent'
  /** One of several requests sent at once with one X-Request-ID, a valid body: expect the task created. */
  | 'shared'
  /** As `shared`, with a body the API refuses (an unknown priority): expect a 4xx, no task. */
  | 'shared_invalid'
  /**
   * A task whose fault pauses before its fenced write until a release key exists, for the
   * frozen-worker scenario (workload/load/freeze.ts): expect success, one result counted.
   */
  | 'held'
  /**
   * An Idempotency-Key request whose API holds its answer past the claim's lease (fault
   * `hold_response_ms`): expect 202, and the task it enqueued to stay its own.
   */
  | 'claim_held'
  /** Same key and body, sent once that lease ran out: takes the claim over; expect 202, same task. */
  | 'takeover';

/** What the client sends as X-Request-ID: its own, none, a hostile one, or one it sends on several requests. */
export type CorrelationMode = 'client' | 'absent' | 'hostile' | 'shared';

/** One planned request. */
export interface PlannedRequest {
  readonly seq: number;
  /** Milliseconds after the start of the run. */
  readonly atMs: number;
  readonly kind: RequestKind;
  /** Requests sharing an Idempotency-Key share a group (the seq of the original). */
  readonly group: number | null;
  readonly correlationMode: CorrelationMode;
  /** X-Request-ID to send, or null for none. */
  readonly correlationId: string | null;
  readonly idempotencyKey: string | null;
  readonly body: TaskRequestBody;
  /** The fault injected, if any (also inside body.data.fault). */
  readonly fault: FaultSpec | null;
}

/** Inputs of {@link planRequests}. */
export interface PlanOptions {
  rps: number;
  durationS: number;
  seed: number;
  /** Short id of this run, part of every correlation id and key it sends. */
  runId: string;
  duplicates: boolean;
  faults: boolean;
  /** Add some slow tasks so a killed worker is likely to die mid-job. */
  slowTasks: boolean;
  /** Add groups of requests sent at once with one X-Request-ID (valid and invalid bodies). */
  sharedIds?: boolean;
  /** Add the held tasks of the frozen-worker scenario, at {@link MIX.heldAt} of the run. */
  heldTasks?: boolean;
  /** Add Idempotency-Key lease takeovers, at {@link MIX.takeoverAt} of the run (the API needs {@link MIX.takeoverLeaseMs}). */
  takeovers?: boolean;
  /** The system the bodies are for. Default dtq's own (`node`). */
  target?: LoadTarget;
}

/** Fractions of the mix; named so the documentation and the tests can refer to them. */
export const MIX = {
  /** Priority weights: most traffic is medium. */
  priorities: { high: 0.2, medium: 0.5, low: 0.3 } satisfies Record<Priority, number>,
  absentCorrelationId: 0.1,
  hostileCorrelationId: 0.03,
  /** With --duplicates: share of base requests that start a duplicate group, and of keyed singles. */
  duplicateGroup: 0.1,
  keyedSingle: 0.1,
  /** With --faults: transient failure then success, exhaust all attempts, poison. */
  retryThenSucceed: 0.05,
  exhaustAttempts: 0.02,
  poison: 0.02,
  /** With a worker kill: jobs that sleep long enough to be caught mid-flight. */
  slow: 0.05,
  slowSleepMs: 1500,
  /** Delay of a replay or mismatch after its original, so the original has completed. */
  followUpDelayMs: 1500,
  /** Copies sent at once in a concurrent group (original included). */
  concurrentCopies: 3,
  /**
   * With shared ids: share of base requests that become a group sent at once with one
   * X-Request-ID (the design notes' clients reuse one id), the group's size, and how many of
   * them have a valid body: sent in one tick, nginx's round robin puts two valid requests in
   * flight on each of three API processes at once, and an invalid one beside them.
   */
  sharedGroup: 0.03,
  sharedCopies: 9,
  sharedValid: 6,
  /** With held tasks: when each is sent (share of the run), and the longest it waits for its release. */
  heldAt: [0.55, 0.7],
  heldMaxMs: 120_000,
  /**
   * With takeovers: when each pair starts, the claim lease the stack runs with
   * (DTQ_IDEMPOTENCY_INFLIGHT_MS), how long the first request's API holds its answer, and when
   * the second request follows: after the lease, before the first answer.
   */
  takeoverAt: [0.2, 0.45, 0.8],
  takeoverLeaseMs: 2000,
  takeoverHoldMs: 4000,
  takeoverAfterMs: 3000,
} as const;

/** The Redis key that releases held task `seq` of run `runId`. */
export function releaseKey(runId: string, seq: number): string {
  return `dtq:load:${runId}:release:${seq}`;
}

/** mulberry32: a tiny, fast, seedable PRNG, enough for picking a request mix. */
export function seededRandom(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}

/** Values nginx and the API must refuse as correlation ids (too long, or unsafe characters). */
export const HOSTILE_CORRELATION_IDS = [
  `${'x'.repeat(129)}`,
  'bad id with spaces',
  '<script>alert(1)</script>',
  'id"},{"injected":"field',
] as const;

function pick<T>(random: () => number, items: readonly T[]): T {
  return items[Math.floor(random() * items.length)] as T;
}

function pickPriority(random: () => number): Priority {
  let roll = random();
  for (const priority of PRIORITIES) {
    roll -= MIX.priorities[priority];
    if (roll < 0) return priority;
  }
  return 'low';
}

/** The whole plan, ordered by send time. */
export function planRequests(options: PlanOptions): PlannedRequest[] {
  const random = seededRandom(options.seed);
  const target = options.target ?? loadTarget('node');
  const taskBody = target.taskBody.bind(target);
  const total = Math.max(1, Math.round(options.rps * options.durationS));
  const intervalMs = 1000 / options.rps;
  const plan: PlannedRequest[] = [];
  let seq = 0;
  const correlation = (): { mode: CorrelationMode; id: string | null } => {
    const roll = random();
    if (roll < MIX.absentCorrelationId) return { mode: 'absent', id: null };
    if (roll < MIX.absentCorrelationId + MIX.hostileCorrelationId) {
      return { mode: 'hostile', id: pick(random, HOSTILE_CORRELATION_IDS) };
    }
    return { mode: 'client', id: `load-${options.runId}-${seq}` };
  };
  const add = (
    atMs: number,
    kind: RequestKind,
    group: number | null,
    key: string | null,
    body: TaskRequestBody,
    fault: FaultSpec | null,
  ): void => {
    const { mode, id } = correlation();
    plan.push({
      seq,
      atMs: Math.round(atMs),
      kind,
      group,
      correlationMode: mode,
      correlationId: id,
      idempotencyKey: key,
      body,
      fault,
    });
    seq++;
  };

  for (let i = 0; i < total; i++) {
    const atMs = i * intervalMs;
    const type: TaskType = pick(random, target.taskTypes);
    const priority = pickPriority(random);
    let fault: FaultSpec | null = null;
    if (options.faults) {
      const roll = random();
      if (roll < MIX.retryThenSucceed) fault = { fail_attempts: 1 + Math.floor(random() * 2) };
      else if (roll < MIX.retryThenSucceed + MIX.exhaustAttempts) fault = { fail_attempts: 20 };
      else if (roll < MIX.retryThenSucceed + MIX.exhaustAttempts + MIX.poison) fault = { poison: true };
    }
    if (fault === null && options.slowTasks && random() < MIX.slow) fault = { sleep_ms: MIX.slowSleepMs };
    const body = taskBody(type, priority, i, fault ?? undefined);

    if (options.sharedIds === true && random() < MIX.sharedGroup) {
      const id = `load-${options.runId}-x${i}`;
      for (let copy = 0; copy < MIX.sharedCopies; copy++) {
        plan.push({
          seq,
          atMs: Math.round(atMs),
          kind: copy < MIX.sharedValid ? 'shared' : 'shared_invalid',
          group: null,
          correlationMode: 'shared',
          correlationId: id,
          idempotencyKey: null,
          body: taskBody(type, priority, i + copy),
          fault: null,
        });
        seq++;
      }
      continue;
    }
    const duplicateRoll = options.duplicates ? random() : 1;
    if (duplicateRoll < MIX.duplicateGroup) {
      const group = seq;
      const key = `load-${options.runId}-k${i}`;
      const groupKind = pick(random, ['replay', 'mismatch', 'concurrent'] as const);
      add(atMs, 'original', group, key, body, fault);
      if (groupKind === 'concurrent') {
        for (let copy = 1; copy < MIX.concurrentCopies; copy++) add(atMs, 'concurrent', group, key, body, fault);
      } else if (groupKind === 'replay') {
        add(atMs + MIX.followUpDelayMs, 'replay', group, key, body, fault);
      } else {
        const other = taskBody(type, priority, i + 1, fault ?? undefined);
        add(atMs + MIX.followUpDelayMs, 'mismatch', group, key, other, fault);
      }
    } else if (duplicateRoll < MIX.duplicateGroup + MIX.keyedSingle) {
      add(atMs, 'keyed', null, `load-${options.runId}-k${i}`, body, fault);
    } else {
      add(atMs, 'task', null, null, body, fault);
    }
  }
  if (options.heldTasks === true)
    for (const share of MIX.heldAt) {
      const fault: FaultSpec = { sleep_ms: MIX.heldMaxMs, sleep_until_key: releaseKey(options.runId, seq) };
      add(share * options.durationS * 1000, 'held', null, null, taskBody('calculate_var', 'high', seq, fault), fault);
    }
  if (options.takeovers === true)
    for (const share of MIX.takeoverAt) {
      const group = seq;
      const key = `load-${options.runId}-t${group}`;
      const fault: FaultSpec = { hold_response_ms: MIX.takeoverHoldMs };
      const body = taskBody('monte_carlo_pricing', 'medium', group, fault);
      const atMs = share * options.durationS * 1000;
      add(atMs, 'claim_held', group, key, body, fault);
      add(atMs + MIX.takeoverAfterMs, 'takeover', group, key, body, fault);
    }
  return plan.sort((a, b) => a.atMs - b.atMs || a.seq - b.seq);
}
