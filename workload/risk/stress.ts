/**
 * Stress test: revalue a portfolio under each scenario's price shocks (a market-wide relative
 * move, overridden per symbol) and report the P&L of each, worst first identified.
 */
import type { StressTestData } from '../tasks/schemas.ts';
import { invalidInput } from './errors.ts';

/** P&L of one scenario. */
export interface ScenarioOutcome {
  name: string;
  /** Change in portfolio value (negative = loss). */
  pnl: number;
  /** pnl / portfolio value. */
  return: number;
  /** Symbol that lost the most in this scenario, if any lost. */
  worst_symbol?: string;
}

/** What a stress test reports. */
export interface StressResult {
  portfolio_value: number;
  scenarios: ScenarioOutcome[];
  /** Name of the scenario with the lowest P&L. */
  worst_scenario: string;
}

/**
 * The shock a scenario applies to `symbol`. Only the scenario's own entries count: a symbol
 * such as `constructor` or `__proto__` must not read Object.prototype's members as shocks.
 */
function shockOf(scenario: StressTestData['scenarios'][number], symbol: string): number {
  const shocks = scenario.shocks;
  return shocks !== undefined && Object.hasOwn(shocks, symbol) ? (shocks[symbol] as number) : scenario.market_shock;
}

/** Apply every scenario to the portfolio. */
export function stressTest(data: StressTestData): StressResult {
  const positions = data.portfolio_data.positions;
  if (data.scenarios.length === 0) throw invalidInput('data.scenarios', 'at least one scenario is needed');
  const values = positions.map((p) => p.quantity * p.price);
  const total = values.reduce((a, b) => a + b, 0);
  const scenarios = data.scenarios.map((scenario): ScenarioOutcome => {
    let pnl = 0;
    let worst: { symbol: string; pnl: number } | undefined;
    positions.forEach((position, i) => {
      const shock = shockOf(scenario, position.symbol);
      if (shock < -1) throw invalidInput(`scenario ${scenario.name}`, `shock ${shock} would make a price negative`);
      const change = (values[i] as number) * shock;
      pnl += change;
      if (change < 0 && (worst === undefined || change < worst.pnl)) worst = { symbol: position.symbol, pnl: change };
    });
    return {
      name: scenario.name,
      pnl,
      return: total === 0 ? 0 : pnl / total,
      ...(worst === undefined ? {} : { worst_symbol: worst.symbol }),
    };
  });
  const worstScenario = scenarios.reduce((a, b) => (b.pnl < a.pnl ? b : a));
  return { portfolio_value: total, scenarios, worst_scenario: worstScenario.name };
}
