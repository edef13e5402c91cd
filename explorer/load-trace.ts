/**
 * The two-step fetch behind every trace: the correlation id's lines, then the lines of the
 * tasks they name (and duplicates pointing back), then the pure model. `--task` starts one
 * step earlier, from the task's lines to the request that created it.
 */
import { dtqError } from '../workload/common/dtq-error.ts';
import { F } from '../workload/log/vocabulary.ts';
import { EXPLORE_ERRORS } from './errors.ts';
import { buildTrace } from './model/build-trace.ts';
import { formatIso } from './model/fields.ts';
import { joinTaskIds, owningCorrelationIds } from './model/join.ts';
import type { Hit, Trace } from './model/types.ts';
import type { LogSource } from './sources/source.ts';

/** What to open: a correlation id, or a task id to trace back. */
export type TraceTarget = { readonly correlationId: string } | { readonly taskId: string };

/** A trace with the time spent fetching and modelling it. */
export interface LoadedTrace {
  readonly trace: Trace;
  readonly fetchMs: number;
  readonly modelMs: number;
  readonly lineCount: number;
}

async function notFound(source: LogSource, what: 'correlation id' | 'task id', id: string): Promise<never> {
  const near = await source.nearest(id, what === 'task id' ? F.TASK_ID : F.CORRELATION_ID);
  const range =
    near.range.from === undefined || near.range.to === undefined
      ? 'no lines at all'
      : `${formatIso(near.range.from)} to ${formatIso(near.range.to)}`;
  const nearest = near.matches.length > 0 ? ` Nearest ${what}s: ${near.matches.join(', ')}.` : '';
  throw dtqError(EXPLORE_ERRORS.NOT_FOUND, { what, id, source: source.description, range, nearest });
}

/** Fetch every line of a target and build its trace; DTQ_ERR_EXPLORE_NOT_FOUND when nothing matches. */
export async function loadTrace(
  source: LogSource,
  target: TraceTarget,
  now: () => number = Date.now,
): Promise<LoadedTrace> {
  const started = performance.now();
  let correlationId: string;
  let focusTaskId: string | undefined;
  const hits: Hit[] = [];
  if ('taskId' in target) {
    focusTaskId = target.taskId;
    const taskHits = await source.related([target.taskId], undefined);
    if (taskHits.length === 0) await notFound(source, 'task id', target.taskId);
    hits.push(...taskHits);
    correlationId =
      owningCorrelationIds(
        taskHits.map((h) => h.record),
        target.taskId,
      )[0] ?? '';
  } else {
    correlationId = target.correlationId;
  }
  const own = correlationId === '' ? [] : await source.byCorrelationIds([correlationId]);
  if (own.length === 0 && hits.length === 0) await notFound(source, 'correlation id', correlationId);
  hits.push(...own);
  const taskIds = joinTaskIds(
    own.map((h) => h.record),
    correlationId,
  );
  if (focusTaskId !== undefined && !taskIds.includes(focusTaskId)) taskIds.push(focusTaskId);
  hits.push(...(await source.related(taskIds, correlationId === '' ? undefined : correlationId)));
  const fetched = performance.now();
  const trace = buildTrace(hits, {
    correlationId,
    focusTaskId,
    now: now(),
    source: source.kind,
    malformedLines: source.malformedLines(),
  });
  return { trace, fetchMs: fetched - started, modelMs: performance.now() - fetched, lineCount: trace.lines.length };
}
