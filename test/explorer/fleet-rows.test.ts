import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { EVENTS, F, NS_PER_MS } from '../../contract/vocabulary.ts';
import { listRequests, parseSort, rowMatchesText, sortRows } from '../../explorer/model/list-view.ts';
import { RequestLedger, type RequestSummary, summariseRequests } from '../../explorer/model/request-list.ts';
import { deadLettered, duplicatesScenario, happyPath, LogWriter } from './fixtures.ts';

/** Every kind of request the fleet view tells apart. */
function fleet(): LogWriter {
  const w = duplicatesScenario();
  happyPath(w);
  deadLettered(w);
  // Queued: enqueued, never started.
  w.post({ ms: 4000, cid: 'req-queued', taskId: 'task-queued', queue: 'low', taskType: 'stress_test' });
  // Running: started, no end yet.
  w.post({ ms: 4100, cid: 'req-running', taskId: 'task-running', queue: 'medium' });
  w.attempt({ ms: 4120, cid: 'req-running', taskId: 'task-running', worker: 'worker-3', attempt: 1, die: true });
  // Retrying: failed, retry scheduled, not started again.
  w.post({ ms: 4200, cid: 'req-retrying', taskId: 'task-retrying' });
  w.attempt({
    ms: 4220,
    cid: 'req-retrying',
    taskId: 'task-retrying',
    worker: 'worker-1',
    attempt: 1,
    fail: 'feed timed out',
    retryDelayMs: 5000,
  });
  return w;
}

function row(list: readonly RequestSummary[], cid: string): RequestSummary {
  const found = list.find((s) => s.correlationId === cid);
  if (!found) throw new Error(`no row for ${cid}`);
  return found;
}

describe('the fleet view rows', () => {
  it('gives each request its task type, queue, worker, state, attempts and total duration', () => {
    const list = summariseRequests(fleet().hits());
    expect(row(list, 'req-happy-1')).toMatchObject({
      status: 202,
      route: '/api/v1/tasks',
      taskType: 'calculate_var',
      queue: 'high',
      worker: 'worker-2',
      state: 'succeeded',
      attempts: 1,
      taskIds: ['task-happy-1'],
    });
    // From the request's first line (ms 1) to the task's end (ms 20 + 340).
    expect(row(list, 'req-happy-1').totalMs).toBe(359);
    expect(row(list, 'req-dlq-1')).toMatchObject({
      state: 'dead-lettered',
      attempts: 3,
      worker: 'worker-2',
      workers: ['worker-1', 'worker-2', 'worker-3'],
      queue: 'high',
      reason: 'DTQ_ERR_TASK_TRANSIENT',
      failed: true,
    });
    expect(row(list, 'req-queued')).toMatchObject({
      state: 'queued',
      attempts: 0,
      queue: 'low',
      taskType: 'stress_test',
    });
    expect(row(list, 'req-running')).toMatchObject({ state: 'running', worker: 'worker-3', failed: false });
    expect(row(list, 'req-retrying')).toMatchObject({ state: 'retrying', attempts: 1, failed: false });
    // Blocked duplicates have no task of their own.
    expect(row(list, 'replay-req')).toMatchObject({ state: 'duplicate', tasks: 0, status: 202 });
    expect(row(list, 'mismatch-req')).toMatchObject({ state: 'duplicate', status: 422 });
    // A task that found its result cached still succeeded.
    expect(row(list, 'other-req')).toMatchObject({ state: 'succeeded', duplicates: 2 });
  });

  it('keeps the request line, status and route of a request however late its lines are read', () => {
    // Files are read one after another: the workers' lines may all come before the API's.
    const hits = fleet().hits();
    const workersFirst = [
      ...hits.filter((h) => h.record[F.SERVICE_NAME] === 'worker').reverse(),
      ...hits.filter((h) => h.record[F.SERVICE_NAME] !== 'worker'),
    ];
    expect(summariseRequests(workersFirst)).toEqual(summariseRequests(hits));
    expect(row(summariseRequests(workersFirst), 'req-dlq-1').attempts).toBe(3);
  });

  it('gives the same rows for the same lines in any order', () => {
    const hits = fleet().hits();
    const expected = summariseRequests(hits);
    fc.assert(
      fc.property(fc.shuffledSubarray(hits, { minLength: hits.length }), (shuffled) => {
        expect(summariseRequests(shuffled)).toEqual(expected);
      }),
      { numRuns: 50 },
    );
  });

  it('leaves status polls out, even under the request’s own correlation id', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-1', taskId: 'task-1' });
    w.poll(50, 'req-1', 'task-1', 404);
    w.poll(60, 'poller-1', 'task-1');
    const list = summariseRequests(w.hits());
    expect(list.map((s) => s.correlationId)).toEqual(['req-1']);
    expect(row(list, 'req-1')).toMatchObject({ status: 202, method: 'POST', route: '/api/v1/tasks', requests: 1 });
  });

  it('takes the route of the first request and the answer of the last when a client reuses its id, in any order', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'reused', taskId: 'task-r' });
    w.post({ ms: 500, cid: 'reused', status: 503 });
    const hits = w.hits();
    for (const order of [hits, [...hits].reverse()])
      expect(row(summariseRequests(order), 'reused')).toMatchObject({
        route: '/api/v1/tasks',
        method: 'POST',
        status: 503,
        requests: 2,
        failed: true,
      });
  });

  it('folds lines added later into the rows it has, without reading the earlier ones again', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-1', taskId: 'task-1' });
    const ledger = new RequestLedger().addAll(w.hits());
    expect(row(ledger.summaries(), 'req-1').state).toBe('queued');
    const later = new LogWriter();
    later.attempt({ ms: 30, cid: 'req-1', taskId: 'task-1', worker: 'worker-1', attempt: 1, durationMs: 70 });
    ledger.addAll(later.hits());
    expect(row(ledger.summaries(), 'req-1')).toMatchObject({ state: 'succeeded', attempts: 1, totalMs: 99 });
  });
});

