/**
 * Hits → Trace: the explorer's one pure transformation (after jaeger-ui's
 * transform-trace-data). It joins, orders, repairs clock skew, groups HTTP requests into
 * branches, builds each task's attempts, collects duplicates, names what is missing and
 * states the outcome. It never throws on odd data: what it cannot place becomes a warning.
 */
import { DUPLICATE_EVENTS, F } from '../../contract/vocabulary.ts';
import { formatClock, formatDuration, num, str } from './fields.ts';
import { InstanceStreams, mergeOrdered, ParsedLines, type WorkLine, writtenOrder } from './lines.ts';
import { decideOutcome } from './outcome.ts';
import { cutPendingPolls, type PollBacklog, pendingPolls } from './pending.ts';
import { groupApiRequests, type HttpGroup, matchNginx, methodOf, nginxStart, pathOf, statusOf } from './requests.ts';
import { repairSkew } from './skew.ts';
import { buildTask, type TaskCore } from './tasks.ts';
import type { Duplicate, Gap, Hit, PendingPolls, Poll, RequestBranch, TaskTrace, Trace, TraceLine } from './types.ts';

/** Inputs besides the hits. */
export interface BuildTraceOptions {
  readonly correlationId: string;
  /** The task `--task` asked for, to focus on. */
  readonly focusTaskId?: string | undefined;
  /** Epoch ms "now", so staleness is decided by the caller (and tests). */
  readonly now: number;
  /** Which store the hits came from: only Elasticsearch can lag behind the files. */
  readonly source: 'elasticsearch' | 'files';
  /** Queued or running for longer than this without a new line counts as stuck. Default 120 s. */
  readonly staleAfterMs?: number;
  /** Lines the source skipped as malformed, reported as a warning. */
  readonly malformedLines?: number;
  /**
   * Set for a first, partial trace: the status-poll lines the source has not delivered yet.
   * Polls that may lack lines are held back and counted in `trace.pending` instead.
   */
  readonly backlog?: PollBacklog | undefined;
}

const DEFAULT_STALE_AFTER_MS = 120_000;
/** Elasticsearch refreshes every second and the shipper batches: newer lines may be missing. */
const SHIPPER_LAG_WINDOW_MS = 60_000;

/**
 * Build the trace of one correlation id from every hit its joins fetched, raw or already
 * parsed (a loader parses each fetch as it arrives, see explorer/load-trace.ts).
 */
