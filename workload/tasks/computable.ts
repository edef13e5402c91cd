/**
 * Checks that schema-valid task data can be computed to a finite result, for inputs the worker
 * would certainly fail (or answer with nulls): such a task is refused with 400 at the API
 * instead of being queued, retried and dead-lettered. Pure: no I/O.
 *
 * - Amounts: a portfolio's value (Σ quantity × price) and an option's spot and strike are at
 *   most {@link MAX_AMOUNT}. Above it a product can overflow to Infinity, and simulated prices
 *   (up to e^(σ·√(h/252)·z) times the amount at volatility 5 and 3650 days) no longer stay
 *   finite, so the results would be null. Within it every volatility and horizon the schema
 *   admits computes a finite result.
 * - Correlation matrices are positive semi-definite (a Cholesky factorisation succeeds), and
 *   positive definite for an unconstrained optimisation (its covariance is inverted). The
 *   factorisation costs n³/6 steps, at most 2·10⁷ for the 500 positions a task may hold: some
 *   tens of milliseconds, about what validating the 1 MiB body such a matrix arrives in costs.
 * - A maximum-Sharpe optimisation has an asset whose expected return beats the risk-free rate.
 */
import { DtqError } from '../../contract/dtq-error.ts';
import type { TaskType } from '../../contract/vocabulary.ts';
import { cholesky, correlationMatrix } from '../risk/cholesky.ts';
import type { PortfolioData, PortfolioOptimizationData } from './schemas.ts';
import type { TaskDataProblem } from './validate-task.ts';

/** Largest portfolio value, spot or strike accepted (in the positions' currency): 10¹⁵. */
export const MAX_AMOUNT = 1e15;

/** The first reason validated `data` of `taskType` cannot be computed, or undefined. */
export function checkComputable(
  taskType: TaskType,
  data: Record<string, unknown>,
  prefix = 'data',
): TaskDataProblem | undefined {
  switch (taskType) {
    case 'calculate_var':
    case 'stress_test': {
      const portfolio = data.portfolio_data as PortfolioData;
      const field = `${prefix}.portfolio_data`;
      return (
        checkPortfolioValue(portfolio, field) ?? checkMatrix(portfolio.correlations, `${field}.correlations`, false)
      );
    }
    case 'monte_carlo_pricing':
      for (const name of ['spot', 'strike'] as const) {
        if ((data[name] as number) > MAX_AMOUNT) {
          return { field: `${prefix}.${name}`, expected: `a number ≤ ${MAX_AMOUNT} (larger prices overflow)` };
        }
      }
      return undefined;
    case 'portfolio_optimization': {
      const optimization = data as unknown as PortfolioOptimizationData;
      if (
        optimization.method === 'max_sharpe' &&
        !optimization.assets.some((asset) => asset.expected_return > optimization.risk_free_rate)
      ) {
        return {
          field: `${prefix}.assets`,
          expected: `at least one expected_return above risk_free_rate (${optimization.risk_free_rate}) for max_sharpe, or method "min_variance"`,
        };
      }
      return checkMatrix(optimization.correlations, `${prefix}.correlations`, !optimization.long_only);
    }
  }
}

function checkPortfolioValue(portfolio: PortfolioData, field: string): TaskDataProblem | undefined {
  let total = 0;
  for (const [i, position] of portfolio.positions.entries()) {
    total += position.quantity * position.price;
    // Written as a negated ≤ so that Infinity and NaN fail too.
    if (!(total <= MAX_AMOUNT)) {
      return {
        field: `${field}.positions[${i}]`,
        expected: `quantity × price summed over the positions ≤ ${MAX_AMOUNT}; the positions up to this one already reach ${total}`,
      };
    }
  }
  return undefined;
}

/** Factorise a shape-checked correlation matrix; `definite` also refuses a singular one. */
function checkMatrix(rows: number[][] | undefined, field: string, definite: boolean): TaskDataProblem | undefined {
  if (rows === undefined) return undefined;
  const n = rows.length;
  let lower: Float64Array;
  try {
    lower = cholesky(correlationMatrix(rows, n)).data;
  } catch (error) {
    if (!(error instanceof DtqError)) throw error;
    return {
      field,
      expected: `a positive semi-definite correlation matrix (${error.message.replace(/\.$/, '')})`,
    };
  }
  if (definite) {
    for (let i = 0; i < n; i++) {
      if (lower[i * n + i] === 0) {
        return {
          field,
          expected: `a positive definite correlation matrix for long_only: false (row ${i} is a combination of the rows before it); use long_only: true or adjust the correlations`,
        };
      }
    }
  }
  return undefined;
}
