/**
 * Markowitz portfolio optimisation: minimum variance or maximum Sharpe ratio, fully invested.
 *
 * Without constraints both have closed forms (w ∝ Σ⁻¹1 and w ∝ Σ⁻¹(μ − r_f)), solved with a
 * Cholesky factor of Σ. Long-only has none, so it is solved as a convex QP by accelerated
 * projected gradient (FISTA, Beck & Teboulle 2009): minimise yᵀΣy over {y ≥ 0, cᵀy = 1}, with
 * c = 1 for minimum variance and c = μ − r_f for maximum Sharpe (the standard change of
 * variables w = y / 1ᵀy that turns the Sharpe ratio into a convex problem). Projection onto
 * that set is a one-dimensional monotone root search (bisection on the multiplier). Chosen
 * over an active-set QP solver because it is 40 lines, has no pivoting edge cases and its
 * accuracy (1e-10 on the weights) is far beyond what input estimates justify.
 */
import type { PortfolioOptimizationData } from '../tasks/schemas.ts';
import { cholesky, constantCorrelation, correlationMatrix } from './cholesky.ts';
import { invalidInput } from './errors.ts';

/** Most FISTA iterations before the current (feasible) iterate is returned. */
export const MAX_ITERATIONS = 20_000;

/** Most bisection steps of the long-only projection (each costs one pass over the positions). */
export const PROJECTION_STEPS = 200;

/** What an optimisation reports. */
export interface OptimizationResult {
  method: 'min_variance' | 'max_sharpe';
  long_only: boolean;
  weights: { symbol: string; weight: number }[];
  expected_return: number;
  volatility: number;
  sharpe_ratio: number;
  iterations: number;
}

/** Optimal weights for the task's assets (sum to 1). */
export function optimizePortfolio(data: PortfolioOptimizationData): OptimizationResult {
  const n = data.assets.length;
  if (n < 2) throw invalidInput('data.assets', 'at least two assets are needed to optimise');
  const mu = Float64Array.from(data.assets, (a) => a.expected_return);
  const vol = Float64Array.from(data.assets, (a) => a.volatility);
  const corr = data.correlations === undefined ? constantCorrelation(n, 0) : correlationMatrix(data.correlations, n);
  const sigma = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      sigma[i * n + j] = (vol[i] as number) * (vol[j] as number) * (corr.data[i * n + j] as number);
    }
  }
  const c = new Float64Array(n);
  for (let i = 0; i < n; i++) c[i] = data.method === 'min_variance' ? 1 : (mu[i] as number) - data.risk_free_rate;
  if (data.method === 'max_sharpe' && !c.some((v) => v > 0)) {
    throw invalidInput(
      'data.assets',
      'no asset has an expected return above risk_free_rate, so no portfolio has a positive Sharpe ratio; use method "min_variance"',
    );
  }
  const solved = data.long_only ? solveLongOnly(sigma, c, n) : solveUnconstrained(sigma, c, n);
  const y = solved.y;
  let total = 0;
  for (const v of y) total += v;
  if (!(Math.abs(total) > 1e-300)) {
    throw invalidInput('data.assets', 'the optimal portfolio has zero net weight and cannot be fully invested');
  }
  const w = y.map((v) => v / total);
  let ret = 0;
  let variance = 0;
  for (let i = 0; i < n; i++) {
    ret += (w[i] as number) * (mu[i] as number);
    for (let j = 0; j < n; j++) variance += (w[i] as number) * (sigma[i * n + j] as number) * (w[j] as number);
  }
  const volatility = Math.sqrt(Math.max(0, variance));
  return {
    method: data.method,
    long_only: data.long_only,
    weights: data.assets.map((a, i) => ({ symbol: a.symbol, weight: w[i] as number })),
    expected_return: ret,
    volatility,
    sharpe_ratio: volatility === 0 ? 0 : (ret - data.risk_free_rate) / volatility,
    iterations: solved.iterations,
  };
}

