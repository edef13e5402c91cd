/**
 * The work budget: what a task will cost to compute, estimated from its validated data before
 * it is queued, and the most a task of each type may cost. The API refuses a task above its
 * type's budget with 400, so no request can hold a worker's compute thread for minutes.
 *
 * Costs count the inner steps of each kernel (one step ≈ one multiply-add or one draw), from
 * the same inputs the kernels loop over (workload/risk):
 * - calculate_var: the Cholesky factor (n³/6), then per simulation one normal draw and one
 *   revaluation per position (2n) plus the correlated draw L·z, n(n+1)/2 with a correlation
 *   matrix and nothing extra without one (identity: the kernel skips zero entries). The horizon
 *   only scales volatilities (√(h/252)), so it costs nothing.
 * - monte_carlo_pricing: one step per simulated path.
 * - stress_test: one step per position per scenario.
 * - portfolio_optimization: the factor (n³/6) and, long-only, at most MAX_ITERATIONS gradient
 *   steps (n² each) with a projection of up to PROJECTION_STEPS bisections (n each).
 * Pure: no I/O.
 */
import type { TaskType } from '../../contract/vocabulary.ts';
import { MAX_ITERATIONS, PROJECTION_STEPS } from '../risk/optimize.ts';
import type { CalculateVarData, MonteCarloPricingData, PortfolioOptimizationData, StressTestData } from './schemas.ts';

/**
 * Default budget per task type, in steps. 10¹⁰ is about 10 s of one core on a laptop: it
 * admits a dense 100-position VaR at the 10⁶-simulation maximum and a 500-position one at
 * 80,000 simulations, and refuses a dense 480 × 10⁶ (1.2·10¹¹ steps, 140 s). Every
 * monte_carlo_pricing, stress_test and portfolio_optimization the schema admits costs less
 * (at most 10⁶, 5·10⁴ and 7·10⁹), so for them the budget is a ceiling an operator may lower.
 */
export const DEFAULT_WORK_BUDGET = 10_000_000_000;

/** The environment variable that sets the budget of `taskType`, e.g. DTQ_WORK_BUDGET_CALCULATE_VAR. */
export function workBudgetVariable(taskType: TaskType): string {
  return `DTQ_WORK_BUDGET_${taskType.toUpperCase()}`;
}

function cholesky(n: number): number {
  return (n * n * n) / 6;
}

/** Estimated steps of computing a task; `data` is validated, defaults applied. */
export function workCost(taskType: TaskType, data: Record<string, unknown>): number {
  switch (taskType) {
    case 'calculate_var': {
      const { portfolio_data: portfolio, simulations } = data as unknown as CalculateVarData;
      const n = portfolio.positions.length;
      const correlated = portfolio.correlations === undefined ? 0 : (n * (n + 1)) / 2;
      return Math.round(cholesky(n) + simulations * (2 * n + correlated));
    }
    case 'monte_carlo_pricing':
      return (data as unknown as MonteCarloPricingData).simulations;
    case 'stress_test': {
      const { portfolio_data: portfolio, scenarios } = data as unknown as StressTestData;
      return portfolio.positions.length * scenarios.length;
    }
    case 'portfolio_optimization': {
      const { assets, long_only: longOnly } = data as unknown as PortfolioOptimizationData;
      const n = assets.length;
      const solve = longOnly ? MAX_ITERATIONS * (n * n + PROJECTION_STEPS * n) : n * n;
      return Math.round(cholesky(n) + solve);
    }
  }
}
