/**
 * The data each task type takes: JSON schemas (validated by the API, re-checked by the worker),
 * the TypeScript shapes of that data once defaults are applied, and the defaults and limits.
 *
 * The API validates `data` of POST /api/v1/tasks against TASK_DATA_SCHEMAS[task_type] with
 * defaults filled in, so the job a worker receives is always complete. Units: volatilities and
 * rates are annual fractions (0.2 = 20 %), horizons in trading days (252 a year), option
 * maturity in years, shocks are relative price changes (-0.3 = a 30 % drop).
 */
import type { TaskType } from '../../contract/vocabulary.ts';

/** Most Monte Carlo paths a task may ask for: bounds a job's CPU time and memory. */
export const MAX_SIMULATIONS = 1_000_000;
/** Fewest Monte Carlo paths a task may ask for: fewer gives meaningless tail estimates. */
export const MIN_SIMULATIONS = 100;
/** Most positions (or assets) in one portfolio: the Cholesky factor is O(n³). */
export const MAX_POSITIONS = 500;
/** Most scenarios in one stress test. */
export const MAX_SCENARIOS = 100;
/** Trading days in a year, for scaling annual volatilities to a horizon. */
export const TRADING_DAYS_PER_YEAR = 252;

/** Defaults applied by validation to fields a request leaves out. */
export const TASK_DEFAULTS = {
  /** Annual volatility of a position that states none (a broad-equity figure). */
  volatility: 0.2,
  confidence_level: 0.95,
  horizon_days: 1,
  var_simulations: 10_000,
  pricing_simulations: 100_000,
  rate: 0,
  option_type: 'call',
  market_shock: 0,
  optimization_method: 'min_variance',
  risk_free_rate: 0,
  long_only: true,
} as const;

/** One holding of a portfolio, defaults applied. */
export interface Position {
  symbol: string;
  /** Units held; positive (short positions are not modelled). */
  quantity: number;
  /** Current unit price; positive. */
  price: number;
  /** Annual volatility of the price, defaulting to TASK_DEFAULTS.volatility. */
  volatility: number;
}

/** A portfolio: positions and, optionally, their correlation matrix (identity when absent). */
export interface PortfolioData {
  portfolio_id?: string;
  positions: Position[];
  /** n×n, symmetric, ones on the diagonal, in the order of `positions`. */
  correlations?: number[][];
}

/** Data of a `calculate_var` task: Monte Carlo Value-at-Risk of a portfolio. */
export interface CalculateVarData {
  portfolio_data: PortfolioData;
  /** Confidence of the VaR quantile, in (0.5, 1). */
  confidence_level: number;
  /** Horizon in trading days. */
  horizon_days: number;
  simulations: number;
  /** PRNG seed; the same seed and inputs give the same result. */
  seed?: number;
}

/** Data of a `monte_carlo_pricing` task: a European option priced by simulation. */
export interface MonteCarloPricingData {
  spot: number;
  strike: number;
  /** Continuously compounded risk-free rate. */
  rate: number;
  volatility: number;
  /** Time to expiry in years. */
  maturity: number;
  option_type: 'call' | 'put';
  simulations: number;
  seed?: number;
}

/** One stress scenario: a move applied to every position, overridden per symbol. */
export interface StressScenario {
  name: string;
  /** Relative price change applied to symbols without their own shock. */
  market_shock: number;
  /** Relative price change by symbol. */
  shocks?: Record<string, number>;
}

/** Data of a `stress_test` task: revalue a portfolio under each scenario. */
export interface StressTestData {
  portfolio_data: PortfolioData;
  scenarios: StressScenario[];
}

/** One asset of an optimization universe. */
export interface OptimizationAsset {
  symbol: string;
  /** Expected annual return. */
  expected_return: number;
  /** Annual volatility. */
  volatility: number;
}

/** Data of a `portfolio_optimization` task: Markowitz weights (minimum variance or maximum Sharpe). */
export interface PortfolioOptimizationData {
  assets: OptimizationAsset[];
  /** n×n correlation matrix in the order of `assets` (identity when absent). */
  correlations?: number[][];
  method: 'min_variance' | 'max_sharpe';
  risk_free_rate: number;
  /** No negative weights when true. */
  long_only: boolean;
}

/** Data of each task type, defaults applied. */
export interface TaskDataByType {
  calculate_var: CalculateVarData;
  monte_carlo_pricing: MonteCarloPricingData;
  stress_test: StressTestData;
  portfolio_optimization: PortfolioOptimizationData;
}

/** A JSON schema as plain data (Ajv draft-07 dialect). */
export type JsonSchema = Readonly<Record<string, unknown>>;

