import { describe, expect, it } from 'vitest';
import { ConfigError } from '../../contract/env.ts';
import { DEFAULT_IDEMPOTENCY_CONFIG, idempotencyConfigFromEnv } from '../../workload/idempotency/config.ts';

describe('idempotencyConfigFromEnv', () => {
  it('defaults to 24 h retention, a 10 s lease and faults off', () => {
    expect(idempotencyConfigFromEnv({})).toEqual(DEFAULT_IDEMPOTENCY_CONFIG);
    expect(DEFAULT_IDEMPOTENCY_CONFIG).toMatchObject({ ttlSeconds: 86_400, inFlightMs: 10_000, faultsEnabled: false });
  });

  it('reads DTQ_IDEMPOTENCY_TTL_S, DTQ_IDEMPOTENCY_INFLIGHT_MS, DTQ_IDEMPOTENCY_RETRY_AFTER_MAX_S and DTQ_FAULTS', () => {
    expect(
      idempotencyConfigFromEnv({
        DTQ_IDEMPOTENCY_TTL_S: '60',
        DTQ_IDEMPOTENCY_INFLIGHT_MS: '1500',
        DTQ_IDEMPOTENCY_RETRY_AFTER_MAX_S: '3',
        DTQ_FAULTS: '1',
      }),
    ).toEqual({ ttlSeconds: 60, inFlightMs: 1500, retryAfterMaxSeconds: 3, faultsEnabled: true });
  });

  it.each([
    ['DTQ_IDEMPOTENCY_TTL_S', '0'],
    ['DTQ_IDEMPOTENCY_TTL_S', '1.5'],
    ['DTQ_IDEMPOTENCY_INFLIGHT_MS', '10'],
    ['DTQ_IDEMPOTENCY_INFLIGHT_MS', 'soon'],
  ])('refuses %s=%s with a ConfigError naming the variable', (name, value) => {
    expect(() => idempotencyConfigFromEnv({ [name]: value })).toThrow(ConfigError);
    expect(() => idempotencyConfigFromEnv({ [name]: value })).toThrow(name);
  });
});