export function buildTrace(input: readonly Hit[] | ParsedLines, options: BuildTraceOptions): Trace {
  const cid = options.correlationId;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const warnings: string[] = [];
  const parsed = input instanceof ParsedLines ? input : new ParsedLines(cid).add(input);
  if (parsed.correlationId !== cid)
    throw new TypeError(`lines parsed for ${parsed.correlationId}, trace asked for ${cid}`);
  const untimed = parsed.untimed;
  if (untimed > 0) warnings.push(`${untimed} line(s) without a valid @timestamp were left out`);
  if ((options.malformedLines ?? 0) > 0)
    warnings.push(`${options.malformedLines} malformed line(s) in the logs were skipped (not JSON)`);

  const taskIds = new Set(parsed.joinedTaskIds());
  if (options.focusTaskId !== undefined) taskIds.add(options.focusTaskId);
  const backlog = options.backlog;
  for (const id of backlog?.taskIds ?? []) taskIds.add(id);
  const all = parsed.lines;

  // Keep what belongs (sources may over-fetch: a substring match in a file, a broad query),
  // each process's lines in one stream, in written order and without repeats.
  const byInstance = new InstanceStreams();
  for (let i = 0; i < all.length; i++) {
    const line = all[i] as WorkLine;
    if (line.correlationId === cid || belongs(line, cid, taskIds)) byInstance.add(line);
  }
  let streams = byInstance.ordered();
  // Usually every line belongs, once: then the parsed list is the trace's list of lines.
  const kept: WorkLine[] | undefined = byInstance.size === parsed.lines.length ? undefined : [];
  let work = kept ?? parsed.lines;

  // Classify once: this trace's HTTP lines, its tasks' lines and the duplicates.
  const apiStreams: WorkLine[][] = [];
  const nginxLines: WorkLine[] = [];
  const taskLines = new Map<string, WorkLine[]>();
  const duplicateLines: WorkLine[] = [];
  for (const stream of streams) {
    let api: WorkLine[] | undefined;
    for (let i = 0; i < stream.length; i++) {
      const line = stream[i] as WorkLine;
      kept?.push(line);
      const mine = line.correlationId === cid;
      if (line.service === 'api') {
        if (mine || (line.polled !== undefined && taskIds.has(line.polled))) {
          if (api === undefined) {
            api = [];
            apiStreams.push(api);
          }
          api.push(line);
        }
      } else if (line.service === 'nginx' && mine) nginxLines.push(line);
      if (line.isTask && line.taskId !== undefined && taskIds.has(line.taskId)) {
        const list = taskLines.get(line.taskId);
        if (list) list.push(line);
        else taskLines.set(line.taskId, [line]);
      }
      if (line.isDuplicate) duplicateLines.push(line);
    }
  }
  for (const list of taskLines.values()) list.sort(writtenOrder);

  let groups = groupApiRequests(apiStreams);
  let orphanNginx = matchNginx(nginxLines, groups);
  let pending: PendingPolls | undefined;
  if (backlog) {
    // A partial trace shows only whole polls; the rest wait for the complete trace.
    const cut = cutPendingPolls(groups, orphanNginx, cid, backlog.loadedUntil);
    if (cut.lines.size > 0) {
      const kept = (line: WorkLine): boolean => !cut.lines.has(line);
      groups = groups.filter((group) => !cut.groups.has(group));
      orphanNginx = orphanNginx.filter(kept);
      streams = streams.map((stream) => stream.filter(kept));
      work = work.filter(kept);
    }
    pending = pendingPolls(backlog, groups);
  }
  const skew = repairSkew(work, groups, taskLines);
  for (const correction of skew)
    warnings.push(
      `clock skew: shifted ${correction.instance} by ${correction.shiftMs > 0 ? '+' : ''}${formatDuration(correction.shiftMs)} (${correction.reason})`,
    );

  // The trace's lines are the work lines themselves (a TraceLine is their read-only view):
  // copying 10,000 of them cost more than anything the copy would protect.
  const ordered = mergeOrdered(streams);
  for (const list of taskLines.values()) list.sort((a, b) => a.id - b.id);
  const cores = new Map<string, TaskCore>();
  for (const [taskId, list] of taskLines) cores.set(taskId, buildTask(taskId, list));

  // Requests of this correlation id become branches; polls of its tasks hang off the task.
  const primary: HttpGroup[] = [];
  const ownPolls: HttpGroup[] = [];
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i] as HttpGroup;
    if (group.correlationId !== cid) continue;
    if (group.polled === undefined) primary.push(group);
    else ownPolls.push(group);
  }
  // Only a correlation id that did nothing but poll makes branches of its polls.
  const pollsAreBranches = primary.length === 0;
  const branchGroups = pollsAreBranches ? ownPolls : primary;

  const polls = new Map<string, Poll[]>();
  for (let i = 0; i < groups.length; i++) {
    const group = groups[i] as HttpGroup;
    const polled = group.polled;
    if (polled === undefined || (pollsAreBranches && group.correlationId === cid) || !cores.has(polled)) continue;
    const start = group.received ?? group.lines[0];
    if (start === undefined) continue;
    const n = group.lines.length;
    const lineIds = new Array<number>(group.nginx ? n + 1 : n);
    for (let i = 0; i < n; i++) lineIds[i] = (group.lines[i] as WorkLine).id;
    if (group.nginx) lineIds[n] = group.nginx.id;
    const poll: Poll = {
      correlationId: group.correlationId,
      at: start.at,
      status: statusOf(group),
      durationMs: durationMsOf(group),
      lineIds,
    };
    const list = polls.get(polled);
    if (list) list.push(poll);
    else polls.set(polled, [poll]);
  }

  const tasks: TaskTrace[] = [...cores.values()]
    .map((core) => ({
      taskId: core.taskId,
      taskType: core.taskType,
      queue: core.queue,
      priority: core.priority,
      enqueuedAt: core.enqueuedAt,
      enqueueLineId: core.enqueueLine?.id,
      attempts: core.attempts,
      outcome: core.outcome,
      endedAt: core.endedAt,
      deadLetteredAt: core.deadLetteredAt,
      polls: byTime(polls.get(core.taskId) ?? []),
      lineIds: core.lineIds,
    }))
    .sort((a, b) => firstAt(a) - firstAt(b));

  const requests = buildBranches(branchGroups, orphanNginx, tasks, cores);
  if (requests.length > 1)
    warnings.push(`correlation id reused by ${requests.length} requests; each is its own branch`);
  if (requests.every((r) => r.lineIds.length === 0) && work.length > 0)
    warnings.push('no HTTP lines for this correlation id: only job lines were found');

  duplicateLines.sort((a, b) => a.id - b.id);
  const duplicates = collectDuplicates(duplicateLines, cid, taskIds);

  // The merge ordered the lines by repaired time: the last is the newest.
  let newest = ordered[ordered.length - 1]?.at ?? Number.NEGATIVE_INFINITY;
  if (backlog) {
    // Polls still loading extend the trace to their newest line, on their process's clock as repaired.
    const shifts = new Map(skew.map((s) => [s.instance, s.shiftMs]));
    for (const [instance, written] of backlog.newestByInstance)
      newest = Math.max(newest, written + (shifts.get(instance) ?? 0));
  }
  const gaps = nameGaps(requests, tasks, options.now, staleAfterMs);
  const inFlight =
    tasks.some(
      (t) => (t.outcome === 'queued' || t.outcome === 'running') && options.now - lastActivity(t) <= staleAfterMs,
    ) ||
    requests.some(
      (r) => r.receivedAt !== undefined && r.respondedAt === undefined && options.now - r.receivedAt <= staleAfterMs,
    );
  const incomplete = inFlight || requests.some((r) => r.nginx === undefined || r.respondedAt === undefined);
  if (
    options.source === 'elasticsearch' &&
    incomplete &&
    ordered.length > 0 &&
    options.now - newest < SHIPPER_LAG_WINDOW_MS
  ) {
    gaps.push({
      kind: 'shipper_lag',
      message: `shipper lag: newest lines may not be indexed yet (newest line ${formatDuration(options.now - newest)} ago)`,
      at: newest,
    });
  }

  const lines: readonly TraceLine[] = ordered;
  let startedAt = ordered[0]?.at ?? options.now;
  let endedAt = Number.isFinite(newest) ? Math.max(startedAt, newest) : startedAt;
  for (const request of requests) {
    if (request.nginx) {
      startedAt = Math.min(startedAt, request.nginx.startedAt);
      endedAt = Math.max(endedAt, request.nginx.endedAt);
    }
  }

  const outcome = decideOutcome({
    requests,
    tasks,
    duplicates: duplicates.filter((d) => d.direction === 'blocked'),
    inFlight,
    found: work.length > 0,
  });
  return {
    correlationId: cid,
    focusTaskId: options.focusTaskId,
    lines,
    requests,
    tasks,
    duplicates,
    gaps,
    skew,
    warnings,
    outcome,
    startedAt,
    endedAt,
    inFlight,
    ...(pending ? { pending } : {}),
  };
}