const symbol = { type: 'string', minLength: 1, maxLength: 32, pattern: '^[A-Za-z0-9._:/-]+$' } as const;
const positiveNumber = { type: 'number', exclusiveMinimum: 0 } as const;
const volatility = { type: 'number', exclusiveMinimum: 0, maximum: 5 } as const;
const seed = { type: 'integer', minimum: 0, maximum: 4_294_967_295 } as const;
const correlations = {
  type: 'array',
  maxItems: MAX_POSITIONS,
  items: { type: 'array', maxItems: MAX_POSITIONS, items: { type: 'number', minimum: -1, maximum: 1 } },
} as const;

function simulations(fallback: number): JsonSchema {
  return { type: 'integer', minimum: MIN_SIMULATIONS, maximum: MAX_SIMULATIONS, default: fallback };
}

const portfolioData: JsonSchema = {
  type: 'object',
  required: ['positions'],
  additionalProperties: false,
  properties: {
    portfolio_id: { type: 'string', minLength: 1, maxLength: 128, pattern: '^[A-Za-z0-9._:-]+$' },
    positions: {
      type: 'array',
      minItems: 1,
      maxItems: MAX_POSITIONS,
      items: {
        type: 'object',
        required: ['symbol', 'quantity', 'price'],
        additionalProperties: false,
        properties: {
          symbol,
          quantity: positiveNumber,
          price: positiveNumber,
          volatility: { ...volatility, default: TASK_DEFAULTS.volatility },
        },
      },
    },
    correlations,
  },
};

/** JSON schema of `data` for each task type (without `fault`, which the validator handles). */
export const TASK_DATA_SCHEMAS: Readonly<Record<TaskType, JsonSchema>> = {
  calculate_var: {
    type: 'object',
    required: ['portfolio_data'],
    additionalProperties: false,
    properties: {
      portfolio_data: portfolioData,
      confidence_level: {
        type: 'number',
        exclusiveMinimum: 0.5,
        exclusiveMaximum: 1,
        default: TASK_DEFAULTS.confidence_level,
      },
      horizon_days: { type: 'integer', minimum: 1, maximum: 3650, default: TASK_DEFAULTS.horizon_days },
      simulations: simulations(TASK_DEFAULTS.var_simulations),
      seed,
    },
  },
  monte_carlo_pricing: {
    type: 'object',
    required: ['spot', 'strike', 'volatility', 'maturity'],
    additionalProperties: false,
    properties: {
      spot: positiveNumber,
      strike: positiveNumber,
      rate: { type: 'number', minimum: -1, maximum: 1, default: TASK_DEFAULTS.rate },
      volatility,
      maturity: { type: 'number', exclusiveMinimum: 0, maximum: 100 },
      option_type: { type: 'string', enum: ['call', 'put'], default: TASK_DEFAULTS.option_type },
      simulations: simulations(TASK_DEFAULTS.pricing_simulations),
      seed,
    },
  },
  stress_test: {
    type: 'object',
    required: ['portfolio_data', 'scenarios'],
    additionalProperties: false,
    properties: {
      portfolio_data: portfolioData,
      scenarios: {
        type: 'array',
        minItems: 1,
        maxItems: MAX_SCENARIOS,
        items: {
          type: 'object',
          required: ['name'],
          additionalProperties: false,
          properties: {
            name: { type: 'string', minLength: 1, maxLength: 128 },
            market_shock: { type: 'number', minimum: -1, maximum: 10, default: TASK_DEFAULTS.market_shock },
            shocks: {
              type: 'object',
              maxProperties: MAX_POSITIONS,
              propertyNames: symbol,
              additionalProperties: { type: 'number', minimum: -1, maximum: 10 },
            },
          },
        },
      },
    },
  },
  portfolio_optimization: {
    type: 'object',
    required: ['assets'],
    additionalProperties: false,
    properties: {
      assets: {
        type: 'array',
        minItems: 2,
        maxItems: MAX_POSITIONS,
        items: {
          type: 'object',
          required: ['symbol', 'expected_return', 'volatility'],
          additionalProperties: false,
          properties: {
            symbol,
            expected_return: { type: 'number', minimum: -1, maximum: 10 },
            volatility,
          },
        },
      },
      correlations,
      method: { type: 'string', enum: ['min_variance', 'max_sharpe'], default: TASK_DEFAULTS.optimization_method },
      risk_free_rate: { type: 'number', minimum: -1, maximum: 1, default: TASK_DEFAULTS.risk_free_rate },
      long_only: { type: 'boolean', default: TASK_DEFAULTS.long_only },
    },
  },
};

/** JSON schema of `data.fault` (accepted only when the API runs with DTQ_FAULTS=1). */
export const FAULT_SCHEMA: JsonSchema = {
  type: 'object',
  additionalProperties: false,
  properties: {
    fail_attempts: { type: 'integer', minimum: 0, maximum: 20 },
    poison: { type: 'boolean' },
    sleep_ms: { type: 'integer', minimum: 0, maximum: 600_000 },
    sleep_until_key: { type: 'string', minLength: 1, maxLength: 256 },
    hold_response_ms: { type: 'integer', minimum: 0, maximum: 60_000 },
  },
};
