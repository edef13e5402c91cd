import { describe, expect, it } from 'vitest';
import { EVENTS } from '../../contract/vocabulary.ts';
import { ATTEMPT_ACTIONS, isTaskAction } from '../../explorer/model/join.ts';

describe('task actions', () => {
  it('places a fenced write, accepted or refused, among its task’s lines', () => {
    expect(isTaskAction(EVENTS.RESULT_WRITTEN)).toBe(true);
    expect(isTaskAction(EVENTS.RESULT_WRITE_REJECTED)).toBe(true);
  });

  it('counts every attempt event as a task action, and no request event', () => {
    for (const action of ATTEMPT_ACTIONS) expect(isTaskAction(action)).toBe(true);
    expect(isTaskAction(EVENTS.HTTP_REQUEST_RECEIVED)).toBe(false);
  });
});

describe('task actions of overtaken attempts and takeovers', () => {
  it('counts the resumed worker’s lines as attempt events that must name their job, and a no-op enqueue as a task line', () => {
    for (const action of [EVENTS.TASK_LEASE_LOST, EVENTS.TASK_RESUMED, EVENTS.TASK_FINISH_REFUSED])
      expect(ATTEMPT_ACTIONS.has(action)).toBe(true);
    expect(isTaskAction(EVENTS.TASK_ALREADY_ENQUEUED)).toBe(true);
    expect(ATTEMPT_ACTIONS.has(EVENTS.TASK_ALREADY_ENQUEUED)).toBe(false);
    // A takeover is a request's line: its trace and the first one's find it, but it is no task event.
    expect(isTaskAction(EVENTS.IDEMPOTENCY_TAKEN_OVER)).toBe(false);
  });
});