/** Polls in time order; they come from requests ordered by start, so usually are already. */
function byTime(polls: Poll[]): Poll[] {
  for (let i = 1; i < polls.length; i++)
    if ((polls[i] as Poll).at < (polls[i - 1] as Poll).at) return polls.sort((a, b) => a.at - b.at);
  return polls;
}

function belongs(line: WorkLine, cid: string, taskIds: ReadonlySet<string>): boolean {
  if (line.correlationId === cid) return true;
  if (line.taskId !== undefined && taskIds.has(line.taskId)) return true;
  if (line.polled !== undefined && taskIds.has(line.polled)) return true;
  if (!line.isDuplicate) return false;
  const originalTask = str(line.record, F.ORIGINAL_TASK_ID);
  return (
    str(line.record, F.ORIGINAL_CORRELATION_ID) === cid || (originalTask !== undefined && taskIds.has(originalTask))
  );
}

function firstAt(task: TaskTrace): number {
  return task.enqueuedAt ?? task.attempts[0]?.startedAt ?? Number.POSITIVE_INFINITY;
}

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

function durationMsOf(group: HttpGroup): number | undefined {
  if (group.completed === undefined) return undefined;
  const ns = num(group.completed.record, F.EVENT_DURATION);
  if (ns !== undefined) return ns / 1e6;
  return group.received ? group.completed.at - group.received.at : undefined;
}

