/**
 * Hostile request bodies against a real API on a real Redis: deep nesting, prototype keys,
 * hostile unknown keys, work over the budget and inputs the worker would certainly fail are
 * each a 400 that says what is refused, and nothing reaches a queue or a log raw.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { EVENTS, F, type LogRecord, TASK_TYPES, type TaskType } from '../../contract/vocabulary.ts';
import { DEFAULT_MAX_BODY_DEPTH } from '../../workload/api/config.ts';
import { MAX_AMOUNT } from '../../workload/tasks/computable.ts';
import { DEFAULT_WORK_BUDGET } from '../../workload/tasks/work-cost.ts';
import { type ApiHarness, startApiHarness } from './api-harness.ts';

let api: ApiHarness;

beforeAll(async () => {
  api = await startApiHarness();
});

afterAll(async () => {
  await api?.close();
});

interface ErrorAnswer {
  status: number;
  error: Record<string, unknown> & { code: string; message: string; correlation_id: string };
}

async function post(payload: string, headers: Record<string, string> = {}): Promise<ErrorAnswer> {
  const response = await api.postTask({ payload, headers });
  return { status: response.statusCode, error: (response.json() as { error: ErrorAnswer['error'] }).error };
}

function varBody(data: Record<string, unknown>): string {
  return JSON.stringify({ task_type: 'calculate_var', data });
}

function completedLine(correlationId: string): LogRecord | undefined {
  return api
    .lines()
    .find((line) => line[F.CORRELATION_ID] === correlationId && line[F.EVENT_ACTION] === EVENTS.HTTP_REQUEST_COMPLETED);
}

const identity = (n: number) =>
  Array.from({ length: n }, (_, i) => Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)));
const positions = (n: number, quantity = 10, price = 100) =>
  Array.from({ length: n }, (_, i) => ({ symbol: `S${i}`, quantity, price }));

describe('hostile bodies', () => {
  it.each([
    ['data', (depth: number) => `{"task_type":"calculate_var","data":${'['.repeat(depth)}${']'.repeat(depth)}}`],
    ['the top level', (depth: number) => `${'{"a":'.repeat(depth)}1${'}'.repeat(depth)}`],
  ])(
    'answers 400 stating the nesting limit for 10,000 levels in %s, also with an Idempotency-Key',
    async (where, make) => {
      const keyed: Record<string, string> = { 'idempotency-key': `deep-${where.length}` };
      for (const headers of [{}, keyed]) {
        const { status, error } = await post(make(10_000), headers);
        expect(status).toBe(400);
        expect(error.code).toBe('DTQ_ERR_API_BODY_TOO_DEEP');
        expect(error.limit).toBe(DEFAULT_MAX_BODY_DEPTH);
        expect(error.message).toContain(`more than ${DEFAULT_MAX_BODY_DEPTH} levels`);
        const line = completedLine(error.correlation_id);
        expect(line).toMatchObject({ [F.HTTP_STATUS]: 400, [F.ERROR_CODE]: 'DTQ_ERR_API_BODY_TOO_DEEP' });
        expect(line?.[F.ERROR_STACK]).toBeUndefined();
      }
    },
  );

  it('lets a body exactly at the nesting limit through the parser, to validation that names the field', async () => {
    // The top-level object is level 1, the arrays in data the other 63.
    const inner = DEFAULT_MAX_BODY_DEPTH - 1;
    const { status, error } = await post(
      `{"task_type":"calculate_var","data":${'['.repeat(inner)}${']'.repeat(inner)}}`,
    );
    expect(status).toBe(400);
    expect(error.code).toBe('DTQ_ERR_API_INVALID_FIELD');
    const deeper = await post(`{"task_type":"calculate_var","data":${'['.repeat(inner + 1)}${']'.repeat(inner + 1)}}`);
    expect(deeper.error.code).toBe('DTQ_ERR_API_BODY_TOO_DEEP');
  });

  it.each([
    ['__proto__', '{"task_type":"calculate_var","data":{"__proto__":{"x":1}}}', '"__proto__"'],
    ['an escaped __proto__', '{"task_type":"calculate_var","data":{"\\u005f_proto__":{"x":1}}}', '"__proto__"'],
    ['constructor.prototype', '{"task_type":"calculate_var","data":{"constructor":{"prototype":{}}}}', 'prototype'],
  ])('says a %s key is what is refused, not that the body is not JSON', async (_name, payload, named) => {
    const { status, error } = await post(payload);
    expect(status).toBe(400);
    expect(error.code).toBe('DTQ_ERR_API_FORBIDDEN_KEY');
    expect(error.message).toContain(named);
    expect(error.message).not.toMatch(/not valid JSON/);
  });

  it('quotes and cuts an unknown data key of 300 KB with ESC in it, in the answer and the log', async () => {
    const key = `\u001b]0;owned\u0007\u001b[2J${'k'.repeat(300_000)}`;
    const { status, error } = await post(varBody({ portfolio_data: { positions: positions(1) }, [key]: 1 }), {
      'x-request-id': 'hostile-key-1',
    });
    expect(status).toBe(400);
    expect(error.code).toBe('DTQ_ERR_API_INVALID_FIELD');
    // 64 characters kept (the 14 of the escape sequences and 50 of the k's), each control one visible.
    expect(error.field).toBe(`data["\\x1b]0;owned\\x07\\x1b[2J${'k'.repeat(50)}…" (${key.length} characters)]`);
    expect(JSON.stringify(error).length).toBeLessThan(1000);
    const line = completedLine('hostile-key-1');
    expect(String(line?.[F.ERROR_MESSAGE])).toContain('\\x1b]0;owned');
    // Neither the raw ESC nor the 300 KB reached the log file.
    expect(api.rawLog()).not.toContain(String.fromCharCode(0x1b));
    expect(api.rawLog()).not.toContain('\\u001b');
    expect(api.rawLog().length).toBeLessThan(100_000);
  });

  it('refuses a task over its work budget, naming the budget and the cost', async () => {
    const n = 480;
    const { status, error } = await post(
      varBody({ portfolio_data: { positions: positions(n), correlations: identity(n) }, simulations: 1_000_000 }),
    );
    expect(status).toBe(400);
    const cost = Math.round(n ** 3 / 6 + 1_000_000 * (2 * n + (n * (n + 1)) / 2));
    expect(error).toMatchObject({
      code: 'DTQ_ERR_API_WORK_BUDGET_EXCEEDED',
      task_type: 'calculate_var',
      cost,
      budget: DEFAULT_WORK_BUDGET,
      variable: 'DTQ_WORK_BUDGET_CALCULATE_VAR',
    });
    expect(error.message).toContain(cost.toLocaleString('en-US'));
    expect(error.message).toContain('DTQ_WORK_BUDGET_CALCULATE_VAR');
  });

  it('takes its budgets from configuration', async () => {
    const budgets = Object.fromEntries(TASK_TYPES.map((type) => [type, 1_000_000])) as Record<TaskType, number>;
    const strict = await startApiHarness({ workBudgets: budgets }, { redis: api.redis });
    try {
      const over = await strict.postTask({
        payload: varBody({ portfolio_data: { positions: positions(10) }, simulations: 100_000 }),
      });
      expect(over.statusCode).toBe(400);
      expect(over.json().error).toMatchObject({
        code: 'DTQ_ERR_API_WORK_BUDGET_EXCEEDED',
        cost: 2_000_167,
        budget: 1_000_000,
      });
      const under = await strict.postTask({
        payload: varBody({ portfolio_data: { positions: positions(10) }, simulations: 10_000 }),
      });
      expect(under.statusCode).toBe(202);
    } finally {
      await strict.close();
    }
  });

  it.each([
    [
      'quantity × price that overflows to Infinity',
      varBody({ portfolio_data: { positions: positions(1, 1e300, 1e10) } }),
      'data.portfolio_data.positions[0]',
      /finite|≤ 1000000000000000/,
    ],
    [
      'a portfolio worth 10^300',
      varBody({ portfolio_data: { positions: positions(2, 1e300, 1) } }),
      'data.portfolio_data.positions[0]',
      /≤ 1000000000000000/,
    ],
    [
      'a correlation matrix that is not positive semi-definite',
      varBody({
        portfolio_data: {
          positions: positions(3),
          correlations: [
            [1, 0.9, -0.9],
            [0.9, 1, 0.9],
            [-0.9, 0.9, 1],
          ],
        },
      }),
      'data.portfolio_data.correlations',
      /positive semi-definite/,
    ],
    [
      'a stress test on a non-PSD matrix',
      JSON.stringify({
        task_type: 'stress_test',
        data: {
          portfolio_data: {
            positions: positions(3),
            correlations: [
              [1, 0.9, -0.9],
              [0.9, 1, 0.9],
              [-0.9, 0.9, 1],
            ],
          },
          scenarios: [{ name: 'x' }],
        },
      }),
      'data.portfolio_data.correlations',
      /positive semi-definite/,
    ],
    [
      'an option on a spot of 10^300',
      JSON.stringify({
        task_type: 'monte_carlo_pricing',
        data: { spot: 1e300, strike: 100, volatility: 5, maturity: 100 },
      }),
      'data.spot',
      /≤ 1000000000000000/,
    ],
    [
      'an unconstrained optimisation on a singular matrix',
      JSON.stringify({
        task_type: 'portfolio_optimization',
        data: {
          assets: [
            { symbol: 'A', expected_return: 0.1, volatility: 0.2 },
            { symbol: 'B', expected_return: 0.1, volatility: 0.2 },
          ],
          correlations: [
            [1, 1],
            [1, 1],
          ],
          long_only: false,
        },
      }),
      'data.correlations',
      /positive definite/,
    ],
    [
      'max_sharpe with no return above the risk-free rate',
      JSON.stringify({
        task_type: 'portfolio_optimization',
        data: {
          assets: [
            { symbol: 'A', expected_return: 0.01, volatility: 0.2 },
            { symbol: 'B', expected_return: 0.02, volatility: 0.2 },
          ],
          method: 'max_sharpe',
          risk_free_rate: 0.05,
        },
      }),
      'data.assets',
      /min_variance/,
    ],
  ])('refuses %s with 400 instead of queueing a certain failure', async (_name, payload, field, expected) => {
    const { status, error } = await post(payload);
    expect(status).toBe(400);
    expect(error.code).toBe('DTQ_ERR_API_INVALID_FIELD');
    expect(error.field).toBe(field);
    expect(String(error.expected)).toMatch(expected);
  });

  it('accepts extreme but computable numbers (volatility 5, 3650 days, a portfolio at the amount limit)', async () => {
    const response = await api.postTask({
      payload: varBody({
        portfolio_data: { positions: [{ symbol: 'A', quantity: MAX_AMOUNT / 10, price: 10, volatility: 5 }] },
        horizon_days: 3650,
      }),
    });
    expect(response.statusCode).toBe(202);
  });
});
