import { describe, expect, it } from 'vitest';
import { EVENTS, F, NS_PER_MS } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { timestampOf } from '../../explorer/model/fields.ts';
import { polledTaskId } from '../../explorer/model/join.ts';
import { traceToRows } from '../../explorer/model/rows.ts';
import type { PollBacklog } from '../../explorer/model/steps/pending.ts';
import type { Hit, Row, Trace } from '../../explorer/model/types.ts';
import { LogWriter, longPolled, T0 } from './fixtures.ts';

const NOW = T0 + 600_000;
const CID = 'long-polled';

/**
 * What the loader hands the model first: every line but the status polls, the first `page`
 * poll lines in time order, and the summary of all poll lines a source reports.
 */
function firstStep(hits: readonly Hit[], page: number): { hits: Hit[]; backlog: PollBacklog } {
  const timed = hits.map((hit) => ({ ...hit, at: timestampOf(hit.record) ?? 0 }));
  const polls = timed
    .filter((hit) => polledTaskId(hit.record) !== undefined)
    .sort((a, b) => a.at - b.at || Number(a.record[F.EVENT_SEQUENCE] ?? 0) - Number(b.record[F.EVENT_SEQUENCE] ?? 0));
  const others = timed.filter((hit) => polledTaskId(hit.record) === undefined);
  const received = polls.filter((hit) => hit.record[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_RECEIVED);
  const pollsByTask = new Map<string, number>();
  for (const hit of received) {
    const task = String(hit.record[F.TASK_ID]);
    pollsByTask.set(task, (pollsByTask.get(task) ?? 0) + 1);
  }
  const newestByInstance = new Map<string, number>();
  for (const hit of polls) {
    const instance = String(hit.record[F.SERVICE_INSTANCE]);
    newestByInstance.set(instance, Math.max(newestByInstance.get(instance) ?? hit.at, hit.at));
  }
  const first = polls.slice(0, page);
  return {
    hits: [...others, ...first],
    backlog: {
      loadedUntil: first.at(-1)?.at ?? 0,
      polls: received.length,
      pollsByTask,
      taskIds: [...new Set(polls.map((hit) => polledTaskId(hit.record) as string))],
      newestByInstance,
    },
  };
}

function build(hits: readonly Hit[], backlog?: PollBacklog) {
  return buildTrace(hits, { correlationId: CID, now: NOW, source: 'elasticsearch', backlog });
}

/**
 * Rows with their log lines named by source: a line's id is its position in its own trace,
 * and the first trace has fewer lines, so the same line has another id there.
 */
function rowsOf(trace: Trace): (Omit<Row, 'lineIds'> & { lines: string[] })[] {
  return traceToRows(trace).map(({ lineIds, ...row }) => ({
    ...row,
    lines: lineIds.map((id) => trace.lines[id]?.source ?? '?'),
  }));
}

describe('a first trace while status polls are still loading', () => {
  it('shows only rows the complete trace has, as it has them, and counts the polls to come', () => {
    const all = longPolled().hits();
    const complete = build(all);
    const { hits, backlog } = firstStep(all, 250);
    const first = build(hits, backlog);

    expect(first.pending?.polls).toBeGreaterThan(0);
    const rows = rowsOf(first);
    const completeRows = new Map(rowsOf(complete).map((row) => [row.key, row]));
    for (const row of rows.filter((r) => r.kind !== 'pending')) expect(completeRows.get(row.key), row.key).toEqual(row);
    // The polls shown are the first ones, in place: every row up to the loading row is where it will stay.
    const loadingAt = rows.findIndex((row) => row.kind === 'pending');
    expect(rowsOf(complete).slice(0, loadingAt)).toEqual(rows.slice(0, loadingAt));

    const task = `${CID}-task`;
    const shownPolls = first.tasks[0]?.polls.length ?? 0;
    const allPolls = complete.tasks[0]?.polls.length ?? 0;
    expect(shownPolls).toBeGreaterThan(20);
    expect(first.pending?.byTask[task]).toBe(allPolls - shownPolls);
    expect(rows[loadingAt]?.label).toBe(`loading ${allPolls - shownPolls} more status polls…`);
    // Same outcome, tasks, span (so the bars keep their scale) and gaps as the complete trace.
    expect(first.outcome).toEqual(complete.outcome);
    expect(first.tasks.map((t) => t.taskId)).toEqual(complete.tasks.map((t) => t.taskId));
    expect([first.startedAt, first.endedAt]).toEqual([complete.startedAt, complete.endedAt]);
    expect(first.gaps).toEqual(complete.gaps);
    expect(first.requests).toHaveLength(complete.requests.length);
    expect(complete.pending).toBeUndefined();
  });

  it('holds back a poll cut in half by the page, and every poll after it', () => {
    const all = longPolled().hits();
    // Find a page end that falls between a poll's received line and its answer.
    let page = 200;
    while (firstStep(all, page).hits.at(-1)?.record[F.EVENT_ACTION] !== EVENTS.HTTP_REQUEST_RECEIVED) page++;
    const cutHits = firstStep(all, page);
    const first = build(cutHits.hits, cutHits.backlog);
    const polls = first.tasks[0]?.polls ?? [];
    // No half poll ("→ ?") and no nginx line left without its request (an extra branch).
    expect(polls.every((poll) => poll.status === 200)).toBe(true);
    expect(first.requests).toHaveLength(build(all).requests.length);
    const lastShown = polls.at(-1)?.at ?? 0;
    expect(lastShown).toBeLessThan(cutHits.backlog.loadedUntil);
  });

  it('keeps an old poll that will never be whole, such as one nginx never logged', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: CID, taskId: 'task' });
    w.attempt({ ms: 10, cid: CID, taskId: 'task', worker: 'worker-1', attempt: 1, durationMs: 60_000 });
    // Straight to the API, past nginx: no access line for this one.
    const http = {
      [F.CORRELATION_ID]: CID,
      [F.HTTP_METHOD]: 'GET',
      [F.URL_PATH]: '/api/v1/tasks/task',
      [F.HTTP_ROUTE]: '/api/v1/tasks/:task_id',
      [F.TASK_ID]: 'task',
    };
    w.line(20, 'api', 'api-2', EVENTS.HTTP_REQUEST_RECEIVED, http);
    w.line(21, 'api', 'api-2', EVENTS.HTTP_REQUEST_COMPLETED, {
      ...http,
      [F.HTTP_STATUS]: 200,
      [F.EVENT_DURATION]: NS_PER_MS,
    });
    for (let i = 0; i < 40; i++) w.poll(30_000 + i * 500, CID, 'task');
    const { hits, backlog } = firstStep(w.hits(), 30);
    const first = build(hits, backlog);
    expect(first.tasks[0]?.polls[0]?.at).toBe(T0 + 20);
    expect(first.tasks[0]?.polls.length).toBeGreaterThan(1);
  });
});
