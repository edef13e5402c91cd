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
