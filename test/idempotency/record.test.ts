import { describe, expect, it } from 'vitest';
import { recordFromPairs } from '../../workload/idempotency/record.ts';

const BASE = [
  'state',
  'completed',
  'fingerprint',
  'f'.repeat(64),
  'task_id',
  'idem-x-1',
  'correlation_id',
  'c-1',
  'claims',
  '1',
];

describe('recordFromPairs', () => {
  it('reads a completed record with its stored response and replayed headers', () => {
    const record = recordFromPairs([...BASE, 'status', '202', 'body', '{"a":1}', 'headers', '{"location":"/x"}']);
    expect(record).toMatchObject({
      state: 'completed',
      taskId: 'idem-x-1',
      correlationId: 'c-1',
      claims: 1,
      response: { status: 202, body: '{"a":1}', headers: { location: '/x' } },
    });
  });

  it('returns undefined for an empty hash or one that is not a record', () => {
    expect(recordFromPairs([])).toBeUndefined();
    expect(recordFromPairs(['state', 'weird', 'fingerprint', 'f', 'task_id', 't'])).toBeUndefined();
    expect(recordFromPairs(['state', 'in_flight'])).toBeUndefined();
  });

  it('has no response for an in-flight record and tolerates unreadable stored headers', () => {
    expect(recordFromPairs([...BASE.slice(0, 1), 'in_flight', ...BASE.slice(2)])?.response).toBeUndefined();
    const record = recordFromPairs([...BASE, 'status', '202', 'body', '{}', 'headers', 'not json']);
    expect(record?.response?.headers).toEqual({});
  });
});
