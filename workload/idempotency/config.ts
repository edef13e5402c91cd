/** Settings of the Idempotency-Key layer, from environment variables with defaults. */
import { envInt } from '../../contract/env.ts';

/** Retention, lease and hint settings. */
export interface IdempotencyConfig {
  /** How long a record (and its stored response) is kept, in seconds. */
  readonly ttlSeconds: number;
  /** How long an in-flight claim is honoured before another request may take it over, in ms. */
  readonly inFlightMs: number;
  /** Upper bound of the Retry-After hint on 409, in seconds. */
  readonly retryAfterMaxSeconds: number;
  /** Test-only pause between running the request and storing its response (needs DTQ_FAULTS=1). */
  readonly faultsEnabled: boolean;
}

/** Defaults: Stripe's 24 h retention; a 10 s lease, far above a normal POST's few ms. */
export const DEFAULT_IDEMPOTENCY_CONFIG: IdempotencyConfig = {
  ttlSeconds: 24 * 60 * 60,
  inFlightMs: 10_000,
  retryAfterMaxSeconds: 1,
  faultsEnabled: false,
};

/** DTQ_IDEMPOTENCY_TTL_S, DTQ_IDEMPOTENCY_INFLIGHT_MS, DTQ_IDEMPOTENCY_RETRY_AFTER_MAX_S, DTQ_FAULTS. */
export function idempotencyConfigFromEnv(env: NodeJS.ProcessEnv = process.env): IdempotencyConfig {
  const d = DEFAULT_IDEMPOTENCY_CONFIG;
  return {
    ttlSeconds: envInt('DTQ_IDEMPOTENCY_TTL_S', d.ttlSeconds, { min: 1, max: 30 * 24 * 60 * 60 }, env),
    inFlightMs: envInt('DTQ_IDEMPOTENCY_INFLIGHT_MS', d.inFlightMs, { min: 100, max: 60 * 60 * 1000 }, env),
    retryAfterMaxSeconds: envInt(
      'DTQ_IDEMPOTENCY_RETRY_AFTER_MAX_S',
      d.retryAfterMaxSeconds,
      { min: 1, max: 3600 },
      env,
    ),
    faultsEnabled: env.DTQ_FAULTS === '1',
  };
}