function solveUnconstrained(sigma: Float64Array, c: Float64Array, n: number): { y: Float64Array; iterations: number } {
  let lower: Float64Array;
  try {
    lower = cholesky({ n, data: sigma }).data;
  } catch {
    throw invalidInput('data.correlations', 'the covariance matrix is singular; use long_only or adjust correlations');
  }
  for (let i = 0; i < n; i++) {
    if ((lower[i * n + i] as number) === 0) {
      throw invalidInput(
        'data.correlations',
        'the covariance matrix is singular; use long_only or adjust correlations',
      );
    }
  }
  // Solve Σy = c by forward then backward substitution.
  const t = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let sum = c[i] as number;
    for (let k = 0; k < i; k++) sum -= (lower[i * n + k] as number) * (t[k] as number);
    t[i] = sum / (lower[i * n + i] as number);
  }
  const y = new Float64Array(n);
  for (let i = n - 1; i >= 0; i--) {
    let sum = t[i] as number;
    for (let k = i + 1; k < n; k++) sum -= (lower[k * n + i] as number) * (y[k] as number);
    y[i] = sum / (lower[i * n + i] as number);
  }
  return { y, iterations: 0 };
}

function solveLongOnly(sigma: Float64Array, c: Float64Array, n: number): { y: Float64Array; iterations: number } {
  // Gershgorin bound on the largest eigenvalue of 2Σ: a safe Lipschitz constant for the step.
  let lipschitz = 0;
  for (let i = 0; i < n; i++) {
    let row = 0;
    for (let j = 0; j < n; j++) row += Math.abs(sigma[i * n + j] as number);
    lipschitz = Math.max(lipschitz, 2 * row);
  }
  let x = project(new Float64Array(n).fill(1 / n), c);
  const y = x.slice();
  let t = 1;
  const gradient = new Float64Array(n);
  let iterations = 0;
  while (iterations < MAX_ITERATIONS) {
    iterations++;
    for (let i = 0; i < n; i++) {
      let g = 0;
      for (let j = 0; j < n; j++) g += (sigma[i * n + j] as number) * (y[j] as number);
      gradient[i] = (y[i] as number) - (2 * g) / lipschitz;
    }
    const next = project(gradient, c);
    const tNext = (1 + Math.sqrt(1 + 4 * t * t)) / 2;
    let change = 0;
    let scale = 0;
    for (let i = 0; i < n; i++) {
      const d = (next[i] as number) - (x[i] as number);
      change = Math.max(change, Math.abs(d));
      scale = Math.max(scale, Math.abs(next[i] as number));
      y[i] = (next[i] as number) + ((t - 1) / tNext) * d;
    }
    x = next;
    t = tNext;
    if (change <= 1e-12 * Math.max(scale, 1e-300)) break;
  }
  return { y: x, iterations };
}

/** Euclidean projection of v onto {y ≥ 0, cᵀy = 1}: y_i = max(0, v_i − λc_i), λ by bisection. */
function project(v: Float64Array, c: Float64Array): Float64Array {
  const n = v.length;
  const out = new Float64Array(n);
  const constraint = (lambda: number): number => {
    let sum = 0;
    for (let i = 0; i < n; i++) sum += (c[i] as number) * Math.max(0, (v[i] as number) - lambda * (c[i] as number));
    return sum;
  };
  // constraint(λ) is non-increasing in λ; widen the bracket until it straddles 1.
  let lo = -1;
  let hi = 1;
  while (constraint(lo) < 1) lo *= 2;
  while (constraint(hi) > 1) hi *= 2;
  for (let k = 0; k < PROJECTION_STEPS && hi - lo > 1e-15 * Math.max(1, Math.abs(lo), Math.abs(hi)); k++) {
    const mid = 0.5 * (lo + hi);
    if (constraint(mid) > 1) lo = mid;
    else hi = mid;
  }
  const lambda = 0.5 * (lo + hi);
  for (let i = 0; i < n; i++) out[i] = Math.max(0, (v[i] as number) - lambda * (c[i] as number));
  return out;
}
