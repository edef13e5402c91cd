/**
 * The two-step fetch behind every trace: the correlation id's lines, then the lines of the
 * tasks they name (and duplicates pointing back), then the pure model. `--task` starts one
 * step earlier, from the task's lines to the request that created it.
 *
 * A client that polled its task thousands of times makes a trace of 10,000 lines, nearly all
 * of them status polls. `loadTraceProgressively` fetches everything else and only the first
 * page of polls (with a summary of all of them) first, so the TUI can draw a first screen
 * whose rows are all final, then fetches the remaining polls and gives the complete trace.
 */
import { dtqError } from '../contract/dtq-error.ts';
import { F } from '../contract/vocabulary.ts';
import { EXPLORE_ERRORS } from './errors.ts';
import { buildTrace } from './model/build-trace.ts';
import { formatIso, str } from './model/fields.ts';
import { correlationIdsOfTrace, joinTaskIds, owningCorrelationIds } from './model/join.ts';
import { ParsedLines } from './model/lines.ts';
import type { PollBacklog } from './model/steps/pending.ts';
import type { Hit, Trace } from './model/types.ts';
import type { LogSource, PollLines, PollPages } from './sources/source.ts';

/** What to open: a correlation id, or a task id to trace back. */
export type TraceTarget = { readonly correlationId: string } | { readonly taskId: string };

/** A trace with the time spent fetching and modelling it. */
export interface LoadedTrace {
  readonly trace: Trace;
  readonly fetchMs: number;
  readonly modelMs: number;
  readonly lineCount: number;
}

/**
 * Loads a target's trace for the TUI; may hand a first, partial trace (`trace.pending` set)
 * to `onFirst` before it resolves with the complete one.
 */
export type TraceLoader = (target: TraceTarget, onFirst?: (trace: Trace) => void) => Promise<Trace>;

/** A trace that arrives in two steps (see {@link loadTraceProgressively}). */
export interface ProgressiveTrace {
  /**
   * The trace to draw first. When status polls are still loading it says so in
   * `trace.pending`, and every row it has is final; otherwise it is the complete trace.
   */
  readonly first: Promise<LoadedTrace>;
  /** The complete trace: the same as {@link loadTrace} gives. */
  readonly complete: Promise<LoadedTrace>;
}

/** Status-poll lines fetched before the first trace, per lookup; enough for several screens. */
export const FIRST_POLL_PAGE = 600;

/**
 * DTQ_ERR_EXPLORE_NOT_FOUND for an id that matched nothing. An id of the other kind (a task
 * id given as a correlation id, or the reverse) gets the command that opens it; any other id
 * gets the nearest known ids and the time range searched.
 */
async function notFound(source: LogSource, what: 'correlation id' | 'task id', id: string): Promise<never> {
  const near = await source.nearest(id, what === 'task id' ? F.TASK_ID : F.CORRELATION_ID);
  const range =
    near.range.from === undefined || near.range.to === undefined
      ? 'no lines at all'
      : `${formatIso(near.range.from)} to ${formatIso(near.range.to)}`;
  const nearest = near.matches.length > 0 ? ` Nearest ${what}s: ${near.matches.join(', ')}.` : '';
  const hint =
    (await otherKindHint(source, what, id)) ??
    (await foreignFormatHint(source, what, id)) ??
    `${nearest} Check the id, or wait for the shipper if the request is very recent.`;
  throw dtqError(EXPLORE_ERRORS.NOT_FOUND, { what, id, source: source.description, range, hint });
}

/** When lines hold `id` under another field name: their format needs a mapping. */
async function foreignFormatHint(
  source: LogSource,
  what: 'correlation id' | 'task id',
  id: string,
): Promise<string | undefined> {
  if (source.mentions === undefined || !(await source.mentions(id))) return undefined;
  const field = what === 'task id' ? F.TASK_ID : F.CORRELATION_ID;
  return ` Lines mention ${id}, but not as ${field}: if your services log in another format, read it with --profile ecs, --profile otel or --mapping FILE (docs/explorer.md, "Your own logs").`;
}

