import { describe, expect, it } from 'vitest';
import type { FinalRecord, RequestRecord } from '../../workload/load/ground-truth.ts';
import {
  compareRequest,
  compareSharedGroup,
  correlationIdOf,
  isOnWorker,
  plannedAttempts,
  type TraceDoc,
} from './compare.ts';

function request(overrides: Partial<RequestRecord>): RequestRecord {
  return {
    record: 'request',
    seq: 1,
    kind: 'task',
    group: null,
    method: 'POST',
    path: '/api/v1/tasks',
    correlation_mode: 'client',
    correlation_id_sent: 'sent',
    correlation_id_received: 'received',
    correlation_id_body: 'received',
    idempotency_key: null,
    body_sha256: 'x',
    task_type: 'calculate_var',
    priority: 'high',
    fault: null,
    sent_at: '2026-11-22T10:00:00.000Z',
    planned_ms: 0,
    sent_ms: 0,
    status: 202,
    replayed: false,
    task_id: 't1',
    response_body: {},
    latency_ms: 3,
    error: null,
    ...overrides,
  };
}

function doc(overrides: Partial<TraceDoc>): TraceDoc {
  return {
    correlation_id: 'received',
    task_ids: ['t1'],
    outcome: { status: 'succeeded' },
    requests: [{ status: 202, nginx: { status: 202 } }],
    tasks: [{ task_id: 't1', outcome: 'succeeded', attempts: [{ instance: 'worker-2', result: 'succeeded' }] }],
    duplicates: [],
    ...overrides,
  };
}

const final: FinalRecord = {
  record: 'final',
  task_id: 't1',
  seq: 1,
  correlation_id: 'received',
  status: 'succeeded',
  settled: true,
  attempts: 1,
  error: null,
  http_status: 200,
  polled_at: '2026-11-22T10:00:01.000Z',
};

describe('the fidelity comparison', () => {
  it('uses the correlation id the server answered with', () => {
    expect(correlationIdOf(request({ correlation_id_received: null }))).toBe('received');
    expect(correlationIdOf(request({}))).toBe('received');
  });

  it('accepts an exact reconstruction', () => {
    expect(compareRequest({ request: request({}), originalTaskId: null, final }, doc({}))).toEqual([]);
  });

  it('reports a wrong task, outcome or attempt count', () => {
    const problems = compareRequest(
      { request: request({}), originalTaskId: null, final: { ...final, attempts: 3, status: 'failed' } },
      doc({}),
    );
    expect(problems).toEqual(['outcome: expected failed, found succeeded', 'attempts: expected 3, found 1']);
    expect(compareRequest({ request: request({}), originalTaskId: null, final }, doc({ task_ids: ['t2'] }))).toEqual([
      'task ids: expected [t1], found [t2]',
    ]);
  });

  it('requires the attempt that died with the killed worker to be marked stalled or lost', () => {
    const twice = { ...final, attempts: 2 };
    // Attempt 1 ran on the killed worker-1 and ended as `firstResult`; worker-2 finished the job.
    const retriedAfterKill = (firstResult: string) =>
      doc({
        tasks: [
          {
            task_id: 't1',
            outcome: 'succeeded',
            attempts: [
              { instance: 'worker-1', result: firstResult },
              { instance: 'worker-2', result: 'succeeded' },
            ],
          },
        ],
      });
    const check = (trace: ReturnType<typeof doc>) =>
      compareRequest({ request: request({}), originalTaskId: null, final: twice, killedOn: 'worker-1' }, trace);
    expect(check(retriedAfterKill('succeeded'))).toEqual([
      'the attempt that died with worker-1 is not marked stalled or lost: [worker-1 succeeded, worker-2 succeeded]',
    ]);
    expect(check(retriedAfterKill('stalled'))).toEqual([]);
  });

  it('requires a replay to be marked with the original it pointed at', () => {
    const replay = request({ kind: 'replay', replayed: true, task_id: 'orig' });
    expect(
      compareRequest({ request: replay, originalTaskId: 'orig', final: undefined }, doc({ task_ids: [], tasks: [] })),
    ).toEqual(['expected a blocked idempotency_replay, found []']);
    const marked = doc({
      task_ids: [],
      tasks: [],
      duplicates: [{ kind: 'idempotency_replay', direction: 'blocked', original_task_id: 'other' }],
    });
    expect(compareRequest({ request: replay, originalTaskId: 'orig', final: undefined }, marked)).toEqual([
      'idempotency_replay points at other, the original is orig',
    ]);
  });

  it('checks conflicts and mismatches against the group’s original task', () => {
    const conflict = request({ kind: 'concurrent', status: 409, task_id: null });
    const good = doc({
      task_ids: [],
      tasks: [],
      requests: [{ status: 409, nginx: { status: 409 } }],
      duplicates: [{ kind: 'in_flight_conflict', direction: 'blocked', original_task_id: 'orig' }],
    });
    expect(compareRequest({ request: conflict, originalTaskId: 'orig', final: undefined }, good)).toEqual([]);
    const mismatch = request({ kind: 'mismatch', status: 422, task_id: null });
    expect(compareRequest({ request: mismatch, originalTaskId: 'orig', final: undefined }, good)).toEqual([
      'client got 422, trace shows [409]',
      'expected a blocked payload_mismatch, found [blocked in_flight_conflict]',
    ]);
  });
});

