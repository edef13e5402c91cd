import { describe, expect, it } from 'vitest';
import { calculateVar, prepareVarTask } from '../../workload/risk/portfolio-var.ts';
import { blockCount, simulateBlocks } from '../../workload/risk/var.ts';
import type { CalculateVarData } from '../../workload/tasks/schemas.ts';

function portfolio(overrides: Partial<CalculateVarData> = {}): CalculateVarData {
  return {
    portfolio_data: {
      positions: [
        { symbol: 'AAPL', quantity: 100, price: 150, volatility: 0.25 },
        { symbol: 'MSFT', quantity: 50, price: 300, volatility: 0.2 },
        { symbol: 'TLT', quantity: 200, price: 90, volatility: 0.12 },
      ],
      correlations: [
        [1, 0.7, -0.2],
        [0.7, 1, -0.1],
        [-0.2, -0.1, 1],
      ],
    },
    confidence_level: 0.95,
    horizon_days: 1,
    simulations: 100_000,
    ...overrides,
  };
}

const relative = (a: number, b: number) => Math.abs(a - b) / Math.abs(b);

describe('Monte Carlo VaR', () => {
  it('matches the parametric VaR within 1% for normal returns at 100k simulations', () => {
    for (const [seed, confidence, horizon] of [
      [1, 0.95, 1],
      [2, 0.99, 10],
      [3, 0.975, 5],
    ] as const) {
      const result = calculateVar(portfolio({ confidence_level: confidence, horizon_days: horizon }), seed, 'normal');
      expect(result.simulations).toBe(100_000);
      expect(relative(result.value_at_risk, result.parametric_var)).toBeLessThan(0.01);
      // Parametric ES of a normal: σ·φ(z)/(1 − α) = VaR·φ(z)/(z(1 − α)).
      expect(result.expected_shortfall).toBeGreaterThan(result.value_at_risk);
    }
  });

  it('matches the closed-form expected shortfall of normal P&L within 2%', () => {
    const result = calculateVar(portfolio(), 11, 'normal');
    const z = 1.6448536269514722;
    const sigma = result.parametric_var / z;
    const phi = Math.exp(-0.5 * z * z) / Math.sqrt(2 * Math.PI);
    expect(relative(result.expected_shortfall, (sigma * phi) / 0.05)).toBeLessThan(0.02);
  });

  it('matches the exact lognormal quantile of a single position within 1%', () => {
    const data = portfolio({
      portfolio_data: { positions: [{ symbol: 'AAPL', quantity: 100, price: 150, volatility: 0.3 }] },
      horizon_days: 10,
    });
    const result = calculateVar(data, 99, 'lognormal');
    const s = 0.3 * Math.sqrt(10 / 252);
    const exact = 15_000 * (1 - Math.exp(-1.6448536269514722 * s - 0.5 * s * s));
    expect(relative(result.value_at_risk, exact)).toBeLessThan(0.01);
  });

  it('is reproducible from the seed and independent of how blocks are split across threads', () => {
    const data = portfolio({ simulations: 40_000 });
    expect(calculateVar(data, 5)).toEqual(calculateVar(data, 5));
    expect(calculateVar(data, 5).value_at_risk).not.toBe(calculateVar(data, 6).value_at_risk);

    const prepared = prepareVarTask(data, 5);
    const blocks = blockCount(data.simulations);
    expect(blocks).toBeGreaterThan(2);
    const whole = new Float64Array(data.simulations);
    simulateBlocks(prepared, data.simulations, 0, blocks, whole);
    const split = 16_384;
    const first = new Float64Array(split);
    const rest = new Float64Array(data.simulations - split);
    simulateBlocks(prepared, data.simulations, 0, 1, first);
    simulateBlocks(prepared, data.simulations, 1, blocks, rest);
    expect(Float64Array.from([...first, ...rest])).toEqual(whole);
  });

  it('treats a missing correlation matrix as independent positions', () => {
    const independent = portfolio();
    delete independent.portfolio_data.correlations;
    const result = calculateVar(independent, 1, 'normal');
    const z = 1.6448536269514722;
    const scale = Math.sqrt(1 / 252);
    const sd = Math.hypot(15_000 * 0.25 * scale, 15_000 * 0.2 * scale, 18_000 * 0.12 * scale);
    expect(relative(result.parametric_var, z * sd)).toBeLessThan(1e-8);
  });
});
