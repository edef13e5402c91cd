/**
 * The VaR kernel's model and its prepared inputs, shared by the kernels (var-simd.ts, and the
 * plain-loop var-scalar.ts it is measured against).
 *
 * Model. Position i has value a_i = quantity·price and annual volatility σ_i; over a horizon of
 * h trading days its return has standard deviation s_i = σ_i·√(h/252). Correlated standard
 * normals x = L·z come from the Cholesky factor L of the correlation matrix. Two return models:
 * - `normal` (delta-normal): r_i = s_i·x_i. P&L is exactly normal, so the simulated VaR must
 *   match the parametric z_α·√(aᵀΣa), which is what the tests cross-check.
 * - `lognormal` (full revaluation under zero-drift geometric Brownian motion, the default):
 *   r_i = exp(s_i·x_i − s_i²/2) − 1, so prices stay positive and large moves are asymmetric.
 *
 * Seed policy. Simulations are generated in fixed blocks of {@link BLOCK_SIZE}, block b drawing
 * from PRNG stream b of the seed, so the result depends on the seed alone and not on how many
 * threads shared the blocks. Within a block, each chunk of {@link CHUNK} simulations draws its
 * normals position by position: normal j·CHUNK + c of the chunk is position j of simulation c.
 */
import { TRADING_DAYS_PER_YEAR } from '../tasks/schemas.ts';
import { cholesky, type SquareMatrix } from './cholesky.ts';

/** Simulations per block; block b uses PRNG stream b. */
export const BLOCK_SIZE = 16_384;

/** Simulations whose normals are drawn together (divides BLOCK_SIZE). */
export const CHUNK = 256;

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
  /** The Cholesky factor L, n×n row-major (zero above the diagonal). */
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