describe('a 503 whose enqueue outcome is unknown', () => {
  const unknown = request({
    status: 503,
    task_id: null,
    response_body: { error: { code: 'DTQ_ERR_API_ENQUEUE_OUTCOME_UNKNOWN', task_id: 't1' } },
  });

  it('accepts the named task in the trace, or no task', () => {
    const answered = [{ status: 503, nginx: { status: 503 } }];
    expect(
      compareRequest({ request: unknown, originalTaskId: null, final: undefined }, doc({ requests: answered })),
    ).toEqual([]);
    expect(
      compareRequest(
        { request: unknown, originalTaskId: null, final: undefined },
        doc({ task_ids: [], tasks: [], requests: [{ status: 503, nginx: { status: 503 } }] }),
      ),
    ).toEqual([]);
  });

  it('reports any other task', () => {
    expect(
      compareRequest(
        { request: unknown, originalTaskId: null, final: undefined },
        doc({ task_ids: ['t1', 't9'], requests: [{ status: 503, nginx: { status: 503 } }] }),
      ),
    ).toEqual(['enqueue outcome unknown for t1, trace has [t9]']);
  });
});

describe('requests sent at once with one X-Request-ID', () => {
  const members = [
    request({ seq: 1, kind: 'shared', task_id: 'a' }),
    request({ seq: 2, kind: 'shared_invalid', status: 400, task_id: null }),
    request({ seq: 3, kind: 'shared', task_id: 'b' }),
  ];
  const finals = new Map([
    ['a', { ...final, task_id: 'a' }],
    ['b', { ...final, task_id: 'b' }],
  ]);
  const tasks = ['a', 'b'].map((id) => ({
    task_id: id,
    outcome: 'succeeded',
    attempts: [{ instance: 'worker-1', result: 'succeeded' }],
  }));

  it('accepts each task under its own request and the refusal under none', () => {
    const trace = doc({
      task_ids: ['a', 'b'],
      requests: [
        { status: 202, nginx: { status: 202 }, task_ids: ['b'] },
        { status: 400, nginx: { status: 400 }, task_ids: [] },
        { status: 202, nginx: { status: 202 }, task_ids: ['a'] },
      ],
      tasks,
    });
    expect(compareSharedGroup(members, finals, trace)).toEqual([]);
  });

  it('reports requests merged into one, a task under a refusal, and a missing request', () => {
    const trace = doc({
      task_ids: ['a', 'b'],
      requests: [
        { status: 202, nginx: { status: 202 }, task_ids: ['a', 'b'] },
        { status: 400, nginx: { status: 400 }, task_ids: [] },
      ],
      tasks,
    });
    expect(compareSharedGroup(members, finals, trace)).toEqual([
      '3 requests answered [202, 202, 400], trace shows 2 [202, 400]',
      'requests with more than one task: [a+b]',
    ]);
    const refused = doc({
      requests: [
        { status: 202, nginx: { status: 202 }, task_ids: [] },
        { status: 400, nginx: { status: 400 }, task_ids: ['a'] },
        { status: 202, nginx: { status: 202 }, task_ids: ['b'] },
      ],
      tasks,
    });
    expect(compareSharedGroup(members, finals, refused)).toEqual(['request 2 answered 400 but shows task [a]']);
  });
});

