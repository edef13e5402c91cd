import { describe, expect, it } from 'vitest';
import { TASK_TYPES } from '../../contract/vocabulary.ts';
import { canonicalJson } from '../../workload/common/canonical-json.ts';
import { CONTENTION_POLICY, inputsHash, lockResource, resolveSeed } from '../../workload/locks/resources.ts';

const positions = [
  { symbol: 'AAPL', quantity: 100, price: 150, volatility: 0.2 },
  { symbol: 'MSFT', quantity: 5, price: 300, volatility: 0.25 },
];

describe('lock resources and cache keys', () => {
  it('canonical JSON does not depend on key order', () => {
    expect(canonicalJson({ b: 1, a: { d: [1, { y: 2, x: 1 }], c: null } })).toBe(
      canonicalJson({ a: { c: null, d: [1, { x: 1, y: 2 }] }, b: 1 }),
    );
    expect(canonicalJson({ a: [1, 2] })).not.toBe(canonicalJson({ a: [2, 1] }));
  });

  it('the inputs hash ignores key order and fault injection, and changes with the seed or any parameter', () => {
    const base = { portfolio_data: { positions }, confidence_level: 0.95, horizon_days: 1, simulations: 1000, seed: 7 };
    const reordered = {
      seed: 7,
      simulations: 1000,
      horizon_days: 1,
      confidence_level: 0.95,
      portfolio_data: { positions },
    };
    expect(inputsHash('calculate_var', reordered)).toBe(inputsHash('calculate_var', base));
    expect(inputsHash('calculate_var', { ...base, fault: { sleep_ms: 10 } })).toBe(inputsHash('calculate_var', base));
    expect(inputsHash('calculate_var', { ...base, seed: 8 })).not.toBe(inputsHash('calculate_var', base));
    expect(inputsHash('calculate_var', { ...base, horizon_days: 2 })).not.toBe(inputsHash('calculate_var', base));
    expect(inputsHash('stress_test', base)).not.toBe(inputsHash('calculate_var', base));
  });

  it('derives the same seed for the same unseeded inputs, so identical requests share one result', () => {
    const data = { portfolio_data: { positions }, simulations: 1000 };
    const seed = resolveSeed('calculate_var', data);
    expect(Number.isInteger(seed) && seed >= 0 && seed < 2 ** 32).toBe(true);
    expect(resolveSeed('calculate_var', { simulations: 1000, portfolio_data: { positions } })).toBe(seed);
    expect(resolveSeed('calculate_var', { ...data, simulations: 2000 })).not.toBe(seed);
    expect(inputsHash('calculate_var', data)).toBe(inputsHash('calculate_var', { ...data, seed }));
  });

  it('locks a portfolio by id, or by its positions when it has none; other tasks by their inputs', () => {
    expect(lockResource('calculate_var', { portfolio_data: { portfolio_id: 'book-1', positions } })).toBe(
      'calculate_var:portfolio:book-1',
    );
    const anonymous = lockResource('calculate_var', { portfolio_data: { positions } });
    expect(anonymous).toMatch(/^calculate_var:portfolio:positions-[0-9a-f]{32}$/);
    expect(lockResource('calculate_var', { portfolio_data: { positions }, seed: 99 })).toBe(anonymous);
    const pricing = { spot: 100, strike: 100, volatility: 0.2, maturity: 1, seed: 1 };
    expect(lockResource('monte_carlo_pricing', pricing)).toBe(
      `monte_carlo_pricing:inputs:${inputsHash('monte_carlo_pricing', pricing)}`,
    );
  });

  it('has a contention policy for every task type', () => {
    for (const type of TASK_TYPES) expect(['wait', 'skip']).toContain(CONTENTION_POLICY[type]);
  });
});