function buildBranches(
  groups: readonly HttpGroup[],
  orphanNginx: readonly WorkLine[],
  tasks: readonly TaskTrace[],
  cores: ReadonlyMap<string, TaskCore>,
): RequestBranch[] {
  interface Draft {
    group: HttpGroup | undefined;
    nginx: WorkLine | undefined;
    start: number;
    taskIds: string[];
  }
  const drafts: Draft[] = [
    ...groups.map((group) => ({
      group,
      nginx: group.nginx,
      start: Math.min(
        group.nginx ? nginxStart(group.nginx) : Number.POSITIVE_INFINITY,
        (group.received ?? group.lines[0])?.at ?? Number.POSITIVE_INFINITY,
      ),
      taskIds: [] as string[],
    })),
    ...orphanNginx.map((nginx) => ({ group: undefined, nginx, start: nginxStart(nginx), taskIds: [] as string[] })),
  ].sort((a, b) => a.start - b.start);

  const draftOfLine = new Map<WorkLine, Draft>();
  for (const draft of drafts) for (const line of draft.group?.lines ?? []) draftOfLine.set(line, draft);
  for (const task of tasks) {
    const enqueue = cores.get(task.taskId)?.enqueueLine;
    let owner = enqueue ? draftOfLine.get(enqueue) : undefined;
    // No enqueue line in any request of this id (missing, or --task on a job enqueued
    // elsewhere): hang it on the latest request that started before the job's first line.
    owner ??= drafts.findLast((d) => d.group !== undefined && d.start <= firstAt(task)) ?? drafts.find((d) => d.group);
    if (owner === undefined) {
      owner = { group: undefined, nginx: undefined, start: firstAt(task), taskIds: [] };
      drafts.push(owner);
    }
    owner.taskIds.push(task.taskId);
  }

  return drafts.map((draft, i) => {
    const group = draft.group;
    const nginx = draft.nginx;
    const lineIds = [...(group?.lines.map((l) => l.id) ?? []), ...(nginx ? [nginx.id] : [])].sort((a, b) => a - b);
    return {
      index: i + 1,
      method: (group ? methodOf(group) : undefined) ?? (nginx ? str(nginx.record, F.HTTP_METHOD) : undefined),
      path: (group ? pathOf(group) : undefined) ?? (nginx ? str(nginx.record, F.URL_PATH) : undefined),
      route: group?.lines.map((l) => str(l.record, F.HTTP_ROUTE)).find((r) => r !== undefined),
      status: (group ? statusOf(group) : undefined) ?? (nginx ? num(nginx.record, F.HTTP_STATUS) : undefined),
      apiInstance: group?.instance,
      receivedAt: group?.received?.at,
      respondedAt: group?.completed?.at,
      apiDurationMs: group ? durationMsOf(group) : undefined,
      nginx: nginx
        ? {
            startedAt: nginxStart(nginx),
            endedAt: nginx.at,
            status: num(nginx.record, F.HTTP_STATUS),
            upstream: str(nginx.record, F.NGINX_UPSTREAM_ADDRESS),
            lineId: nginx.id,
          }
        : undefined,
      idempotencyKey: group?.lines.map((l) => str(l.record, F.IDEMPOTENCY_KEY)).find((k) => k !== undefined),
      taskIds: draft.taskIds,
      lineIds,
    };
  });
}

