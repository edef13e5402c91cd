/**
 * Step: pending polls, for a first, partial trace while a long series of status polls is
 * still being fetched. The sources deliver everything else of the trace, plus the first page
 * of poll lines in time order and a summary of all of them (see load-trace.ts); this module
 * decides which polls of that page are whole, so every row the partial trace shows is final,
 * and counts the polls still to come per task for the "loading" rows.
 */
import type { WorkLine } from '../lines.ts';
import type { PendingPolls } from '../types.ts';
import type { HttpGroup } from './requests.ts';

/** What the source knows of the status-poll lines it has not delivered yet. */
export interface PollBacklog {
  /** Every status-poll line written before this instant (epoch ms) is among the hits. */
  readonly loadedUntil: number;
  /** Status polls (their `http.request.received` lines) in all, delivered or not. */
  readonly polls: number;
  /** The same per polled task, for lines that name it. */
  readonly pollsByTask: ReadonlyMap<string, number>;
  /** Every task the trace's own polls ask about: they join the trace before their polls arrive. */
  readonly taskIds: readonly string[];
  /** Newest written time (epoch ms) of any status-poll line, delivered or not, per process. */
  readonly newestByInstance: ReadonlyMap<string, number>;
}

/**
 * How long a status poll may go on writing lines after its first one. A poll first seen this
 * close to `loadedUntil` without its answer (or, for the trace's own polls, without nginx's
 * line) may have the rest of its lines in the next page; an older one is taken as it is.
 */
export const POLL_GRACE_MS = 10_000;

/** Polls of a partial trace that wait for the rest of the lines, and their lines. */
export interface PollCut {
  readonly groups: ReadonlySet<HttpGroup>;
  readonly lines: ReadonlySet<WorkLine>;
}

function startOf(group: HttpGroup): number {
  return (group.received ?? group.lines[0])?.writtenAt ?? 0;
}

/**
 * The status polls to hold back from a partial trace: from the first one that started at or
 * after `loadedUntil`, or that started within {@link POLL_GRACE_MS} of it and is not whole,
 * every later one, with the nginx lines that may pair with them. The polls kept are then a
 * prefix in time of the complete trace's polls, each with all its lines.
 */
export function cutPendingPolls(
  groups: readonly HttpGroup[],
  orphanNginx: readonly WorkLine[],
  correlationId: string,
  loadedUntil: number,
): PollCut {
  let cut = loadedUntil;
  // groupApiRequests orders the groups by start.
  for (const group of groups) {
    if (group.polled === undefined) continue;
    const start = startOf(group);
    if (start >= loadedUntil) break;
    const whole =
      group.received !== undefined &&
      group.completed !== undefined &&
      (group.correlationId !== correlationId || group.nginx !== undefined);
    if (!whole && start >= loadedUntil - POLL_GRACE_MS) {
      cut = start;
      break;
    }
  }
  const held = new Set<HttpGroup>();
  const lines = new Set<WorkLine>();
  for (const group of groups) {
    if (group.polled === undefined || startOf(group) < cut) continue;
    held.add(group);
    for (const line of group.lines) lines.add(line);
    if (group.nginx) lines.add(group.nginx);
  }
  for (const line of orphanNginx) if (line.polled !== undefined && line.writtenAt >= cut) lines.add(line);
  return { groups: held, lines };
}

/** Polls still to come: the backlog's counts less the polls the partial trace shows. */
export function pendingPolls(backlog: PollBacklog, kept: readonly HttpGroup[]): PendingPolls {
  const shown = new Map<string, number>();
  let shownTotal = 0;
  for (const group of kept) {
    if (group.polled === undefined || group.received === undefined) continue;
    shownTotal++;
    shown.set(group.polled, (shown.get(group.polled) ?? 0) + 1);
  }
  const left: [string, number][] = [];
  for (const [taskId, total] of backlog.pollsByTask) {
    const count = total - (shown.get(taskId) ?? 0);
    if (count > 0) left.push([taskId, count]);
  }
  // fromEntries defines own keys: a task id `__proto__` stays a key, not a prototype.
  return { polls: Math.max(0, backlog.polls - shownTotal), byTask: Object.fromEntries(left) };
}

/** The trace's requests and lines before and after {@link holdBackPolls}. */
export interface PartialInput {
  readonly groups: readonly HttpGroup[];
  readonly orphanNginx: readonly WorkLine[];
  readonly streams: readonly (readonly WorkLine[])[];
}

/**
 * A partial trace shows only whole polls: the requests and lines without the polls held back
 * ({@link cutPendingPolls}), and the count of polls still to come.
 */
export function holdBackPolls(
  input: PartialInput,
  correlationId: string,
  backlog: PollBacklog,
): PartialInput & { readonly pending: PendingPolls } {
  const cut = cutPendingPolls(input.groups, input.orphanNginx, correlationId, backlog.loadedUntil);
  const kept = (line: WorkLine): boolean => !cut.lines.has(line);
  const groups = input.groups.filter((group) => !cut.groups.has(group));
  return {
    groups,
    orphanNginx: input.orphanNginx.filter(kept),
    streams: input.streams.map((stream) => stream.filter(kept)),
    pending: pendingPolls(backlog, groups),
  };
}