/** The command that opens `id` when the source knows it as the other kind of id. */
async function otherKindHint(
  source: LogSource,
  what: 'correlation id' | 'task id',
  id: string,
): Promise<string | undefined> {
  if (what === 'correlation id') {
    const lines = await source.related([id], undefined, 'exclude');
    const isTask = lines.some((hit) => str(hit.record, F.TASK_ID) === id);
    return isTask ? ` ${id} is a task id: run \`dtq-explore --task ${id}\`.` : undefined;
  }
  const lines = await source.byCorrelationIds([id], 'exclude');
  return lines.length > 0 ? ` ${id} is a correlation id: run \`dtq-explore ${id}\`.` : undefined;
}

/**
 * The correlation id of the request a W3C trace id names, when an id given as a correlation
 * id matched no line as one: `dtq-explore <trace id>` opens that request's trace.
 */
async function correlationIdOfTrace(source: LogSource, id: string): Promise<string | undefined> {
  if (id === '') return undefined;
  return correlationIdsOfTrace(
    (await source.byTraceIds([id])).map((hit) => hit.record),
    id,
  )[0];
}

/**
 * The correlation id a target opens, with the hits that told it (for --task). With
 * `polls` 'exclude' the task's status polls are left for the caller to fetch, unless they
 * are all there is.
 */
/** A target's correlation id, the task it names (for --task) and the lines found on the way. */
interface ResolvedTarget {
  readonly correlationId: string;
  readonly focusTaskId: string | undefined;
  readonly hits: Hit[];
}

/**
 * The lines `fetch` finds for the target's correlation id. When it finds none and the target
 * brought no lines either, the id may be a W3C trace id: the lines of the request it names,
 * under that request's correlation id; else DTQ_ERR_EXPLORE_NOT_FOUND.
 */
async function ownLines<T>(
  source: LogSource,
  ids: ResolvedTarget,
  fetch: (correlationId: string) => Promise<T>,
  found: (own: T) => boolean,
): Promise<{ ids: ResolvedTarget; own: T }> {
  const own = await fetch(ids.correlationId);
  if (found(own) || ids.hits.length > 0) return { ids, own };
  const traced = await correlationIdOfTrace(source, ids.correlationId);
  if (traced === undefined) return notFound(source, 'correlation id', ids.correlationId);
  return { ids: { ...ids, correlationId: traced }, own: await fetch(traced) };
}

async function resolveTarget(
  source: LogSource,
  target: TraceTarget,
  polls: PollLines = 'include',
): Promise<ResolvedTarget> {
  if (!('taskId' in target)) return { correlationId: target.correlationId, focusTaskId: undefined, hits: [] };
  let hits = await source.related([target.taskId], undefined, polls);
  if (hits.length === 0 && polls === 'exclude') hits = await source.related([target.taskId], undefined);
  if (hits.length === 0) await notFound(source, 'task id', target.taskId);
  const correlationId =
    owningCorrelationIds(
      hits.map((h) => h.record),
      target.taskId,
    )[0] ?? '';
  return { correlationId, focusTaskId: target.taskId, hits };
}

function model(
  hits: readonly Hit[] | ParsedLines,
  source: LogSource,
  ids: { correlationId: string; focusTaskId: string | undefined },
  now: number,
  backlog?: PollBacklog,
): Trace {
  const trace = buildTrace(hits, {
    correlationId: ids.correlationId,
    focusTaskId: ids.focusTaskId,
    now,
    source: source.kind,
    malformedLines: source.malformedLines(),
    backlog,
  });
  // What the source could not read is part of what the trace cannot tell.
  const notices = source.notices?.() ?? [];
  return notices.length === 0 ? trace : { ...trace, warnings: [...trace.warnings, ...notices] };
}

