/** Dispatch a validated task to its pure risk function (runs inside a compute thread). */
import type { TaskType } from '../../contract/vocabulary.ts';
import { optimizePortfolio } from '../risk/optimize.ts';
import { monteCarloOptionPrice } from '../risk/option.ts';
import { calculateVar } from '../risk/portfolio-var.ts';
import { stressTest } from '../risk/stress.ts';
import type {
  CalculateVarData,
  MonteCarloPricingData,
  PortfolioOptimizationData,
  StressTestData,
} from '../tasks/schemas.ts';

/** What a compute thread is asked to do. */
export interface ComputeRequest {
  taskType: TaskType;
  /** Validated task data, defaults applied, without `fault`. */
  data: Record<string, unknown>;
  seed: number;
}

/** Run one task's math and return its (small, JSON) result. */
export function computeTask(request: ComputeRequest): unknown {
  switch (request.taskType) {
    case 'calculate_var':
      return calculateVar(request.data as unknown as CalculateVarData, request.seed);
    case 'monte_carlo_pricing': {
      const data = request.data as unknown as MonteCarloPricingData;
      return monteCarloOptionPrice(data, data.simulations, request.seed);
    }
    case 'stress_test':
      return stressTest(request.data as unknown as StressTestData);
    case 'portfolio_optimization':
      return optimizePortfolio(request.data as unknown as PortfolioOptimizationData);
  }
}
