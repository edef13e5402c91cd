/**
 * What the API admits at its edges computes to finite numbers: a portfolio worth the amount
 * limit at volatility 5 over 3650 days, an option on a spot and strike at the limit with the
 * most extreme rate, volatility and maturity the schema allows, a stress test shocking it ten
 * times over. (Above the limit the API refuses the task: workload/tasks/computable.ts.)
 */
import { describe, expect, it } from 'vitest';
import { monteCarloOptionPrice } from '../../workload/risk/option.ts';
import { calculateVar } from '../../workload/risk/portfolio-var.ts';
import { stressTest } from '../../workload/risk/stress.ts';
import { MAX_AMOUNT } from '../../workload/tasks/computable.ts';

function allFinite(value: unknown): boolean {
  if (typeof value === 'number') return Number.isFinite(value);
  if (value !== null && typeof value === 'object') return Object.values(value).every(allFinite);
  return true;
}

describe('extreme inputs within the limits', () => {
  it('a VaR of a portfolio at the amount limit, volatility 5, 3650 days, is finite', () => {
    const result = calculateVar(
      {
        portfolio_data: {
          positions: [
            { symbol: 'A', quantity: MAX_AMOUNT / 20, price: 10, volatility: 5 },
            { symbol: 'B', quantity: 1, price: MAX_AMOUNT / 2, volatility: 5 },
          ],
          correlations: [
            [1, 1],
            [1, 1],
          ],
        },
        confidence_level: 0.999,
        horizon_days: 3650,
        simulations: 20_000,
      },
      1,
    );
    expect(allFinite(result)).toBe(true);
    expect(result.value_at_risk).toBeGreaterThan(0);
  });

  it.each([
    ['call', 1, 0.2],
    ['call', 1, 5],
    ['put', -1, 5],
  ] as const)(
    'an option (%s, rate %d, volatility %d) on a spot and strike at the limit over 100 years is finite',
    (type, rate, volatility) => {
      const result = monteCarloOptionPrice(
        { spot: MAX_AMOUNT, strike: MAX_AMOUNT, rate, volatility, maturity: 100, option_type: type },
        20_000,
        3,
      );
      expect(allFinite(result)).toBe(true);
    },
  );

  it('a stress test shocking a portfolio at the limit by +1000 % is finite', () => {
    const result = stressTest({
      portfolio_data: { positions: [{ symbol: 'A', quantity: MAX_AMOUNT, price: 1, volatility: 0.2 }] },
      scenarios: [{ name: 'melt-up', market_shock: 10 }],
    });
    expect(allFinite(result)).toBe(true);
  });
});
