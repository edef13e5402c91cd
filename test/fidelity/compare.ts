/**
 * Ground truth vs reconstruction, per request: what the load generator sent and was answered
 * (workload/load/ground-truth.ts) against what `dtq-explore --json` rebuilt from the logs
 * alone (docs/explorer-json.md). Pure, so the rules can be read and tested on their own.
 */
import type { FinalRecord, RequestRecord } from '../../workload/load/ground-truth.ts';
import type { FaultSpec } from '../../workload/queue/contract.ts';

/** The parts of a dtq-explore/trace@1 document the check reads. */
export interface TraceDoc {
  correlation_id: string;
  task_ids: string[];
  outcome: { status: string };
  requests: { status: number | null; nginx: { status: number | null } | null; task_ids?: string[] }[];
  tasks: { task_id: string; outcome: string; attempts: { instance: string; result: string }[] }[];
  duplicates: { kind: string; direction: string; original_task_id: string | null }[];
  takeovers?: {
    direction: string;
    correlation_id: string | null;
    original_correlation_id: string | null;
    task_id: string | null;
  }[];
}

/** Everything the comparison needs besides the trace. */
export interface Truth {
  readonly request: RequestRecord;
  /** Task id of the original of the request's Idempotency-Key group, when known. */
  readonly originalTaskId: string | null;
  readonly final: FinalRecord | undefined;
  /** The worker SIGKILLed while it ran this request's task, when that happened. */
  readonly killedOn?: string | undefined;
  /** The worker frozen (SIGSTOP past its lease, then SIGCONT) while it ran this request's task. */
  readonly frozenOn?: string | undefined;
  /** For a lease takeover pair: the correlation id of the other request of the pair. */
  readonly takeoverPartner?: string | null | undefined;
}

/** The correlation id every log line of the request carries. */
export function correlationIdOf(request: RequestRecord): string | null {
  return request.correlation_id_received ?? request.correlation_id_body ?? request.correlation_id_sent;
}

function expectDuplicate(doc: TraceDoc, kind: string, original: string | null, misses: string[]): void {
  const found = doc.duplicates.find((d) => d.kind === kind && d.direction === 'blocked');
  if (!found)
    misses.push(
      `expected a blocked ${kind}, found [${doc.duplicates.map((d) => `${d.direction} ${d.kind}`).join(', ')}]`,
    );
  else if (original !== null && found.original_task_id !== original)
    misses.push(`${kind} points at ${found.original_task_id}, the original is ${original}`);
}

/** The task id of a 503 whose enqueue may or may not have happened (DTQ_ERR_API_ENQUEUE_OUTCOME_UNKNOWN). */
function unknownOutcomeTask(request: RequestRecord): string | undefined {
  const body = request.response_body as { error?: { code?: unknown; task_id?: unknown } } | null;
  const error = body?.error;
  return error?.code === 'DTQ_ERR_API_ENQUEUE_OUTCOME_UNKNOWN' && typeof error.task_id === 'string'
    ? error.task_id
    : undefined;
}

/**
 * A lease takeover, as both traces must tell it: the second request `took_over` from the
 * first, the first had its claim `taken_from` it, both name the one task they answer with.
 */
function expectTakeover(doc: TraceDoc, request: RequestRecord, partner: string | null, misses: string[]): void {
  const direction = request.kind === 'takeover' ? 'took_over' : 'taken_from';
  const found = (doc.takeovers ?? []).find((t) => t.direction === direction);
  if (!found) {
    misses.push(
      `expected a takeover (${direction}), found [${(doc.takeovers ?? []).map((t) => t.direction).join(', ')}]`,
    );
    return;
  }
  if (found.task_id !== request.task_id)
    misses.push(`takeover names task ${found.task_id}, the answer was ${request.task_id}`);
  const other = direction === 'took_over' ? found.original_correlation_id : found.correlation_id;
  if (partner !== null && other !== partner)
    misses.push(`takeover names ${other} as the other request, it was ${partner}`);
}

/** Results of an attempt whose worker vanished: reported stalled, or superseded without a word. */
function isDeadAttempt(result: string): boolean {
  return result === 'stalled' || result === 'lost';
}

/** Whether an attempt's instance is worker `worker` itself or one of its pool processes (Celery's `worker-1.2`). */
export function isOnWorker(instance: string, worker: string): boolean {
  return instance === worker || instance.startsWith(`${worker}.`);
}

/**
 * The attempts a task planned with `fault` takes when nothing kills its worker: one, plus one
 * per injected transient failure up to `maxAttempts` in all; a poison fails its first. For a
 * system whose status route does not count attempts (Celery's says only its state).
 */
export function plannedAttempts(fault: FaultSpec | null, maxAttempts: number): number {
  if (fault?.poison === true) return 1;
  return Math.min((fault?.fail_attempts ?? 0) + 1, maxAttempts);
}

