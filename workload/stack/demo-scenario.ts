/**
 * The demo's scripted scenario: which requests go to the stack, and what each should end as.
 * Pure data and a pure judge, so the demo's I/O stays thin and the expectations are testable.
 */
import { CORRELATION_ID_PATTERN } from '../../contract/correlation-id.ts';
import { PRIORITIES, TASK_TYPES } from '../../contract/vocabulary.ts';
import { DESIGN_NOTES_EXAMPLE, sampleTaskBody, type TaskRequestBody } from './sample-tasks.ts';

/** What a step expects of its task once polled to the end. */
export type Expectation =
  | { readonly status: 'succeeded'; readonly attempts?: number }
  | { readonly status: 'failed'; readonly attempts?: number };

/** One request of the scenario. */
export interface DemoStep {
  /** Short label printed in the results table. */
  readonly label: string;
  readonly body: TaskRequestBody;
  /** X-Request-ID to send; undefined sends none (nginx generates one). */
  readonly requestId?: string;
  readonly idempotencyKey?: string;
  /** Send twice with the same Idempotency-Key; the second must replay the first. */
  readonly doubleSubmit?: boolean;
  readonly expect: Expectation;
}

/** A hostile X-Request-ID: characters outside [A-Za-z0-9._:-] (would inject into logs). */
export const HOSTILE_REQUEST_ID = '"><script>alert(1)</script>';

/** The scenario for one demo run; `runId` keeps ids of successive runs apart. */
export function demoScenario(runId: string): DemoStep[] {
  const normal: DemoStep[] = TASK_TYPES.map((type, index) => {
    const priority = PRIORITIES[index % PRIORITIES.length] ?? 'medium';
    return {
      label: `${type} (${priority})`,
      body: sampleTaskBody(type, priority, index),
      expect: { status: 'succeeded' },
    };
  });
  const lowVar: DemoStep = {
    label: 'calculate_var (low)',
    body: sampleTaskBody('calculate_var', 'low', 7),
    expect: { status: 'succeeded' },
  };
  return [
    {
      label: 'design-notes example, client X-Request-ID',
      body: DESIGN_NOTES_EXAMPLE,
      requestId: `ULTIMATE-SUCCESS-${runId}`,
      expect: { status: 'succeeded', attempts: 1 },
    },
    ...normal,
    lowVar,
    {
      label: 'fails twice, retried, succeeds',
      body: sampleTaskBody('monte_carlo_pricing', 'high', 11, { fail_attempts: 2 }),
      expect: { status: 'succeeded', attempts: 3 },
    },
    {
      label: 'fails every attempt → dead letter',
      body: sampleTaskBody('stress_test', 'medium', 12, { fail_attempts: 20 }),
      expect: { status: 'failed', attempts: 3 },
    },
    {
      label: 'poison input → dead letter at once',
      body: sampleTaskBody('portfolio_optimization', 'low', 13, { poison: true }),
      expect: { status: 'failed', attempts: 1 },
    },
    {
      label: 'hostile X-Request-ID (replaced)',
      body: sampleTaskBody('calculate_var', 'medium', 14),
      requestId: HOSTILE_REQUEST_ID,
      expect: { status: 'succeeded' },
    },
    {
      label: 'idempotent double submit',
      body: sampleTaskBody('calculate_var', 'high', 15),
      idempotencyKey: `demo-${runId}-double-submit`,
      doubleSubmit: true,
      expect: { status: 'succeeded', attempts: 1 },
    },
  ];
}

/** What the demo observed for one step. */
export interface StepOutcome {
  readonly httpStatus: number;
  readonly correlationId: string | undefined;
  readonly taskId: string | undefined;
  readonly status: string | undefined;
  readonly attempts: number | undefined;
  readonly error: string | undefined;
  /** For a double submit: the second answer's status, task id and replay header. */
  readonly second?: { httpStatus: number; taskId: string | undefined; replayed: boolean; correlationId?: string };
}

/** The problems with an outcome, empty when it is what the step expects. */
export function judgeStep(step: DemoStep, outcome: StepOutcome): string[] {
  const problems: string[] = [];
  if (outcome.httpStatus !== 202) problems.push(`POST answered ${outcome.httpStatus}, expected 202`);
  if (!outcome.correlationId || !CORRELATION_ID_PATTERN.test(outcome.correlationId)) {
    problems.push(`no valid correlation id came back (${String(outcome.correlationId)})`);
  }
  if (step.requestId !== undefined) {
    const valid = CORRELATION_ID_PATTERN.test(step.requestId);
    if (valid && outcome.correlationId !== step.requestId) problems.push('the client X-Request-ID was not kept');
    if (!valid && outcome.correlationId === step.requestId) problems.push('the hostile X-Request-ID was not replaced');
  }
  if (outcome.status !== step.expect.status) {
    problems.push(`ended ${outcome.status ?? 'unknown'}, expected ${step.expect.status}`);
  }
  if (step.expect.attempts !== undefined && outcome.attempts !== step.expect.attempts) {
    problems.push(`took ${outcome.attempts ?? '?'} attempts, expected ${step.expect.attempts}`);
  }
  if (step.doubleSubmit) {
    const second = outcome.second;
    if (!second) problems.push('the second submit was not sent');
    else {
      if (second.taskId !== outcome.taskId) problems.push('the second submit created another task');
      if (!second.replayed) problems.push('the second submit was not marked Idempotent-Replayed');
    }
  }
  return problems;
}
