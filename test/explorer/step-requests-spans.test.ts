/**
 * Requests told apart by W3C span ids: API lines grouped by `span.id`, nginx paired with the
 * API request whose `parent.id` is its `span.id`; time and path pairing only where ids are
 * absent. The interleavings below are the ones a correlation id shared by concurrent requests
 * produces, which grouping by correlation id alone gets wrong.
 */
import { describe, expect, it } from 'vitest';
import { EVENTS, F, type LogRecord, NS_PER_MS } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { ParsedLines } from '../../explorer/model/lines.ts';
import { groupApiRequests, matchNginx } from '../../explorer/model/steps/requests.ts';
import { LogWriter, T0 } from './fixtures.ts';

const CID = 'shared-id';
const TRACE = '4bf92f3577b34da6a3ce929d0e0e4736';

/** Span ids, 16 hex: `n` in the last digits so a failing test names the request. */
const apiSpan = (n: number) => `a000000000000${String(n).padStart(3, '0')}`;
const nginxSpan = (n: number) => `b000000000000${String(n).padStart(3, '0')}`;

interface Request {
  readonly n: number;
  readonly api: string;
  readonly receivedMs: number;
  readonly completedMs: number;
  readonly nginxMs: number;
  readonly status: number;
  readonly taskId?: string;
}

/** One request's lines, each stamped with its spans (as nginx and the API write them). */
function write(w: LogWriter, r: Request, ids = true): void {
  const span = ids ? { [F.TRACE_ID]: TRACE, [F.SPAN_ID]: apiSpan(r.n), [F.PARENT_ID]: nginxSpan(r.n) } : {};
  const http = { [F.CORRELATION_ID]: CID, [F.HTTP_METHOD]: 'POST', [F.URL_PATH]: '/api/v1/tasks', ...span };
  w.line(r.receivedMs, 'api', r.api, EVENTS.HTTP_REQUEST_RECEIVED, http);
  if (r.taskId !== undefined)
    w.line(r.receivedMs + 1, 'api', r.api, EVENTS.TASK_ENQUEUED, {
      [F.CORRELATION_ID]: CID,
      [F.TASK_ID]: r.taskId,
      [F.TASK_QUEUE]: 'high',
      ...span,
    });
  w.line(r.completedMs, 'api', r.api, EVENTS.HTTP_REQUEST_COMPLETED, {
    ...http,
    [F.HTTP_STATUS]: r.status,
    [F.EVENT_DURATION]: (r.completedMs - r.receivedMs) * NS_PER_MS,
    ...(r.taskId === undefined ? {} : { [F.TASK_ID]: r.taskId }),
  });
}

/** nginx's access line for a request, logged at its own time (nginxMs). */
function writeNginx(w: LogWriter, r: Request, ids = true): LogRecord {
  const record = w.nginx(r.nginxMs, CID, 'POST', '/api/v1/tasks', r.status, (r.nginxMs - r.receivedMs + 1) / 1000);
  if (ids) Object.assign(record, { [F.TRACE_ID]: TRACE, [F.SPAN_ID]: nginxSpan(r.n) });
  return record;
}

/**
 * Six concurrent POSTs with one X-Request-ID on one API process: three valid (202, a task
 * each), three invalid (400), their lines interleaved as the event loop wrote them.
 */
const SIX: readonly Request[] = [
  { n: 1, api: 'api-1', receivedMs: 10, completedMs: 40, nginxMs: 41, status: 202, taskId: 't-1' },
  { n: 2, api: 'api-1', receivedMs: 11, completedMs: 14, nginxMs: 15, status: 400 },
  { n: 3, api: 'api-1', receivedMs: 12, completedMs: 38, nginxMs: 39, status: 202, taskId: 't-3' },
  { n: 4, api: 'api-1', receivedMs: 13, completedMs: 16, nginxMs: 17, status: 400 },
  { n: 5, api: 'api-1', receivedMs: 18, completedMs: 36, nginxMs: 37, status: 202, taskId: 't-5' },
  { n: 6, api: 'api-1', receivedMs: 19, completedMs: 21, nginxMs: 22, status: 400 },
];

/** Lines written in time order across the requests, as the API and nginx write them. */
function scenario(requests: readonly Request[], ids = true): LogWriter {
  const w = new LogWriter();
  const events: { ms: number; run: () => void }[] = [];
  for (const r of requests) {
    events.push({ ms: r.receivedMs, run: () => write(w, r, ids) });
    events.push({ ms: r.nginxMs, run: () => writeNginx(w, r, ids) });
  }
  for (const event of events.sort((a, b) => a.ms - b.ms)) event.run();
  return w;
}

function lines(w: LogWriter) {
  return new ParsedLines(CID).add(w.hits()).lines;
}

function apiStreams(w: LogWriter) {
  const byInstance = new Map<string, ReturnType<typeof lines>>();
  for (const line of lines(w)
    .filter((l) => l.service === 'api')
    .sort((a, b) => a.writtenAt - b.writtenAt)) {
    const stream = byInstance.get(line.instance) ?? [];
    stream.push(line);
    byInstance.set(line.instance, stream);
  }
  return [...byInstance.values()];
}