/** What differs between the truth and the trace; empty when the request was rebuilt exactly. */
export function compareRequest(truth: Truth, doc: TraceDoc): string[] {
  const { request, originalTaskId, final } = truth;
  const misses: string[] = [];
  const seen = doc.requests.map((r) => r.nginx?.status ?? r.status);
  if (!seen.includes(request.status)) misses.push(`client got ${request.status}, trace shows [${seen.join(', ')}]`);

  if (request.kind === 'claim_held' || request.kind === 'takeover')
    expectTakeover(doc, request, truth.takeoverPartner ?? null, misses);

  if (request.replayed) {
    expectDuplicate(doc, 'idempotency_replay', request.task_id, misses);
    if (doc.task_ids.length > 0) misses.push(`a replay created no task, trace has [${doc.task_ids.join(', ')}]`);
    return misses;
  }
  if (request.status === 409) {
    expectDuplicate(doc, 'in_flight_conflict', originalTaskId, misses);
    return misses;
  }
  if (request.status === 422 && request.kind === 'mismatch') {
    expectDuplicate(doc, 'payload_mismatch', originalTaskId, misses);
    return misses;
  }
  const unknown = unknownOutcomeTask(request);
  if (unknown !== undefined) {
    // The API said the task may or may not exist: the trace may show it, and nothing else.
    const others = doc.task_ids.filter((id) => id !== unknown);
    if (others.length > 0) misses.push(`enqueue outcome unknown for ${unknown}, trace has [${others.join(', ')}]`);
    return misses;
  }
  if (request.task_id === null) {
    if (doc.task_ids.length > 0)
      misses.push(`no task was created (status ${request.status}), trace has [${doc.task_ids.join(', ')}]`);
    return misses;
  }
  if (doc.task_ids.length !== 1 || doc.task_ids[0] !== request.task_id)
    misses.push(`task ids: expected [${request.task_id}], found [${doc.task_ids.join(', ')}]`);
  const task = doc.tasks.find((t) => t.task_id === request.task_id);
  const died = truth.killedOn;
  if (task && died !== undefined && !task.attempts.some((a) => isOnWorker(a.instance, died) && isDeadAttempt(a.result)))
    misses.push(
      `the attempt that died with ${died} is not marked stalled or lost: [${task.attempts.map((a) => `${a.instance} ${a.result}`).join(', ')}]`,
    );
  // A frozen worker SIGKILLed while it held the task never resumed: its attempt died, and the
  // kill's story (stalled or lost, checked above) is the true one.
  const frozen = died !== undefined && truth.frozenOn === died ? undefined : truth.frozenOn;
  if (
    task &&
    frozen !== undefined &&
    // It lost its lease, and whatever it did after waking did not count; `stalled` (the worker
    // died) would be the wrong story: it came back.
    !task.attempts.some((a) => a.instance === frozen && a.result === 'lease_lost')
  )
    misses.push(
      `the attempt on ${frozen}, frozen past its lease and resumed, is not shown as such: [${task.attempts.map((a) => `${a.instance} ${a.result}`).join(', ')}]`,
    );
  if (!task || !final?.settled) return misses;
  const wanted =
    final.status === 'succeeded'
      ? ['succeeded']
      : final.status === 'failed'
        ? ['failed', 'dead_lettered']
        : [final.status];
  if (!wanted.includes(task.outcome)) misses.push(`outcome: expected ${final.status}, found ${task.outcome}`);
  if (final.attempts !== null && task.attempts.length !== final.attempts)
    misses.push(`attempts: expected ${final.attempts}, found ${task.attempts.length}`);
  return misses;
}

/** A status multiset as sorted text, for a message that says what differed. */
function statuses(list: readonly (number | null)[]): string {
  return [...list].sort((a, b) => (a ?? 0) - (b ?? 0)).join(', ');
}

/**
 * Requests sent at once with one X-Request-ID, against the one trace that id opens: exactly
 * as many requests as were answered, with the same statuses, each created task under its own
 * request (never two under one, never one under a refused request), and each task's outcome
 * and attempts as its final state says.
 */
export function compareSharedGroup(
  members: readonly RequestRecord[],
  finals: ReadonlyMap<string, FinalRecord>,
  doc: TraceDoc,
): string[] {
  const misses: string[] = [];
  const answered = members.filter((m) => m.status !== 0);
  const seen = doc.requests.map((r) => r.nginx?.status ?? r.status);
  if (seen.length !== answered.length || statuses(seen) !== statuses(answered.map((m) => m.status)))
    misses.push(
      `${answered.length} requests answered [${statuses(answered.map((m) => m.status))}], trace shows ${seen.length} [${statuses(seen)}]`,
    );
  const expectedTasks = answered.flatMap((m) => (m.task_id === null ? [] : [m.task_id])).sort();
  const perRequest = doc.requests.map((r) => r.task_ids ?? []);
  const crowded = perRequest.filter((ids) => ids.length > 1);
  if (crowded.length > 0)
    misses.push(`requests with more than one task: [${crowded.map((ids) => ids.join('+')).join(', ')}]`);
  const shown = perRequest.flat().sort();
  if (shown.join(',') !== expectedTasks.join(','))
    misses.push(`tasks under the requests: expected [${expectedTasks.join(', ')}], found [${shown.join(', ')}]`);
  doc.requests.forEach((r, i) => {
    const status = r.nginx?.status ?? r.status;
    if (status !== null && status >= 400 && (perRequest[i] ?? []).length > 0)
      misses.push(`request ${i + 1} answered ${status} but shows task [${(perRequest[i] ?? []).join(', ')}]`);
  });
  for (const taskId of expectedTasks) {
    const task = doc.tasks.find((t) => t.task_id === taskId);
    const final = finals.get(taskId);
    if (!task) {
      misses.push(`task ${taskId} is not in the trace`);
      continue;
    }
    if (!final?.settled) continue;
    const wanted = final.status === 'failed' ? ['failed', 'dead_lettered'] : [final.status];
    if (!wanted.includes(task.outcome)) misses.push(`task ${taskId}: expected ${final.status}, found ${task.outcome}`);
    if (final.attempts !== null && task.attempts.length !== final.attempts)
      misses.push(`task ${taskId}: expected ${final.attempts} attempts, found ${task.attempts.length}`);
  }
  return misses;
}
