/**
 * From a `calculate_var` task's data to the kernel's typed arrays and back to a result.
 * Single-threaded entry point; the worker's thread pool runs the same blocks in parallel
 * through {@link prepareVar} and {@link simulateBlocks}.
 */
import type { CalculateVarData } from '../tasks/schemas.ts';
import { constantCorrelation, correlationMatrix, type SquareMatrix } from './cholesky.ts';
import { invalidInput } from './errors.ts';
import { normalQuantile } from './normal.ts';
import {
  blockCount,
  type PreparedVar,
  prepareVar,
  type ReturnModel,
  simulateBlocks,
  summariseVar,
  type VarResult,
} from './var.ts';

/** Return model used for tasks: full revaluation under GBM (see var.ts). */
export const DEFAULT_RETURN_MODEL: ReturnModel = 'lognormal';

/** Kernel inputs of a VaR task, validated. `seed` must already be resolved. */
export function varKernelInput(data: CalculateVarData, seed: number, model: ReturnModel = DEFAULT_RETURN_MODEL) {
  const positions = data.portfolio_data.positions;
  const n = positions.length;
  if (n === 0) throw invalidInput('data.portfolio_data.positions', 'at least one position is needed');
  const exposures = new Float64Array(n);
  const volatilities = new Float64Array(n);
  positions.forEach((p, i) => {
    const value = p.quantity * p.price;
    if (!Number.isFinite(value)) {
      throw invalidInput(`data.portfolio_data.positions[${i}]`, 'quantity × price must be a finite number');
    }
    if (!(p.volatility >= 0) || !Number.isFinite(p.volatility)) {
      throw invalidInput(`data.portfolio_data.positions[${i}].volatility`, 'expected a finite number ≥ 0');
    }
    exposures[i] = value;
    volatilities[i] = p.volatility;
  });
  const rows = data.portfolio_data.correlations;
  const correlation: SquareMatrix = rows === undefined ? constantCorrelation(n, 0) : correlationMatrix(rows, n);
  return { exposures, volatilities, correlation, horizonDays: data.horizon_days, model, seed };
}

/** Prepare a VaR task (throws a DTQ_ERR_RISK_* error on inconsistent input). */
export function prepareVarTask(data: CalculateVarData, seed: number, model?: ReturnModel): PreparedVar {
  return prepareVar(varKernelInput(data, seed, model));
}

/** Monte Carlo VaR and expected shortfall of a task's portfolio, on the calling thread. */
export function calculateVar(data: CalculateVarData, seed: number, model?: ReturnModel): VarResult {
  const prepared = prepareVarTask(data, seed, model);
  const losses = new Float64Array(data.simulations);
  simulateBlocks(prepared, data.simulations, 0, blockCount(data.simulations), losses);
  return summariseVar(prepared, losses, {
    confidence: data.confidence_level,
    horizonDays: data.horizon_days,
    zAlpha: normalQuantile(data.confidence_level),
  });
}
