/**
 * Valid example requests for every task type, shared by the demo, the load generator and the
 * API benchmark so all three exercise the real validation and handlers. Sizes are kept small
 * (thousands of simulations, a few positions) so a loaded laptop finishes each in milliseconds.
 * Pure: the same inputs give the same bodies.
 */
import type { Priority, TaskType } from '../../contract/vocabulary.ts';
import type { FaultSpec } from '../queue/contract.ts';

/** The body of POST /api/v1/tasks. */
export interface TaskRequestBody {
  task_type: TaskType;
  data: Record<string, unknown>;
  priority: Priority;
}

const SYMBOLS = ['AAPL', 'MSFT', 'GOOG', 'AMZN', 'NVDA', 'JPM', 'XOM', 'KO'];

/** A small portfolio; `variant` changes quantities and the portfolio id so bodies differ. */
function portfolio(variant: number, size: number): Record<string, unknown> {
  const positions = SYMBOLS.slice(0, size).map((symbol, index) => ({
    symbol,
    quantity: 10 + ((variant * 7 + index * 13) % 90),
    price: 50 + index * 25,
    volatility: 0.15 + index * 0.02,
  }));
  return { portfolio_id: `pf-${variant % 50}`, positions };
}

/** The `data` of a valid task of `type`; `variant` makes otherwise equal bodies distinct. */
export function sampleTaskData(type: TaskType, variant = 0): Record<string, unknown> {
  switch (type) {
    case 'calculate_var':
      return { portfolio_data: portfolio(variant, 3), confidence_level: 0.99, simulations: 5_000, seed: variant };
    case 'monte_carlo_pricing':
      return {
        spot: 100,
        strike: 90 + (variant % 20),
        volatility: 0.2,
        maturity: 1,
        option_type: variant % 2 === 0 ? 'call' : 'put',
        simulations: 20_000,
        seed: variant,
      };
    case 'stress_test':
      return {
        portfolio_data: portfolio(variant, 4),
        scenarios: [
          { name: 'market crash', market_shock: -0.3 },
          { name: 'tech selloff', market_shock: -0.05, shocks: { AAPL: -0.2, MSFT: -0.18 } },
        ],
      };
    case 'portfolio_optimization':
      return {
        assets: SYMBOLS.slice(0, 4).map((symbol, index) => ({
          symbol,
          expected_return: 0.05 + index * 0.02 + (variant % 5) * 0.001,
          volatility: 0.15 + index * 0.05,
        })),
        method: variant % 2 === 0 ? 'min_variance' : 'max_sharpe',
      };
  }
}

/** A full request body, optionally with a fault to inject (needs DTQ_FAULTS=1 on the stack). */
export function sampleTaskBody(type: TaskType, priority: Priority, variant = 0, fault?: FaultSpec): TaskRequestBody {
  const data = sampleTaskData(type, variant);
  return { task_type: type, data: fault ? { ...data, fault } : data, priority };
}

/** The example request of the design notes, verbatim (defaults fill the rest). */
export const DESIGN_NOTES_EXAMPLE: TaskRequestBody = {
  task_type: 'calculate_var',
  data: { portfolio_data: { positions: [{ symbol: 'AAPL', quantity: 100, price: 150.0 }] } },
  priority: 'high',
};