describe('step: requests, by span id', () => {
  it('groups the lines of concurrent requests that share a correlation id by their span ids', () => {
    const groups = groupApiRequests(apiStreams(scenario(SIX)));
    expect(groups).toHaveLength(6);
    for (const group of groups) {
      const n = Number(group.spanId?.slice(-3));
      const request = SIX.find((r) => r.n === n);
      expect(group.parentId).toBe(nginxSpan(n));
      expect(group.traceId).toBe(TRACE);
      expect(group.lines.every((l) => l.spanId === apiSpan(n))).toBe(true);
      expect(group.received?.writtenAt).toBe(T0 + (request?.receivedMs ?? -1));
      expect(group.completed?.writtenAt).toBe(T0 + (request?.completedMs ?? -1));
      expect(group.lines.filter((l) => l.action === EVENTS.TASK_ENQUEUED).map((l) => l.taskId)).toEqual(
        request?.taskId === undefined ? [] : [request.taskId],
      );
    }
  });

  it('pairs each nginx line with the API request that names its span as parent, across processes', () => {
    // Three APIs; nginx logs each request nearer in time to another API's request than to its own.
    const requests: Request[] = [
      { n: 1, api: 'api-1', receivedMs: 10, completedMs: 50, nginxMs: 31, status: 202, taskId: 't-1' },
      { n: 2, api: 'api-2', receivedMs: 11, completedMs: 30, nginxMs: 51, status: 202, taskId: 't-2' },
      { n: 3, api: 'api-3', receivedMs: 12, completedMs: 52, nginxMs: 53, status: 202, taskId: 't-3' },
    ];
    const w = scenario(requests);
    const all = lines(w);
    const groups = groupApiRequests(apiStreams(w));
    const unmatched = matchNginx(
      all.filter((l) => l.service === 'nginx'),
      groups,
    );
    expect(unmatched).toEqual([]);
    for (const group of groups) expect(group.nginx?.spanId).toBe(group.parentId);
    // The same lines without ids pair by nearest time, which gets these wrong: what the ids fix.
    const anonymous = scenario(requests, false);
    const guessed = groupApiRequests(apiStreams(anonymous));
    matchNginx(
      lines(anonymous).filter((l) => l.service === 'nginx'),
      guessed,
    );
    const wrong = guessed.filter((g) => {
      const n = requests.find((r) => r.api === g.instance)?.nginxMs;
      return g.nginx?.writtenAt !== T0 + (n ?? -1);
    });
    expect(wrong.length).toBeGreaterThan(0);
  });

  it('pairs by time only where one side carries no id, never an nginx span with a request naming another', () => {
    const w = new LogWriter();
    const identified: Request = { n: 1, api: 'api-1', receivedMs: 10, completedMs: 12, nginxMs: 13, status: 202 };
    write(w, identified);
    // nginx's line names a span no API line names as parent (the API's line of it is lost).
    const stray = writeNginx(w, { ...identified, n: 9 });
    const all = lines(w);
    const groups = groupApiRequests(apiStreams(w));
    const unmatched = matchNginx(
      all.filter((l) => l.service === 'nginx'),
      groups,
    );
    expect(unmatched.map((l) => l.record)).toEqual([expect.objectContaining({ [F.SPAN_ID]: stray[F.SPAN_ID] })]);
    expect(groups[0]?.nginx).toBeUndefined();

    // An API request without ids (an older API) still pairs with an identified nginx line by time.
    const older = new LogWriter();
    write(older, identified, false);
    writeNginx(older, identified);
    const olderGroups = groupApiRequests(apiStreams(older));
    expect(
      matchNginx(
        lines(older).filter((l) => l.service === 'nginx'),
        olderGroups,
      ),
    ).toEqual([]);
    expect(olderGroups[0]?.nginx?.spanId).toBe(nginxSpan(1));
  });
});

describe('a trace of requests sharing one X-Request-ID', () => {
  it('shows six concurrent POSTs as six requests: three 202s with a task each, three 400s, no gap', () => {
    const w = scenario(SIX);
    for (const r of SIX)
      if (r.taskId !== undefined)
        w.attempt({ ms: 60 + r.n, cid: CID, taskId: r.taskId, worker: 'worker-1', attempt: 1, durationMs: 5 });
    const trace = buildTrace(w.hits(), { correlationId: CID, now: T0 + 10_000, source: 'files' });
    expect(trace.requests).toHaveLength(6);
    const byStatus = (status: number) => trace.requests.filter((r) => r.status === status);
    expect(byStatus(202).map((r) => r.taskIds)).toEqual([['t-1'], ['t-3'], ['t-5']]);
    expect(byStatus(400).map((r) => r.taskIds)).toEqual([[], [], []]);
    for (const request of trace.requests) {
      expect(request.nginx?.status).toBe(request.status);
      expect(request.spanId).toBeDefined();
      expect(request.traceId).toBe(TRACE);
    }
    expect(trace.gaps).toEqual([]);
    expect(trace.outcome.status).toBe('succeeded');
  });
});
