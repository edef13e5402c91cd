/**
 * Step: outcome. The verdict: what happened to the request, said plainly, and whether what
 * the client was told disagrees with what the system did ("202 at 10:15:23.012, job failed
 * 3 attempts later at 10:15:41.020").
 */
import { formatClock, shortId } from '../fields.ts';
import type { Duplicate, Outcome, RequestBranch, TaskTrace } from '../types.ts';

/** What decideOutcome looks at. */
export interface OutcomeInput {
  readonly requests: readonly RequestBranch[];
  readonly tasks: readonly TaskTrace[];
  /** Duplicates this trace itself was (direction 'blocked'). */
  readonly duplicates: readonly Duplicate[];
  readonly inFlight: boolean;
  readonly found: boolean;
}

function attemptsWord(n: number): string {
  return n === 1 ? '1 attempt' : `${n} attempts`;
}

/** Status the client saw: nginx's when there is one (that is what went on the wire). */
export function clientStatus(request: RequestBranch): number | undefined {
  return request.nginx?.status ?? request.status;
}

function taskSentence(task: TaskTrace): string {
  const id = shortId(task.taskId, 14);
  const n = task.attempts.length;
  switch (task.outcome) {
    case 'succeeded':
      return `task ${id} succeeded after ${attemptsWord(n)}${task.endedAt ? ` at ${formatClock(task.endedAt)}` : ''} on ${task.attempts.at(-1)?.instance ?? '?'}`;
    case 'dead_lettered':
      return `task ${id} dead-lettered after ${attemptsWord(n)}${task.endedAt ? ` at ${formatClock(task.endedAt)}` : ''}`;
    case 'failed':
      return `task ${id} failed after ${attemptsWord(n)}${task.endedAt ? ` at ${formatClock(task.endedAt)}` : ''}: ${task.attempts.at(-1)?.failure ?? 'unknown error'}`;
    case 'running':
      return `task ${id} running (attempt ${task.attempts.at(-1)?.number ?? '?'} on ${task.attempts.at(-1)?.instance ?? '?'})`;
    case 'queued':
      return n === 0
        ? `task ${id} queued${task.queue ? ` on ${task.queue}` : ''}, not started`
        : `task ${id} waiting for attempt ${n + 1}`;
    default:
      return `task ${id}: state unknown`;
  }
}

function divergenceOf(request: RequestBranch, tasks: readonly TaskTrace[]): string | undefined {
  const status = clientStatus(request);
  const answeredAt = request.nginx?.endedAt ?? request.respondedAt;
  if (status === undefined || answeredAt === undefined) return undefined;
  const mine = tasks.filter((t) => request.taskIds.includes(t.taskId));
  const failed = mine.find((t) => t.outcome === 'failed' || t.outcome === 'dead_lettered');
  if (status < 300 && failed) {
    const verb = failed.outcome === 'dead_lettered' ? 'was dead-lettered' : 'failed';
    const when = failed.endedAt === undefined ? '' : ` at ${formatClock(failed.endedAt)}`;
    return `${status} at ${formatClock(answeredAt)}, job ${verb} ${attemptsWord(failed.attempts.length)} later${when}`;
  }
  const ran = mine.find((t) => t.outcome === 'succeeded' || t.attempts.length > 0);
  if (status >= 500 && ran) {
    const what = ran.outcome === 'succeeded' ? 'ran and succeeded' : 'was enqueued and ran';
    return `client got ${status} at ${formatClock(answeredAt)}, but task ${shortId(ran.taskId, 14)} ${what}: a client retry would run it twice`;
  }
  if (status >= 500 && mine.length > 0) {
    return `client got ${status} at ${formatClock(answeredAt)}, but task ${shortId(mine[0]?.taskId ?? '?', 14)} was enqueued`;
  }
  return undefined;
}

/** Decide the trace's outcome and its one-line summary. */
export function decideOutcome(input: OutcomeInput): Outcome {
  const { requests, tasks, duplicates, inFlight, found } = input;
  if (!found) return { status: 'unknown', summary: 'no lines found', divergence: undefined };
  const parts: string[] = [];
  for (const request of requests) {
    const status = clientStatus(request);
    const head = `${request.method ?? '?'} ${request.path ?? '?'} → ${status ?? 'no response'}`;
    const at = request.nginx?.endedAt ?? request.respondedAt;
    parts.push(at === undefined ? head : `${head} at ${formatClock(at)}`);
  }
  for (const task of tasks) parts.push(taskSentence(task));
  const blocked = duplicates[0];
  if (blocked)
    parts.push(`blocked as ${blocked.kind.replaceAll('_', ' ')} of task ${shortId(blocked.originalTaskId ?? '?', 14)}`);
  const divergence = requests.map((r) => divergenceOf(r, tasks)).find((d) => d !== undefined);
  const summary = parts.join('; ');

  let status: Outcome['status'];
  const statuses = requests.map(clientStatus).filter((s): s is number => s !== undefined);
  if (tasks.some((t) => t.outcome === 'failed' || t.outcome === 'dead_lettered')) status = 'failed';
  else if (inFlight) status = 'in_flight';
  else if (tasks.length === 0 && blocked) status = 'duplicate';
  else if (tasks.length > 0 && tasks.every((t) => t.outcome === 'succeeded')) status = 'succeeded';
  else if (tasks.length === 0 && statuses.length > 0 && statuses.every((s) => s >= 400)) status = 'rejected';
  else if (tasks.length === 0 && statuses.length > 0 && statuses.every((s) => s < 400)) status = 'succeeded';
  // Queued or running, yet silent for longer than the stale limit: a named gap says where.
  else if (tasks.some((t) => t.outcome === 'queued' || t.outcome === 'running')) status = 'stuck';
  else status = 'unknown';
  return { status, summary, divergence };
}

/** The latest instant a task showed any activity. */
function lastActivity(task: TaskTrace): number {
  let latest = task.enqueuedAt ?? Number.NEGATIVE_INFINITY;
  for (const attempt of task.attempts)
    latest = Math.max(
      latest,
      attempt.startedAt,
      attempt.endedAt ?? Number.NEGATIVE_INFINITY,
      attempt.retryAt ?? Number.NEGATIVE_INFINITY,
    );
  return latest;
}

/**
 * True while something is still queued, running or unanswered and not silent for longer
 * than `staleAfterMs`: what --follow waits for.
 */
export function isInFlight(
  requests: readonly RequestBranch[],
  tasks: readonly TaskTrace[],
  now: number,
  staleAfterMs: number,
): boolean {
  return (
    tasks.some((t) => (t.outcome === 'queued' || t.outcome === 'running') && now - lastActivity(t) <= staleAfterMs) ||
    requests.some(
      (r) => r.receivedAt !== undefined && r.respondedAt === undefined && now - r.receivedAt <= staleAfterMs,
    )
  );
}
