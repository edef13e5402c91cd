/**
 * European options: Black–Scholes closed form and a Monte Carlo estimate under the same
 * geometric Brownian motion, with antithetic variates (each normal z is also used as −z,
 * which cancels the odd moments of the payoff's noise and roughly halves the variance for
 * near-the-money options at no extra draws).
 */
import type { MonteCarloPricingData } from '../tasks/schemas.ts';
import { invalidInput } from './errors.ts';
import { fillStandardNormals, normalCdf } from './normal.ts';
import { Xoshiro128 } from './prng.ts';

/** The option contract and market, in the task's units (annual rate and volatility, years). */
export type OptionSpec = Pick<
  MonteCarloPricingData,
  'spot' | 'strike' | 'rate' | 'volatility' | 'maturity' | 'option_type'
>;

/** Black–Scholes price of a European call or put (no dividends). */
export function blackScholesPrice(spec: OptionSpec): number {
  checkSpec(spec);
  const { spot: s, strike: k, rate: r, volatility: v, maturity: t } = spec;
  const sqrtT = Math.sqrt(t);
  const d1 = (Math.log(s / k) + (r + 0.5 * v * v) * t) / (v * sqrtT);
  const d2 = d1 - v * sqrtT;
  const discount = Math.exp(-r * t);
  return spec.option_type === 'call'
    ? s * normalCdf(d1) - k * discount * normalCdf(d2)
    : k * discount * normalCdf(-d2) - s * normalCdf(-d1);
}

/** What a Monte Carlo pricing run reports. */
export interface OptionPriceResult {
  price: number;
  /** Standard error of the estimate (over antithetic pairs). */
  standard_error: number;
  black_scholes_price: number;
  option_type: 'call' | 'put';
  simulations: number;
  seed: number;
}

/** Monte Carlo price of a European option; `simulations` is rounded up to an even count. */
export function monteCarloOptionPrice(spec: OptionSpec, simulations: number, seed: number): OptionPriceResult {
  checkSpec(spec);
  if (!Number.isInteger(simulations) || simulations < 2) {
    throw invalidInput('data.simulations', 'expected an integer ≥ 2');
  }
  const { spot: s, strike: k, rate: r, volatility: v, maturity: t } = spec;
  const pairs = Math.ceil(simulations / 2);
  const drift = (r - 0.5 * v * v) * t;
  const diffusion = v * Math.sqrt(t);
  const call = spec.option_type === 'call';
  const rng = new Xoshiro128(seed);
  const z = new Float64Array(4096);
  let sum = 0;
  let sumSquares = 0;
  for (let done = 0; done < pairs; done += z.length) {
    const count = Math.min(z.length, pairs - done);
    fillStandardNormals(rng, z, 0, count);
    for (let i = 0; i < count; i++) {
      const e = diffusion * (z[i] as number);
      const up = s * Math.exp(drift + e);
      const down = s * Math.exp(drift - e);
      const payoff = call
        ? 0.5 * (Math.max(up - k, 0) + Math.max(down - k, 0))
        : 0.5 * (Math.max(k - up, 0) + Math.max(k - down, 0));
      sum += payoff;
      sumSquares += payoff * payoff;
    }
  }
  const discount = Math.exp(-r * t);
  const mean = sum / pairs;
  const variance = Math.max(0, sumSquares / pairs - mean * mean);
  return {
    price: discount * mean,
    standard_error: (discount * Math.sqrt(variance)) / Math.sqrt(pairs),
    black_scholes_price: blackScholesPrice(spec),
    option_type: spec.option_type,
    simulations: pairs * 2,
    seed,
  };
}

function checkSpec(spec: OptionSpec): void {
  for (const field of ['spot', 'strike', 'volatility', 'maturity'] as const) {
    if (!(spec[field] > 0) || !Number.isFinite(spec[field]))
      throw invalidInput(`data.${field}`, 'expected a finite number > 0');
  }
  if (!Number.isFinite(spec.rate)) throw invalidInput('data.rate', 'expected a finite number');
}
