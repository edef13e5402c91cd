import { describe, expect, it } from 'vitest';
import { F } from '../../contract/vocabulary.ts';
import { linePrefix, summarizeLine } from '../../workload/stack/pretty.ts';

describe('summarizeLine', () => {
  it('turns a vocabulary JSON line into time, level, event, message and the ids', () => {
    const line = JSON.stringify({
      [F.TIMESTAMP]: '2026-11-22T10:15:23.012Z',
      [F.LOG_LEVEL]: 'info',
      [F.EVENT_ACTION]: 'task.enqueued',
      [F.MESSAGE]: 'queued calculate_var',
      [F.CORRELATION_ID]: 'ULTIMATE-SUCCESS-123',
      [F.TASK_ID]: 'abc',
      [F.HTTP_STATUS]: 202,
    });
    expect(summarizeLine(line)).toBe(
      '10:15:23.012 INFO  task.enqueued queued calculate_var status=202 cid=ULTIMATE-SUCCESS-123 task=abc',
    );
  });

  it('shortens ids longer than 20 characters for the eye', () => {
    const line = JSON.stringify({ [F.CORRELATION_ID]: '0123456789abcdef0123456789abcdef' });
    expect(summarizeLine(line)).toContain('cid=01234567…cdef');
  });

  it('passes through lines that are not JSON objects unchanged', () => {
    expect(summarizeLine('Ready to accept connections')).toBe('Ready to accept connections');
    expect(summarizeLine('{not json')).toBe('{not json');
  });
});

describe('linePrefix', () => {
  it('pads the process name so output columns line up', () => {
    expect(linePrefix('api-1', 9, 0)).toBe('api-1     | ');
  });
});
