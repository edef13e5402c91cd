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

/** An integer variable within [min, max], or the default when unset. */
export function envInt(
  name: string,
  fallback: number,
  { min = Number.MIN_SAFE_INTEGER, max = Number.MAX_SAFE_INTEGER } = {},
  env: NodeJS.ProcessEnv = process.env,
): number {
  const raw = env[name];
  if (raw === undefined || raw === '') return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < min || value > max) {
    throw new ConfigError(name, raw, `an integer from ${min} to ${max}`);
  }
  return value;
}
