/**
 * Monte Carlo Value-at-Risk of a portfolio of positions with volatilities and correlations.
 *
 * Model. Position i has value a_i = quantity·price and annual volatility σ_i; over a horizon of
 * h trading days its return has standard deviation s_i = σ_i·√(h/252). Correlated standard
 * normals x = L·z come from the Cholesky factor L of the correlation matrix. Two return models:
 * - `normal` (delta-normal): r_i = s_i·x_i. P&L is exactly normal, so the simulated VaR must
 *   match the parametric z_α·√(aᵀΣa), which is what the tests cross-check.
 * - `lognormal` (full revaluation under zero-drift geometric Brownian motion, the default):
 *   r_i = exp(s_i·x_i − s_i²/2) − 1, so prices stay positive and large moves are asymmetric.
 *
 * Simulations are generated in fixed blocks of {@link BLOCK_SIZE}, block b drawing from PRNG
 * stream b of the seed, so the result depends on the seed alone and not on how many threads
 * shared the blocks.
 */
import { cholesky, type SquareMatrix } from './cholesky.ts';
import { fillStandardNormals } from './normal.ts';
import { Xoshiro128 } from './prng.ts';
import { tailStats } from './quantile.ts';

/** Trading days per year used to scale annual volatilities to the horizon. */
export const TRADING_DAYS_PER_YEAR = 252;

/** Simulations per block; block b uses PRNG stream b. */
export const BLOCK_SIZE = 16_384;

/** Simulations computed together in one pass over the Cholesky factor (divides BLOCK_SIZE). */
const CHUNK = 256;

/** Return models of the simulation. */
export type ReturnModel = 'normal' | 'lognormal';

/** The numeric inputs of the kernel, already validated. */
export interface VarKernelInput {
  /** Position values a_i (quantity × price); negative for short positions. */
  exposures: Float64Array;
  /** Annual volatilities σ_i. */
  volatilities: Float64Array;
  /** Correlation matrix (validated), n×n. */
  correlation: SquareMatrix;
  horizonDays: number;
  model: ReturnModel;
  seed: number;
}

/** Prepared kernel: Cholesky factor and horizon-scaled volatilities, computed once. */
export interface PreparedVar {
  readonly n: number;
  readonly lower: Float64Array;
  readonly exposures: Float64Array;
  readonly scaledVols: Float64Array;
  readonly model: ReturnModel;
  readonly seed: number;
}

/** Factorise and scale once; throws DTQ_ERR_RISK_MATRIX_NOT_PSD on an inconsistent matrix. */
export function prepareVar(input: VarKernelInput): PreparedVar {
  const n = input.exposures.length;
  const scale = Math.sqrt(input.horizonDays / TRADING_DAYS_PER_YEAR);
  const scaledVols = new Float64Array(n);
  for (let i = 0; i < n; i++) scaledVols[i] = (input.volatilities[i] as number) * scale;
  return {
    n,
    lower: cholesky(input.correlation).data,
    exposures: input.exposures,
    scaledVols,
    model: input.model,
    seed: input.seed,
  };
}

/** Number of blocks needed for `simulations`. */
export function blockCount(simulations: number): number {
  return Math.ceil(simulations / BLOCK_SIZE);
}

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
  const { n, lower, exposures, scaledVols, model } = prepared;
  const weights = new Float64Array(n);
  const drift = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = scaledVols[i] as number;
    weights[i] = (exposures[i] as number) * s;
    drift[i] = -0.5 * s * s;
  }
  // Draws are laid out column-major per chunk (z[j·CHUNK + c] is normal j of simulation c), so
  // every inner loop below runs over CHUNK contiguous doubles: about 4× faster in V8 than
  // walking the triangular matrix once per simulation.
  const z = new Float64Array(CHUNK * n);
  const x = new Float64Array(CHUNK);
  const pnl = new Float64Array(CHUNK);
  let offset = 0;
  for (let b = firstBlock; b < lastBlock; b++) {
    const rng = new Xoshiro128(prepared.seed, b);
    const end = Math.min(simulations, (b + 1) * BLOCK_SIZE);
    for (let start = b * BLOCK_SIZE; start < end; start += CHUNK) {
      const count = Math.min(CHUNK, end - start);
      fillStandardNormals(rng, z, 0, CHUNK * n);
      pnl.fill(0);
      for (let i = 0; i < n; i++) {
        x.fill(0);
        for (let j = 0; j <= i; j++) {
          const l = lower[i * n + j] as number;
          if (l === 0) continue;
          const col = j * CHUNK;
          for (let c = 0; c < count; c++) x[c] = (x[c] as number) + l * (z[col + c] as number);
        }
        if (model === 'normal') {
          const w = weights[i] as number;
          for (let c = 0; c < count; c++) pnl[c] = (pnl[c] as number) + w * (x[c] as number);
        } else {
          const a = exposures[i] as number;
          const s = scaledVols[i] as number;
          const d = drift[i] as number;
          for (let c = 0; c < count; c++) pnl[c] = (pnl[c] as number) + a * (Math.exp(s * (x[c] as number) + d) - 1);
        }
      }
      for (let c = 0; c < count; c++) out[offset++] = -(pnl[c] as number);
    }
  }
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

/** Summarise a complete loss sample into a VarResult. Reorders `losses`. */
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