describe('an idempotency lease takeover', () => {
  const first = request({ kind: 'claim_held', group: 1, correlation_id_received: 'first' });
  const second = request({ seq: 2, kind: 'takeover', group: 1, correlation_id_received: 'second' });
  const takeover = { correlation_id: 'second', original_correlation_id: 'first', task_id: 't1' };

  it('wants both traces to tell it, naming the one task and the other request', () => {
    const firstDoc = doc({ takeovers: [{ direction: 'taken_from', ...takeover }] });
    const secondDoc = doc({ takeovers: [{ direction: 'took_over', ...takeover }] });
    expect(
      compareRequest({ request: first, originalTaskId: 't1', final, takeoverPartner: 'second' }, firstDoc),
    ).toEqual([]);
    expect(
      compareRequest({ request: second, originalTaskId: 't1', final, takeoverPartner: 'first' }, secondDoc),
    ).toEqual([]);
  });

  it('reports a takeover the trace does not tell, or tells with the wrong request', () => {
    expect(compareRequest({ request: second, originalTaskId: 't1', final, takeoverPartner: 'first' }, doc({}))).toEqual(
      ['expected a takeover (took_over), found []'],
    );
    const wrong = doc({ takeovers: [{ direction: 'took_over', ...takeover, original_correlation_id: 'third' }] });
    expect(compareRequest({ request: second, originalTaskId: 't1', final, takeoverPartner: 'first' }, wrong)).toEqual([
      'takeover names third as the other request, it was first',
    ]);
  });
});

describe('attempts and workers of a Celery run', () => {
  it('plans one attempt, one more per injected transient failure up to the limit, and one for a poison', () => {
    expect(plannedAttempts(null, 4)).toBe(1);
    expect(plannedAttempts({ fail_attempts: 2 }, 4)).toBe(3);
    expect(plannedAttempts({ fail_attempts: 20 }, 4)).toBe(4);
    expect(plannedAttempts({ poison: true }, 4)).toBe(1);
    expect(plannedAttempts({ sleep_ms: 1500 }, 4)).toBe(1);
  });

  it("counts a pool process's attempt as the killed worker's", () => {
    expect(isOnWorker('worker-1.2', 'worker-1')).toBe(true);
    expect(isOnWorker('worker-1', 'worker-1')).toBe(true);
    expect(isOnWorker('worker-12', 'worker-1')).toBe(false);
  });
});

describe('a worker both frozen and killed while it held the task', () => {
  const attempts = (first: string) => ({
    tasks: [
      {
        task_id: 't1',
        outcome: 'succeeded',
        attempts: [
          { instance: 'worker-1', result: first },
          { instance: 'worker-2', result: 'succeeded' },
        ],
      },
    ],
  });
  const doc = (first: string): TraceDoc => ({
    correlation_id: 'received',
    task_ids: ['t1'],
    outcome: { status: 'succeeded' },
    requests: [{ status: 202, nginx: { status: 202 } }],
    duplicates: [],
    ...attempts(first),
  });
  const truth = {
    request: request({ kind: 'held' }),
    originalTaskId: null,
    final: undefined,
    killedOn: 'worker-1',
    frozenOn: 'worker-1',
  };

  it('expects the attempt that died with the kill, not a lost lease', () => {
    expect(compareRequest(truth, doc('stalled'))).toEqual([]);
    expect(compareRequest(truth, doc('lease_lost')).join()).toMatch(/not marked stalled or lost/);
  });

  it('still expects the lost lease of a frozen worker the kill did not catch holding the task', () => {
    expect(compareRequest({ ...truth, killedOn: undefined }, doc('lease_lost'))).toEqual([]);
    expect(compareRequest({ ...truth, killedOn: undefined }, doc('stalled')).join()).toMatch(/frozen past its lease/);
  });
});
