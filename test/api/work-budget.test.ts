/**
 * The work budget's defaults admit every task the project itself sends (the demo, the load
 * generator's plan, the design notes' example the benchmarks post), and each of those passes
 * the computability checks; the cost model counts what the kernels loop over.
 */
import { describe, expect, it } from 'vitest';
import { TASK_TYPES } from '../../contract/vocabulary.ts';
import { defaultWorkBudgets } from '../../workload/api/config.ts';
import { parseTaskRequest } from '../../workload/api/services/task-request.ts';
import { planRequests } from '../../workload/load/plan.ts';
import { demoScenario } from '../../workload/stack/demo-scenario.ts';
import { DESIGN_NOTES_EXAMPLE } from '../../workload/stack/sample-tasks.ts';
import { validateTaskData } from '../../workload/tasks/validate-task.ts';
import { DEFAULT_WORK_BUDGET, workCost } from '../../workload/tasks/work-cost.ts';

const budgets = defaultWorkBudgets();

function accepted(body: unknown): void {
  expect(() => parseTaskRequest(body, { allowFaults: true, workBudgets: budgets })).not.toThrow();
}

describe('work budget', () => {
  it('admits the design notes example (the API and idempotency benchmarks post it)', () => {
    accepted(DESIGN_NOTES_EXAMPLE);
  });

  it('admits every task of the demo', () => {
    const bodies = demoScenario('budget').map((step) => step.body);
    expect(bodies.length).toBeGreaterThan(5);
    for (const body of bodies) accepted(body);
  });

  it('admits every task of a load run with duplicates, faults and slow tasks', () => {
    const plan = planRequests({
      rps: 50,
      durationS: 20,
      seed: 7,
      runId: 'budget',
      duplicates: true,
      faults: true,
      slowTasks: true,
    });
    for (const type of TASK_TYPES) expect(plan.some((request) => request.body.task_type === type)).toBe(true);
    for (const request of plan) accepted(request.body);
  });

  it('counts what the kernels loop over', () => {
    const positions = (n: number) => Array.from({ length: n }, (_, i) => ({ symbol: `S${i}`, quantity: 1, price: 1 }));
    const varCost = (n: number, simulations: number, correlated: boolean) => {
      const data = {
        portfolio_data: {
          positions: positions(n),
          ...(correlated
            ? {
                correlations: Array.from({ length: n }, (_, i) =>
                  Array.from({ length: n }, (_, j) => (i === j ? 1 : 0)),
                ),
              }
            : {}),
        },
        simulations,
      };
      const valid = validateTaskData('calculate_var', data);
      if (!valid.ok) throw new Error(JSON.stringify(valid.problem));
      return workCost('calculate_var', valid.data);
    };
    // Without a matrix: one draw and one revaluation per position and simulation.
    expect(varCost(10, 1000, false)).toBe(Math.round(1000 / 6 + 1000 * 20));
    // A matrix adds the correlated draw, n(n+1)/2 per simulation: the 480 × 10⁶ is far over.
    expect(varCost(480, 1_000_000, true)).toBeGreaterThan(10 * DEFAULT_WORK_BUDGET);
    // The horizon only scales volatilities: it costs nothing.
    const short = validateTaskData('calculate_var', { portfolio_data: { positions: positions(5) }, horizon_days: 1 });
    const long = validateTaskData('calculate_var', { portfolio_data: { positions: positions(5) }, horizon_days: 3650 });
    if (!short.ok || !long.ok) throw new Error('invalid');
    expect(workCost('calculate_var', long.data)).toBe(workCost('calculate_var', short.data));
    // The largest stress test and long-only optimisation the schema admits fit the default budget.
    const largestStress = validateTaskData('stress_test', {
      portfolio_data: { positions: positions(500) },
      scenarios: Array.from({ length: 100 }, (_, i) => ({ name: `s${i}` })),
    });
    const largestOptimization = validateTaskData('portfolio_optimization', {
      assets: Array.from({ length: 500 }, (_, i) => ({ symbol: `A${i}`, expected_return: 0.05, volatility: 0.2 })),
    });
    if (!largestStress.ok || !largestOptimization.ok) throw new Error('invalid');
    expect(workCost('stress_test', largestStress.data)).toBe(50_000);
    expect(workCost('portfolio_optimization', largestOptimization.data)).toBeLessThanOrEqual(DEFAULT_WORK_BUDGET);
  });
});
