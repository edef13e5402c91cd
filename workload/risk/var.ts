/**
 * Monte Carlo Value-at-Risk of a portfolio of positions with volatilities and correlations:
 * the model and seed policy are in var-prepared.ts, the kernel in var-simd.ts (WebAssembly
 * SIMD) with var-scalar.ts (plain loops) where SIMD is not available.
 */
import { tailStats } from './quantile.ts';
import type { PreparedVar, ReturnModel } from './var-prepared.ts';
import { simulateBlocksScalar } from './var-scalar.ts';
import { simdSupport, simulateBlocksSimd } from './var-simd.ts';

export { BLOCK_SIZE, blockCount, type PreparedVar, prepareVar, type ReturnModel } from './var-prepared.ts';

/**
 * Simulate the losses (−P&L) of blocks [firstBlock, lastBlock) into `out`, which holds the
 * losses of exactly those blocks (the last block may be cut short by `simulations`).
 */
export function simulateBlocks(
  prepared: PreparedVar,
  simulations: number,
  firstBlock: number,
  lastBlock: number,
  out: Float64Array,
): void {
  const simd = simdSupport();
  if (simd === null) simulateBlocksScalar(prepared, simulations, firstBlock, lastBlock, out);
  else simulateBlocksSimd(prepared, simulations, firstBlock, lastBlock, out, simd);
}

/** What a VaR run reports (amounts in the positions' currency, positive = loss). */
export interface VarResult {
  value_at_risk: number;
  expected_shortfall: number;
  /** Closed-form delta-normal VaR for comparison: z_α·√(aᵀΣa). */
  parametric_var: number;
  portfolio_value: number;
  confidence: number;
  horizon_days: number;
  simulations: number;
  model: ReturnModel;
  seed: number;
}

/** Parametric (delta-normal) VaR: z_α·√(aᵀ S C S a) over the horizon. */
export function parametricVar(prepared: PreparedVar, zAlpha: number): number {
  const { n, lower, exposures, scaledVols } = prepared;
  // aᵀΣa = ‖Lᵀ(a∘s)‖² since Σ = D L Lᵀ D.
  let variance = 0;
  for (let j = 0; j < n; j++) {
    let v = 0;
    for (let i = j; i < n; i++)
      v += (lower[i * n + j] as number) * (exposures[i] as number) * (scaledVols[i] as number);
    variance += v * v;
  }
  return zAlpha * Math.sqrt(variance);
}

/** Summarise a complete loss sample into a VarResult. May reorder `losses`. */
export function summariseVar(
  prepared: PreparedVar,
  losses: Float64Array,
  options: { confidence: number; horizonDays: number; zAlpha: number },
): VarResult {
  const { valueAtRisk, expectedShortfall } = tailStats(losses, options.confidence);
  let value = 0;
  for (const a of prepared.exposures) value += a;
  return {
    value_at_risk: valueAtRisk,
    expected_shortfall: expectedShortfall,
    parametric_var: parametricVar(prepared, options.zAlpha),
    portfolio_value: value,
    confidence: options.confidence,
    horizon_days: options.horizonDays,
    simulations: losses.length,
    model: prepared.model,
    seed: prepared.seed,
  };
}