/** Duplicates among `lines` (duplicate lines in trace order) that this trace blocked or that point at it. */
function collectDuplicates(lines: readonly WorkLine[], cid: string, taskIds: ReadonlySet<string>): Duplicate[] {
  const out: Duplicate[] = [];
  for (const line of lines) {
    const originalTaskId = str(line.record, F.ORIGINAL_TASK_ID);
    const originalCorrelationId = str(line.record, F.ORIGINAL_CORRELATION_ID);
    const mine = line.correlationId === cid;
    const pointsHere = originalCorrelationId === cid || (originalTaskId !== undefined && taskIds.has(originalTaskId));
    if (!mine && !pointsHere) continue;
    out.push({
      kind: DUPLICATE_EVENTS[line.action as keyof typeof DUPLICATE_EVENTS],
      action: line.action,
      at: line.at,
      correlationId: line.correlationId,
      // On a replayed request task_id names the original; only a job's own lines name itself.
      taskId: line.isTask ? line.taskId : undefined,
      originalTaskId,
      originalCorrelationId,
      idempotencyKey: str(line.record, F.IDEMPOTENCY_KEY),
      lockResource: str(line.record, F.LOCK_RESOURCE),
      direction: mine ? 'blocked' : 'incoming',
      lineId: line.id,
    });
  }
  return out;
}

function nameGaps(
  requests: readonly RequestBranch[],
  tasks: readonly TaskTrace[],
  now: number,
  staleAfterMs: number,
): Gap[] {
  const gaps: Gap[] = [];
  for (const request of requests) {
    if (request.nginx && request.apiInstance === undefined) {
      const upstream = request.nginx.upstream ? ` (upstream ${request.nginx.upstream})` : '';
      gaps.push({
        kind: 'no_api_line',
        message: `nginx ${request.nginx.status ?? '?'} at ${formatClock(request.nginx.endedAt)}, no API line${upstream}`,
        at: request.nginx.endedAt,
      });
    }
  }
  for (const task of tasks) {
    if (
      task.attempts.length === 0 &&
      task.enqueuedAt !== undefined &&
      task.outcome === 'queued' &&
      now - task.enqueuedAt > staleAfterMs
    ) {
      gaps.push({
        kind: 'never_started',
        message: `task ${task.taskId} enqueued${task.queue ? ` on ${task.queue}` : ''} at ${formatClock(task.enqueuedAt)}, never started`,
        taskId: task.taskId,
        at: task.enqueuedAt,
      });
    }
    task.attempts.forEach((attempt, i) => {
      const later = i < task.attempts.length - 1;
      const stuck = attempt.result === 'running' && !later && now - attempt.startedAt > staleAfterMs;
      if (attempt.result === 'lost' || attempt.result === 'stalled' || stuck) {
        const how = attempt.result === 'stalled' ? '; reported stalled' : later ? '; the job was redelivered' : '';
        gaps.push({
          kind: 'never_finished',
          message: `attempt ${attempt.number} of task ${task.taskId} started on ${attempt.instance} at ${formatClock(attempt.startedAt)}, never finished (worker died?)${how}`,
          taskId: task.taskId,
          at: attempt.startedAt,
        });
      }
    });
  }
  return gaps;
}