describe('filters and sort', () => {
  const list = summariseRequests(fleet().hits());

  it('filters by task state, type, queue, worker and total duration', () => {
    const ids = (rows: readonly RequestSummary[]) => rows.map((s) => s.correlationId).sort();
    expect(ids(listRequests(list, { status: 'dead-lettered' }))).toEqual(['req-dlq-1']);
    expect(ids(listRequests(list, { status: 'duplicate' }))).toEqual(['conflict-req', 'mismatch-req', 'replay-req']);
    expect(ids(listRequests(list, { status: 'retrying' }))).toEqual(['req-retrying']);
    expect(ids(listRequests(list, { type: 'stress_test' }))).toEqual(['req-queued']);
    expect(ids(listRequests(list, { queue: 'medium' }))).toEqual(['req-running']);
    expect(ids(listRequests(list, { worker: 'worker-3' }))).toEqual(['req-dlq-1', 'req-running']);
    expect(ids(listRequests(list, { minDurationMs: 3000 }))).toEqual(['req-dlq-1']);
  });

  it('finds free text in any id or attribute: task ids, types, workers, reasons, keys', () => {
    const ids = (text: string) =>
      list
        .filter((s) => rowMatchesText(s, text))
        .map((s) => s.correlationId)
        .sort();
    expect(ids('task-dlq')).toEqual(['req-dlq-1']);
    expect(ids('STRESS')).toEqual(['req-queued']);
    expect(ids('worker-3')).toEqual(['req-dlq-1', 'req-running']);
    expect(ids('DTQ_ERR_TASK_TRANSIENT')).toEqual(['req-dlq-1', 'req-retrying']);
    expect(ids('key-1')).toEqual(['conflict-req', 'mismatch-req', 'orig-req', 'replay-req']);
    expect(listRequests(list, { text: 'task-running' }).map((s) => s.correlationId)).toEqual(['req-running']);
  });

  it('sorts by any column, missing values last, and cuts after sorting', () => {
    const slowest = listRequests(list, { sort: { key: 'duration', descending: true }, limit: 2 });
    expect(slowest.map((s) => s.correlationId)).toEqual(['req-dlq-1', 'orig-req']);
    const byState = sortRows(list, { key: 'state', descending: false }).map((s) => s.state);
    expect(byState.slice(0, 3)).toEqual(['queued', 'running', 'retrying']);
    const byWorker = sortRows(list, { key: 'worker', descending: true }).map((s) => s.worker);
    expect(byWorker[0]).toBe('worker-3');
    expect(byWorker.at(-1)).toBeUndefined();
    const byAttempts = sortRows(list, { key: 'attempts', descending: true });
    expect(byAttempts[0]?.correlationId).toBe('req-dlq-1');
  });
});

describe('the ledger', () => {
  it('counts a line without a valid time out, and a task line without a correlation id in its task only', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'req-1', taskId: 'task-1' });
    w.line(10, 'worker', 'worker-1', EVENTS.TASK_STARTED, { [F.TASK_ID]: 'task-1', [F.TASK_ATTEMPT]: 1 });
    w.line(20, 'worker', 'worker-1', EVENTS.TASK_COMPLETED, {
      [F.TASK_ID]: 'task-1',
      [F.EVENT_DURATION]: 10 * NS_PER_MS,
    });
    const hits = w.hits();
    hits.push({ source: 'x:1', record: { [F.EVENT_ACTION]: EVENTS.TASK_STARTED, [F.TASK_ID]: 'task-1' } });
    const ledger = new RequestLedger().addAll(hits);
    expect(ledger.lines).toBe(hits.length - 1);
    expect(row(ledger.summaries(), 'req-1')).toMatchObject({ state: 'succeeded', worker: 'worker-1', totalMs: 19 });
  });
});

describe('--sort', () => {
  it('reads a column in its natural direction, or as told', () => {
    expect(parseSort('duration')).toEqual({ key: 'duration', descending: true });
    expect(parseSort('worker')).toEqual({ key: 'worker', descending: false });
    expect(parseSort('duration:asc')).toEqual({ key: 'duration', descending: false });
    expect(parseSort('-worker')).toEqual({ key: 'worker', descending: true });
    expect(parseSort('colour')).toBeUndefined();
    expect(parseSort('time:sideways')).toBeUndefined();
  });
});
