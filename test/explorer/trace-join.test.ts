import { describe, expect, it } from 'vitest';
import { EVENTS, F } from '../../contract/vocabulary.ts';
import { buildTrace } from '../../explorer/model/build-trace.ts';
import { joinTaskIds, owningCorrelationIds } from '../../explorer/model/join.ts';
import { ParsedLines } from '../../explorer/model/lines.ts';
import { happyPath, LogWriter, T0 } from './fixtures.ts';

const NOW = T0 + 10_000;

describe('the join from a correlation id to its tasks', () => {
  it('pulls in the enqueued task and every line of it, including polls by other correlation ids', () => {
    const w = happyPath();
    const trace = buildTrace(w.hits(), { correlationId: 'req-happy-1', now: NOW, source: 'files' });
    expect(trace.tasks.map((t) => t.taskId)).toEqual(['task-happy-1']);
    const task = trace.tasks[0];
    expect(task?.outcome).toBe('succeeded');
    expect(task?.attempts).toHaveLength(1);
    expect(task?.attempts[0]?.instance).toBe('worker-2');
    expect(task?.polls.map((p) => p.correlationId)).toEqual(['req-happy-1-poll-1', 'req-happy-1-poll-2']);
    expect(trace.requests).toHaveLength(1);
    expect(trace.requests[0]?.nginx?.status).toBe(202);
    expect(trace.requests[0]?.apiInstance).toBe('api-1');
    expect(trace.outcome.status).toBe('succeeded');
  });

  it('joins task lines that carry only the task id', () => {
    const w = new LogWriter();
    w.post({ ms: 0, cid: 'c1', taskId: 't1' });
    w.line(10, 'worker', 'worker-1', EVENTS.TASK_STARTED, { [F.TASK_ID]: 't1', [F.TASK_ATTEMPT]: 1 });
    w.line(50, 'worker', 'worker-1', EVENTS.TASK_COMPLETED, {
      [F.TASK_ID]: 't1',
      [F.TASK_ATTEMPT]: 1,
      [F.EVENT_DURATION]: 40e6,
    });
    const trace = buildTrace(w.hits(), { correlationId: 'c1', now: NOW, source: 'files' });
    expect(trace.tasks[0]?.outcome).toBe('succeeded');
    expect(trace.tasks[0]?.attempts[0]?.durationMs).toBe(40);
  });

  it('does not pull the original task into a replayed request through the replay line', () => {
    const w = new LogWriter();
    w.line(0, 'api', 'api-1', EVENTS.IDEMPOTENCY_REPLAYED, {
      [F.CORRELATION_ID]: 'dup',
      [F.TASK_ID]: 'orig-task',
      [F.ORIGINAL_TASK_ID]: 'orig-task',
      [F.ORIGINAL_CORRELATION_ID]: 'orig',
    });
    expect(joinTaskIds(w.records, 'dup')).toEqual([]);
  });

  it('reads the joined task ids from parsed lines as joinTaskIds does from records, fetch by fetch', () => {
    const w = happyPath();
    w.poll(900, 'req-happy-1', 'task-polled-by-the-request');
    w.line(950, 'api', 'api-1', EVENTS.IDEMPOTENCY_REPLAYED, {
      [F.CORRELATION_ID]: 'req-happy-1',
      [F.TASK_ID]: 'orig-task',
      [F.ORIGINAL_TASK_ID]: 'orig-task',
    });
    const hits = w.hits();
    const half = Math.floor(hits.length / 2);
    const parsed = new ParsedLines('req-happy-1').add(hits.slice(0, half));
    const early = new Set(
      joinTaskIds(
        hits.slice(0, half).map((h) => h.record),
        'req-happy-1',
      ),
    );
    expect(early.size).toBeGreaterThan(0);
    expect(new Set(parsed.joinedTaskIds())).toEqual(early);
    parsed.add(hits.slice(half));
    const all = joinTaskIds(w.records, 'req-happy-1');
    expect(all).toContain('task-polled-by-the-request');
    expect(all).not.toContain('orig-task');
    expect(new Set(parsed.joinedTaskIds())).toEqual(new Set(all));
  });

  it('builds the same trace from lines parsed fetch by fetch as from the hits at once', () => {
    const hits = happyPath().hits();
    const options = { correlationId: 'req-happy-1', now: NOW, source: 'files' } as const;
    const parsed = new ParsedLines('req-happy-1').add(hits.slice(0, 3)).add(hits.slice(3));
    expect(buildTrace(parsed, options)).toEqual(buildTrace(hits, options));
    expect(() => buildTrace(new ParsedLines('other').add(hits), options)).toThrow(/parsed for other/);
  });

  it('leads from a task back to the request that enqueued it (--task)', () => {
    const w = happyPath();
    const taskLines = w.records.filter((r) => r[F.TASK_ID] === 'task-happy-1');
    expect(owningCorrelationIds(taskLines, 'task-happy-1')[0]).toBe('req-happy-1');
    const trace = buildTrace(w.hits(), {
      correlationId: 'req-happy-1',
      focusTaskId: 'task-happy-1',
      now: NOW,
      source: 'files',
    });
    expect(trace.focusTaskId).toBe('task-happy-1');
    expect(trace.tasks.map((t) => t.taskId)).toEqual(['task-happy-1']);
  });

  it('orders lines by time, then by each process’s sequence within a millisecond', () => {
    const w = new LogWriter();
    w.line(5, 'api', 'api-1', EVENTS.HTTP_REQUEST_RECEIVED, { [F.CORRELATION_ID]: 'c' });
    w.line(5, 'api', 'api-1', EVENTS.TASK_ENQUEUED, { [F.CORRELATION_ID]: 'c', [F.TASK_ID]: 't' });
    w.line(5, 'api', 'api-1', EVENTS.HTTP_REQUEST_COMPLETED, { [F.CORRELATION_ID]: 'c', [F.HTTP_STATUS]: 202 });
    w.line(5, 'worker', 'worker-1', EVENTS.TASK_STARTED, {
      [F.CORRELATION_ID]: 'c',
      [F.TASK_ID]: 't',
      [F.TASK_ATTEMPT]: 1,
    });
    const hits = w.hits().reverse();
    const trace = buildTrace(hits, { correlationId: 'c', now: NOW, source: 'files' });
    expect(trace.lines.map((l) => l.action)).toEqual([
      EVENTS.HTTP_REQUEST_RECEIVED,
      EVENTS.TASK_ENQUEUED,
      EVENTS.TASK_STARTED,
      EVENTS.HTTP_REQUEST_COMPLETED,
    ]);
  });

  it('keeps the same line reached by two joins only once', () => {
    const w = happyPath();
    const hits = [...w.hits(), ...w.hits()];
    const trace = buildTrace(hits, { correlationId: 'req-happy-1', now: NOW, source: 'files' });
    expect(trace.lines).toHaveLength(w.records.length);
  });

  it('warns about lines without a timestamp instead of throwing', () => {
    const w = happyPath();
    const hits = [
      ...w.hits(),
      { source: 'bad:1', record: { [F.CORRELATION_ID]: 'req-happy-1', [F.TIMESTAMP]: 'yesterday' } },
    ];
    const trace = buildTrace(hits, { correlationId: 'req-happy-1', now: NOW, source: 'files', malformedLines: 2 });
    expect(trace.warnings.join('\n')).toContain('1 line(s) without a valid @timestamp');
    expect(trace.warnings.join('\n')).toContain('2 malformed line(s)');
  });
});