/**
 * Fetch every line of a target and build its trace; DTQ_ERR_EXPLORE_NOT_FOUND when nothing
 * matches. Each fetch's lines are parsed as they arrive, once: the task ids the related
 * lookup needs come from that parse. Parsing counts as model time, not fetch time.
 */
export async function loadTrace(
  source: LogSource,
  target: TraceTarget,
  now: () => number = Date.now,
): Promise<LoadedTrace> {
  const started = performance.now();
  const { ids, own } = await ownLines(
    source,
    await resolveTarget(source, target),
    async (cid) => (cid === '' ? [] : source.byCorrelationIds([cid])),
    (lines) => lines.length > 0,
  );
  const cid = ids.correlationId;
  let parseStarted = performance.now();
  const parsed = new ParsedLines(cid).add(ids.hits).add(own);
  const taskIds = [...parsed.joinedTaskIds()];
  let parseMs = performance.now() - parseStarted;
  if (ids.focusTaskId !== undefined && !taskIds.includes(ids.focusTaskId)) taskIds.push(ids.focusTaskId);
  const related = await source.related(taskIds, cid === '' ? undefined : cid);
  parseStarted = performance.now();
  parsed.add(related);
  parseMs += performance.now() - parseStarted;
  const fetched = performance.now();
  const trace = model(parsed, source, ids, now());
  return {
    trace,
    fetchMs: fetched - started - parseMs,
    modelMs: performance.now() - fetched + parseMs,
    lineCount: trace.lines.length,
  };
}

/**
 * Load a trace in two steps: first everything but the status polls beyond a first page
 * (enough for the first screen and then some), then the rest. The related lookup starts as
 * soon as the task ids are known, not after every poll; --json and --plain use
 * {@link loadTrace}, which has no use for a first step.
 */
export function loadTraceProgressively(
  source: LogSource,
  target: TraceTarget,
  now: () => number = Date.now,
  firstPollPage = FIRST_POLL_PAGE,
): ProgressiveTrace {
  let resolveComplete: (loaded: LoadedTrace) => void = () => undefined;
  let rejectComplete: (error: unknown) => void = () => undefined;
  const complete = new Promise<LoadedTrace>((resolve, reject) => {
    resolveComplete = resolve;
    rejectComplete = reject;
  });
  const first = (async (): Promise<LoadedTrace> => {
    const started = performance.now();
    // A task polled thousands of times: its polls come in pages with the trace's, below.
    const {
      ids,
      own: [own, ownPolls],
    } = await ownLines(
      source,
      await resolveTarget(source, target, 'exclude'),
      async (cid) =>
        cid === ''
          ? ([[], undefined] as const)
          : Promise.all([
              source.byCorrelationIds([cid], 'exclude'),
              source.statusPolls({ kind: 'correlation', correlationIds: [cid] }, firstPollPage),
            ]),
      ([lines, polls]) => lines.length > 0 || (polls?.summary.lines ?? 0) > 0,
    );
    const hits = ids.hits;
    const cid = ids.correlationId;
    for (const hit of own) hits.push(hit);
    for (const hit of ownPolls?.first ?? []) hits.push(hit);
    const taskIds = new Set(
      joinTaskIds(
        hits.map((h) => h.record),
        cid,
      ),
    );
    // Polls not fetched yet may ask about other tasks: the summary names them all.
    for (const id of ownPolls?.summary.taskIds ?? []) taskIds.add(id);
    if (ids.focusTaskId !== undefined) taskIds.add(ids.focusTaskId);
    const relatedLookup = {
      kind: 'related',
      taskIds: [...taskIds],
      correlationId: cid === '' ? undefined : cid,
    } as const;
    const [related, relatedPolls] = await Promise.all([
      source.related(relatedLookup.taskIds, relatedLookup.correlationId, 'exclude'),
      source.statusPolls(relatedLookup, firstPollPage),
    ]);
    // The polls after the first pages are fetched from now on, while the first screen is built
    // and drawn; not before the related lookup, whose answer the first screen waits for.
    const rests = [ownPolls === undefined ? Promise.resolve([]) : eager(ownPolls.rest()), eager(relatedPolls.rest())];
    for (const hit of related) hits.push(hit);
    for (const hit of relatedPolls.first) hits.push(hit);

    const pages = ownPolls === undefined ? [relatedPolls] : [ownPolls, relatedPolls];
    const backlog = backlogOf(pages, ownPolls);
    const fetched = performance.now();
    if (backlog === undefined) {
      // Nothing left to fetch, or a summary too partial to draw a first screen that is right.
      for (const rest of await Promise.all(rests)) for (const hit of rest) hits.push(hit);
      const done = performance.now();
      const trace = model(hits, source, ids, now());
      const loaded = {
        trace,
        fetchMs: done - started,
        modelMs: performance.now() - done,
        lineCount: trace.lines.length,
      };
      resolveComplete(loaded);
      return loaded;
    }
    const trace = model(hits, source, ids, now(), backlog);
    const loaded = {
      trace,
      fetchMs: fetched - started,
      modelMs: performance.now() - fetched,
      lineCount: trace.lines.length,
    };
    void (async () => {
      for (const rest of await Promise.all(rests)) for (const hit of rest) hits.push(hit);
      const done = performance.now();
      const full = model(hits, source, ids, now());
      resolveComplete({
        trace: full,
        fetchMs: done - started,
        modelMs: performance.now() - done,
        lineCount: full.lines.length,
      });
    })().catch(rejectComplete);
    return loaded;
  })();
  first.catch(rejectComplete);
  // Callers that only want the first step must not see an unhandled rejection from the second.
  complete.catch(() => undefined);
  return { first, complete };
}

