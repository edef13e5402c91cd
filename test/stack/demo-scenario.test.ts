import { describe, expect, it } from 'vitest';
import { PRIORITIES, TASK_TYPES } from '../../contract/vocabulary.ts';
import { demoScenario, HOSTILE_REQUEST_ID, judgeStep } from '../../workload/stack/demo-scenario.ts';
import { validateTaskData } from '../../workload/tasks/validate-task.ts';

const steps = demoScenario('abc123');

describe('demoScenario', () => {
  it('covers every task type and priority, a retry, a dead letter, client, hostile and idempotent requests', () => {
    expect(new Set(steps.map((s) => s.body.task_type))).toEqual(new Set(TASK_TYPES));
    expect(new Set(steps.map((s) => s.body.priority))).toEqual(new Set(PRIORITIES));
    expect(steps.some((s) => s.expect.status === 'succeeded' && (s.expect.attempts ?? 1) > 1)).toBe(true);
    expect(steps.some((s) => s.expect.status === 'failed')).toBe(true);
    expect(steps.some((s) => s.requestId === 'ULTIMATE-SUCCESS-abc123')).toBe(true);
    expect(steps.some((s) => s.requestId === HOSTILE_REQUEST_ID)).toBe(true);
    expect(steps.some((s) => s.doubleSubmit && s.idempotencyKey)).toBe(true);
  });

  it('sends only bodies the API accepts with DTQ_FAULTS=1', () => {
    for (const step of steps) {
      expect(validateTaskData(step.body.task_type, step.body.data, { allowFaults: true }).ok).toBe(true);
    }
  });
});

describe('judgeStep', () => {
  const client = steps.find((s) => s.requestId?.startsWith('ULTIMATE')) ?? steps[0];
  const hostile = steps.find((s) => s.requestId === HOSTILE_REQUEST_ID) ?? steps[0];
  const ok = { httpStatus: 202, taskId: 't1', status: 'succeeded', attempts: 1, error: undefined };
  if (!client || !hostile) throw new Error('scenario lacks the steps under test');

  it('accepts the expected outcome', () => {
    expect(judgeStep(client, { ...ok, correlationId: 'ULTIMATE-SUCCESS-abc123' })).toEqual([]);
  });

  it('flags a lost client id, a kept hostile id and a wrong final status', () => {
    expect(judgeStep(client, { ...ok, correlationId: 'other' })).toContain('the client X-Request-ID was not kept');
    expect(judgeStep(hostile, { ...ok, correlationId: HOSTILE_REQUEST_ID })).toContain(
      'the hostile X-Request-ID was not replaced',
    );
    expect(judgeStep(client, { ...ok, correlationId: 'ULTIMATE-SUCCESS-abc123', status: 'failed' })).toContain(
      'ended failed, expected succeeded',
    );
  });
});
