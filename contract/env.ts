/**
 * Reading configuration from environment variables with defaults, failing loudly and
 * clearly on a value that cannot be used instead of running with a surprise.
 */
import { DtqError } from './dtq-error.ts';

/** Raised when an environment variable holds a value dtq cannot use. */
export class ConfigError extends DtqError {
  constructor(name: string, value: string, expected: string) {
    super(
      'DTQ_ERR_CONFIG_INVALID',
      `${name}=${JSON.stringify(value)} is not valid: expected ${expected}. Fix or unset it.`,
      {
        context: { name, expected },
      },
    );
    this.name = 'ConfigError';
  }
}

/** A string variable, or the default when unset or empty. */
export function envString(name: string, fallback: string, env: NodeJS.ProcessEnv = process.env): string {
  const value = env[name];
  return value === undefined || value === '' ? fallback : value;
}

/** An optional string variable: undefined when unset or empty. */
export function envOptional(name: string, env: NodeJS.ProcessEnv = process.env): string | undefined {
  const value = env[name];
  return value === undefined || value === '' ? undefined : value;
}

const DECIMAL_INTEGER = /^-?\d+$/;

/** An integer variable within [min, max], or the default when unset or empty. */
export function envInt(
  name: string,
  fallback: number,
  { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {},
  env: NodeJS.ProcessEnv = process.env,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  // Decimal digits only: Number() would also take "0x10", "1e3" and " 5 ", none of which a
  // person setting a port or a count means.
  const value = DECIMAL_INTEGER.test(raw) ? Number(raw) : Number.NaN;
  if (!Number.isSafeInteger(value) || value < min || value > max) {
    throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
  }
  return value;
}

/** A yes/no variable: `1`/`true` or `0`/`false` (any case), or the default when unset or empty. */
export function envFlag(name: string, fallback: boolean, env: NodeJS.ProcessEnv = process.env): boolean {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = raw.toLowerCase();
  if (value === '1' || value === 'true') return true;
  if (value === '0' || value === 'false') return false;
  throw new ConfigError(name, raw, '1 or 0 (or true or false)');
}

/** One of a fixed set of words, or the default when unset or empty. */
export function envChoice<const T extends string>(
  name: string,
  choices: readonly T[],
  fallback: T,
  env: NodeJS.ProcessEnv = process.env,
): T {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new ConfigError(name, raw, `one of ${choices.join(', ')}`);
  return raw as T;
}
