import { describe, expect, it } from 'vitest';
import { optimizePortfolio } from '../../workload/risk/optimize.ts';
import { blackScholesPrice, monteCarloOptionPrice, type OptionSpec } from '../../workload/risk/option.ts';
import { stressTest } from '../../workload/risk/stress.ts';
import type { PortfolioOptimizationData } from '../../workload/tasks/schemas.ts';

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('European option pricing', () => {
  it('Black–Scholes matches textbook values and put–call parity', () => {
    const call: OptionSpec = { spot: 100, strike: 100, rate: 0.05, volatility: 0.2, maturity: 1, option_type: 'call' };
    expect(blackScholesPrice(call)).toBeCloseTo(10.4506, 3);
    const put = blackScholesPrice({ ...call, option_type: 'put' });
    expect(put).toBeCloseTo(5.5735, 3);
    expect(blackScholesPrice(call) - put).toBeCloseTo(100 - 100 * Math.exp(-0.05), 6);
  });

  it('Monte Carlo is within 1% of Black–Scholes at 100k simulations for calls and puts', () => {
    const cases: OptionSpec[] = [
      { spot: 100, strike: 100, rate: 0.05, volatility: 0.2, maturity: 1, option_type: 'call' },
      { spot: 100, strike: 90, rate: 0.03, volatility: 0.3, maturity: 0.5, option_type: 'call' },
      { spot: 100, strike: 110, rate: 0.01, volatility: 0.25, maturity: 2, option_type: 'put' },
    ];
    for (const [seed, spec] of cases.entries()) {
      const result = monteCarloOptionPrice(spec, 100_000, seed);
      expect(result.simulations).toBe(100_000);
      expect(relative(result.price, result.black_scholes_price)).toBeLessThan(0.01);
      expect(result.standard_error).toBeGreaterThan(0);
    }
  });

  it('is reproducible from the seed', () => {
    const spec: OptionSpec = { spot: 50, strike: 55, rate: 0, volatility: 0.4, maturity: 1, option_type: 'call' };
    expect(monteCarloOptionPrice(spec, 10_000, 3)).toEqual(monteCarloOptionPrice(spec, 10_000, 3));
    expect(monteCarloOptionPrice(spec, 10_000, 3).price).not.toBe(monteCarloOptionPrice(spec, 10_000, 4).price);
  });
});

describe('stress test', () => {
  it('applies per-symbol shocks over the market shock and names the worst scenario', () => {
    const result = stressTest({
      portfolio_data: {
        positions: [
          { symbol: 'AAPL', quantity: 10, price: 100, volatility: 0.2 },
          { symbol: 'TLT', quantity: 20, price: 50, volatility: 0.1 },
        ],
      },
      scenarios: [
        { name: 'crash', market_shock: -0.3, shocks: { TLT: 0.05 } },
        { name: 'rally', market_shock: 0.1 },
      ],
    });
    expect(result.portfolio_value).toBe(2000);
    expect(result.scenarios[0]).toEqual({ name: 'crash', pnl: -300 + 50, return: -0.125, worst_symbol: 'AAPL' });
    expect(result.scenarios[1]?.pnl).toBeCloseTo(200, 9);
    expect(result.worst_scenario).toBe('crash');
  });
});

describe('portfolio optimisation', () => {
  const twoAssets = (rho: number, longOnly: boolean): PortfolioOptimizationData => ({
    assets: [
      { symbol: 'A', expected_return: 0.08, volatility: 0.2 },
      { symbol: 'B', expected_return: 0.05, volatility: 0.1 },
    ],
    correlations: [
      [1, rho],
      [rho, 1],
    ],
    method: 'min_variance',
    risk_free_rate: 0.01,
    long_only: longOnly,
  });

  it('finds the closed-form two-asset minimum-variance weights, with and without the long-only constraint', () => {
    const rho = 0.3;
    const [s1, s2] = [0.2, 0.1];
    const expected = (s2 * s2 - rho * s1 * s2) / (s1 * s1 + s2 * s2 - 2 * rho * s1 * s2);
    for (const longOnly of [false, true]) {
      const result = optimizePortfolio(twoAssets(rho, longOnly));
      expect(result.weights[0]?.weight).toBeCloseTo(expected, 8);
      expect((result.weights[0]?.weight ?? 0) + (result.weights[1]?.weight ?? 0)).toBeCloseTo(1, 12);
    }
  });

  it('clips a short position to zero when long-only binds', () => {
    // With rho = 0.9 the unconstrained minimum shorts the volatile asset.
    expect(optimizePortfolio(twoAssets(0.9, false)).weights[0]?.weight).toBeLessThan(0);
    const longOnly = optimizePortfolio(twoAssets(0.9, true));
    expect(longOnly.weights[0]?.weight).toBeCloseTo(0, 9);
    expect(longOnly.weights[1]?.weight).toBeCloseTo(1, 9);
    expect(longOnly.volatility).toBeCloseTo(0.1, 9);
  });

  it('maximum Sharpe long-only agrees with the closed form when the optimum is interior', () => {
    const data: PortfolioOptimizationData = {
      assets: [
        { symbol: 'A', expected_return: 0.1, volatility: 0.2 },
        { symbol: 'B', expected_return: 0.06, volatility: 0.1 },
        { symbol: 'C', expected_return: 0.08, volatility: 0.15 },
      ],
      correlations: [
        [1, 0.2, 0.1],
        [0.2, 1, 0.3],
        [0.1, 0.3, 1],
      ],
      method: 'max_sharpe',
      risk_free_rate: 0.02,
      long_only: false,
    };
    const free = optimizePortfolio(data);
    const constrained = optimizePortfolio({ ...data, long_only: true });
    expect(free.weights.every((w) => w.weight > 0)).toBe(true);
    for (const [i, w] of free.weights.entries()) expect(constrained.weights[i]?.weight).toBeCloseTo(w.weight, 7);
    // No other fully invested long-only mix beats it.
    for (let a = 0; a <= 10; a++) {
      for (let b = 0; a + b <= 10; b++) {
        const w = [a / 10, b / 10, (10 - a - b) / 10] as const;
        const ret = w[0] * 0.1 + w[1] * 0.06 + w[2] * 0.08;
        const cov = [
          [0.04, 0.2 * 0.2 * 0.1, 0.1 * 0.2 * 0.15],
          [0.2 * 0.2 * 0.1, 0.01, 0.3 * 0.1 * 0.15],
          [0.1 * 0.2 * 0.15, 0.3 * 0.1 * 0.15, 0.0225],
        ] as const;
        let v = 0;
        for (const i of [0, 1, 2] as const) for (const j of [0, 1, 2] as const) v += w[i] * cov[i][j] * w[j];
        expect((ret - 0.02) / Math.sqrt(v)).toBeLessThanOrEqual(constrained.sharpe_ratio + 1e-9);
      }
    }
  });

  it('refuses maximum Sharpe when no asset beats the risk-free rate', () => {
    const data = { ...twoAssets(0, true), method: 'max_sharpe' as const, risk_free_rate: 0.2 };
    expect(() => optimizePortfolio(data)).toThrow(/risk_free_rate/);
  });
});
