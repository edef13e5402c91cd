/**
 * Hits → Trace: the explorer's one pure transformation (after jaeger-ui's
 * transform-trace-data), as a sequence of named steps in the spirit of Jaeger's adjusters,
 * each in its own file under steps/. It never throws on odd data: what it cannot place
 * becomes a warning or a named gap.
 */
import { mergeOrdered, ParsedLines } from './lines.ts';
import { branchRequests, buildBranches } from './steps/branches.ts';
import { classifyLines } from './steps/classify.ts';
import { contractLimits } from './steps/conformance.ts';
import { collectDuplicates } from './steps/duplicates.ts';
import { nameGaps, shipperLagGap } from './steps/gaps.ts';
import { decideOutcome, isInFlight } from './steps/outcome.ts';
import { holdBackPolls, type PollBacklog } from './steps/pending.ts';
import { collectPolls } from './steps/polls.ts';
import { groupApiRequests, matchNginx } from './steps/requests.ts';
import { selectLines } from './steps/select.ts';
import { repairSkew, skewWarning } from './steps/skew.ts';
import { collectTakeovers } from './steps/takeovers.ts';
import { buildTasks, finishTasks } from './steps/tasks.ts';
import type { Hit, PendingPolls, RequestBranch, Trace } from './types.ts';

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

/**
 * Build the trace of one correlation id from every hit its joins fetched, raw or already
 * parsed (a loader parses each fetch as it arrives, see explorer/load-trace.ts).
 */
export function buildTrace(input: readonly Hit[] | ParsedLines, options: BuildTraceOptions): Trace {
  const cid = options.correlationId;
  const now = options.now;
  const staleAfterMs = options.staleAfterMs ?? DEFAULT_STALE_AFTER_MS;
  const backlog = options.backlog;
  const parsed = input instanceof ParsedLines ? input : new ParsedLines(cid).add(input);
  if (parsed.correlationId !== cid)
    throw new TypeError(`lines parsed for ${parsed.correlationId}, trace asked for ${cid}`);
  const warnings = inputWarnings(parsed.untimed, options.malformedLines ?? 0);

  // The tasks this trace follows: those its lines name, the one asked for, and those its
  // polls still loading ask about.
  const taskIds = parsed.joinedTaskIds();
  if (options.focusTaskId !== undefined) taskIds.add(options.focusTaskId);
  for (const id of backlog?.taskIds ?? []) taskIds.add(id);

  // select → classify → requests → (pending polls) → skew → tasks, polls → branches → duplicates → gaps → outcome
  const selected = selectLines(parsed.lines, cid, taskIds);
  const { apiStreams, nginxLines, taskLines, duplicateLines } = classifyLines(selected, cid, taskIds);
  const groups = groupApiRequests(apiStreams);
  const orphanNginx = matchNginx(nginxLines, groups);
  const paired = { groups, orphanNginx, streams: selected };
  const partial = backlog ? holdBackPolls(paired, cid, backlog) : paired;
  const pending: PendingPolls | undefined = 'pending' in partial ? partial.pending : undefined;
  const streams = partial.streams;

  const skew = repairSkew(streams.flat(), partial.groups, taskLines);
  for (const correction of skew) warnings.push(skewWarning(correction));
  // Numbers every line; the trace's lines are the work lines themselves, final from here on
  // (a TraceLine is their read-only view).
  const lines = mergeOrdered(streams);

  for (const list of taskLines.values()) list.sort((a, b) => a.id - b.id);
  const cores = buildTasks(taskLines);
  const { branches, isBranch } = branchRequests(partial.groups, cid);
  const tasks = finishTasks(cores, collectPolls(partial.groups, new Set(cores.keys()), isBranch));
  const requests = buildBranches(branches, partial.orphanNginx, tasks, cores);
  // What misread lines make the trace unable to tell, said before anything built on them.
  const limits = contractLimits(lines, parsed.untimed, requests);
  for (const limit of limits) warnings.push(`cannot tell: ${limit.message}`);
  const requestWarnings = !limits.some((limit) => limit.voidsRequestWarnings);
  if (requestWarnings && requests.length > 1)
    warnings.push(`correlation id reused by ${requests.length} requests; each is its own branch`);
  if (requestWarnings && requests.every((r) => r.lineIds.length === 0) && lines.length > 0)
    warnings.push('no HTTP lines for this correlation id: only job lines were found');

  duplicateLines.sort((a, b) => a.id - b.id);
  const duplicates = collectDuplicates(duplicateLines, cid, taskIds);
  const takeovers = collectTakeovers(lines, cid);

  const newest = newestLine(lines, backlog, skew);
  const voided = new Set(limits.flatMap((limit) => limit.voids));
  const gaps = nameGaps(requests, tasks, now, staleAfterMs).filter((gap) => !voided.has(gap.kind));
  const inFlight = isInFlight(requests, tasks, now, staleAfterMs);
  const incomplete = inFlight || requests.some((r) => r.nginx === undefined || r.respondedAt === undefined);
  const lag = options.source === 'elasticsearch' && incomplete && lines.length > 0 && shipperLagGap(newest, now);
  if (lag) gaps.push(lag);

  const span = traceSpan(lines, requests, newest, now);
  const decided = decideOutcome({
    requests,
    tasks,
    duplicates: duplicates.filter((d) => d.direction === 'blocked'),
    inFlight,
    found: lines.length > 0,
  });
  const outcome =
    limits[0] === undefined
      ? decided
      : { status: 'undetermined' as const, summary: `cannot tell: ${limits[0].message}`, divergence: undefined };
  return {
    correlationId: cid,
    focusTaskId: options.focusTaskId,
    lines,
    requests,
    tasks,
    duplicates,
    takeovers,
    gaps,
    skew,
    warnings,
    outcome,
    startedAt: span.startedAt,
    endedAt: span.endedAt,
    inFlight,
    ...(pending ? { pending } : {}),
  };
}

function inputWarnings(untimed: number, malformed: number): string[] {
  const warnings: string[] = [];
  if (untimed > 0) warnings.push(`${untimed} line(s) without a valid @timestamp were left out`);
  if (malformed > 0) warnings.push(`${malformed} malformed line(s) in the logs were skipped (not JSON)`);
  return warnings;
}

/**
 * The newest repaired time: the last merged line, or a poll still loading, on its process's
 * clock as repaired.
 */
function newestLine(
  lines: readonly { readonly at: number }[],
  backlog: PollBacklog | undefined,
  skew: readonly { readonly instance: string; readonly shiftMs: number }[],
): number {
  let newest = lines.at(-1)?.at ?? Number.NEGATIVE_INFINITY;
  if (backlog) {
    const shifts = new Map(skew.map((s) => [s.instance, s.shiftMs]));
    for (const [instance, written] of backlog.newestByInstance)
      newest = Math.max(newest, written + (shifts.get(instance) ?? 0));
  }
  return newest;
}

/** From the first line (or nginx's start of a request) to the newest line (or nginx's end). */
function traceSpan(
  lines: readonly { readonly at: number }[],
  requests: readonly RequestBranch[],
  newest: number,
  now: number,
): { startedAt: number; endedAt: number } {
  let startedAt = lines[0]?.at ?? now;
  let endedAt = Number.isFinite(newest) ? Math.max(startedAt, newest) : startedAt;
  for (const request of requests) {
    if (request.nginx) {
      startedAt = Math.min(startedAt, request.nginx.startedAt);
      endedAt = Math.max(endedAt, request.nginx.endedAt);
    }
  }
  return { startedAt, endedAt };
}