/** A promise started now and awaited later: its rejection is handled where it is awaited. */
function eager<T>(promise: Promise<T>): Promise<T> {
  promise.catch(() => undefined);
  return promise;
}

/**
 * The TUI's loader: a long-polled trace comes first without the polls beyond a first page,
 * then complete. A caller with no first screen to fill (a --follow reload) gets one step.
 */
export function progressiveLoader(source: LogSource, now: () => number = Date.now): TraceLoader {
  return async (target, onFirst) => {
    if (onFirst === undefined) return (await loadTrace(source, target, now)).trace;
    const progressive = loadTraceProgressively(source, target, now);
    const first = await progressive.first;
    if (!first.trace.pending) return first.trace;
    onFirst(first.trace);
    return (await progressive.complete).trace;
  };
}

/**
 * What the first trace must know of the polls still to come, or undefined when nothing is
 * left or the summary cannot tell everything the first screen needs (every polled task, the
 * newest line of each process).
 */
function backlogOf(pages: readonly PollPages[], ownPolls: PollPages | undefined): PollBacklog | undefined {
  const waiting = pages.filter((page) => page.more);
  if (waiting.length === 0) return undefined;
  const ownTaskIds = ownPolls?.summary.taskIds;
  if (ownPolls !== undefined && ownTaskIds === undefined) return undefined;
  let loadedUntil = Number.POSITIVE_INFINITY;
  for (const page of waiting) {
    const last = page.first.at(-1)?.at;
    if (last === undefined) return undefined;
    // Lines of the page's last millisecond may continue on the next page.
    loadedUntil = Math.min(loadedUntil, last);
  }
  let polls = 0;
  const pollsByTask = new Map<string, number>();
  const newestByInstance = new Map<string, number>();
  for (const { summary } of pages) {
    if (summary.lines > 0 && summary.newestByInstance.size === 0) return undefined;
    polls += summary.polls;
    for (const [taskId, n] of summary.pollsByTask) pollsByTask.set(taskId, (pollsByTask.get(taskId) ?? 0) + n);
    for (const [instance, at] of summary.newestByInstance)
      newestByInstance.set(instance, Math.max(newestByInstance.get(instance) ?? at, at));
  }
  return { loadedUntil, polls, pollsByTask, taskIds: ownTaskIds ?? [], newestByInstance };
}
