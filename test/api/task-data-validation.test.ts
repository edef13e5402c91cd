/** Task data validation (workload/tasks): defaults filled in, the input left alone, problems named. */
import { describe, expect, it } from 'vitest';
import { TASK_TYPES } from '../../contract/vocabulary.ts';
import { MAX_SIMULATIONS, TASK_DEFAULTS } from '../../workload/tasks/schemas.ts';
import { validateTaskData } from '../../workload/tasks/validate-task.ts';

const position = { symbol: 'AAPL', quantity: 100, price: 150 };

const minimal = {
  calculate_var: { portfolio_data: { positions: [position] } },
  monte_carlo_pricing: { spot: 100, strike: 110, volatility: 0.3, maturity: 2 },
  stress_test: { portfolio_data: { positions: [position] }, scenarios: [{ name: 'crash' }] },
  portfolio_optimization: {
    assets: [
      { symbol: 'A', expected_return: 0.08, volatility: 0.2 },
      { symbol: 'B', expected_return: 0.04, volatility: 0.1 },
    ],
  },
} as const;

describe('task data validation', () => {
  it('accepts minimal data of every task type and fills in the defaults', () => {
    const results = Object.fromEntries(
      TASK_TYPES.map((type) => {
        const result = validateTaskData(type, minimal[type]);
        if (!result.ok) throw new Error(`${type}: ${result.problem.field} ${result.problem.expected}`);
        return [type, result.data];
      }),
    );
    expect(results.calculate_var).toEqual({
      portfolio_data: { positions: [{ ...position, volatility: TASK_DEFAULTS.volatility }] },
      confidence_level: 0.95,
      horizon_days: 1,
      simulations: 10_000,
    });
    expect(results.monte_carlo_pricing).toMatchObject({ rate: 0, option_type: 'call', simulations: 100_000 });
    expect(results.stress_test).toMatchObject({ scenarios: [{ name: 'crash', market_shock: 0 }] });
    expect(results.portfolio_optimization).toMatchObject({
      method: 'min_variance',
      risk_free_rate: 0,
      long_only: true,
    });
  });

  it('leaves the caller’s object untouched', () => {
    const input = structuredClone(minimal.calculate_var);
    validateTaskData('calculate_var', input);
    expect(input).toEqual(minimal.calculate_var);
  });

  it('keeps a fault only when faults are allowed', () => {
    const data = { ...minimal.monte_carlo_pricing, fault: { poison: true } };
    expect(validateTaskData('monte_carlo_pricing', data).ok).toBe(false);
    const allowed = validateTaskData('monte_carlo_pricing', data, { allowFaults: true });
    expect(allowed.ok && allowed.data.fault).toEqual({ poison: true });
  });

  it('bounds the API hold of a fault to a minute', () => {
    const held = (ms: number) =>
      validateTaskData(
        'monte_carlo_pricing',
        { ...minimal.monte_carlo_pricing, fault: { hold_response_ms: ms } },
        {
          allowFaults: true,
        },
      );
    expect(held(60_000).ok).toBe(true);
    expect(held(60_001).ok).toBe(false);
  });

  it.each([
    ['calculate_var', { ...minimal.calculate_var, simulations: MAX_SIMULATIONS + 1 }, 'data.simulations'],
    [
      'calculate_var',
      {
        portfolio_data: {
          positions: [position],
          correlations: [
            [1, 0],
            [0, 1],
          ],
        },
      },
      'data.portfolio_data.correlations',
    ],
    [
      'calculate_var',
      { portfolio_data: { positions: [position], correlations: [[0.5]] } },
      'data.portfolio_data.correlations[0][0]',
    ],
    [
      'stress_test',
      { ...minimal.stress_test, scenarios: [{ name: 'x', market_shock: -2 }] },
      'data.scenarios[0].market_shock',
    ],
    [
      'stress_test',
      { ...minimal.stress_test, scenarios: [{ name: 'x', shocks: { 'BAD KEY': 0.1 } }] },
      'data.scenarios[0].shocks["BAD KEY"]',
    ],
    ['portfolio_optimization', { assets: [minimal.portfolio_optimization.assets[0]] }, 'data.assets'],
    ['monte_carlo_pricing', { ...minimal.monte_carlo_pricing, spot: 0 }, 'data.spot'],
    ['monte_carlo_pricing', 'not an object', 'data'],
  ] as const)('names the field for bad %s data (%#)', (type, data, field) => {
    const result = validateTaskData(type, data);
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.problem.field).toBe(field);
  });
});
