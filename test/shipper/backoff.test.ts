import { describe, expect, it } from 'vitest';
import { backoffDelay, retryAfterMs, retryDelay } from '../../shipper/backoff.ts';

describe('backoff with full jitter', () => {
  it('draws from the whole range [0, min(cap, base·2^(n-1))]: zero at the bottom, the ceiling at the top', () => {
    expect(backoffDelay(1, 200, 10_000, () => 0)).toBe(0);
    expect(backoffDelay(1, 200, 10_000, () => 1)).toBe(200);
    expect(backoffDelay(4, 200, 10_000, () => 0)).toBe(0);
    expect(backoffDelay(4, 200, 10_000, () => 1)).toBe(1_600);
    expect(backoffDelay(4, 200, 10_000, () => 0.5)).toBe(800);
    expect(backoffDelay(30, 200, 10_000, () => 1)).toBe(10_000);
    expect(backoffDelay(30, 200, 10_000, () => 0)).toBe(0);
  });

  it('stays within its bounds for every draw, and spreads over the range rather than its upper half', () => {
    const draws = Array.from({ length: 1_001 }, (_, i) => i / 1_000);
    for (const attempt of [1, 2, 3, 6, 10, 1_000]) {
      const ceiling = Math.min(10_000, 250 * 2 ** (attempt - 1));
      const delays = draws.map((r) => backoffDelay(attempt, 250, 10_000, () => r));
      expect(Math.min(...delays)).toBe(0);
      expect(Math.max(...delays)).toBe(ceiling);
      // Uniform draws land below half the ceiling about half the time; a draw from [base/2, cap] would not.
      expect(delays.filter((ms) => ms < ceiling / 2).length).toBeGreaterThan(450);
    }
  });
});

describe('Retry-After', () => {
  const now = Date.parse('2026-03-01T10:00:00.000Z');

  it('reads delay-seconds', () => {
    expect(retryAfterMs('3', 60_000, now)).toBe(3_000);
    expect(retryAfterMs(' 0 ', 60_000, now)).toBe(0);
  });

  it('reads an HTTP date in each of its three forms, and a date in the past as now', () => {
    expect(retryAfterMs('Sun, 01 Mar 2026 10:00:05 GMT', 60_000, now)).toBe(5_000);
    expect(retryAfterMs('Sunday, 01-Mar-26 10:00:05 GMT', 60_000, now)).toBe(5_000);
    expect(retryAfterMs('Sun Mar  1 10:00:05 2026', 60_000, now - new Date(now).getTimezoneOffset() * 60_000)).toBe(
      5_000,
    );
    expect(retryAfterMs('Sun, 01 Mar 2026 09:00:00 GMT', 60_000, now)).toBe(0);
  });

  it('caps what the server asks for at the maximum', () => {
    expect(retryAfterMs('3600', 10_000, now)).toBe(10_000);
    expect(retryAfterMs('Mon, 02 Mar 2026 10:00:00 GMT', 10_000, now)).toBe(10_000);
  });

  it('ignores what is not a Retry-After value', () => {
    for (const value of [undefined, '', '1.5', '-1', 'soon', '5 seconds']) {
      expect(retryAfterMs(value, 10_000, now)).toBeUndefined();
    }
  });

  it('waits at least what the server asked for, at most the maximum, else the jittered backoff', () => {
    expect(retryDelay(1, 250, 10_000, 2_000, () => 0)).toBe(2_000);
    expect(retryDelay(6, 250, 10_000, 2_000, () => 1)).toBe(8_000);
    expect(retryDelay(1, 250, 10_000, 60_000, () => 0)).toBe(10_000);
    expect(retryDelay(1, 250, 10_000, undefined, () => 0.5)).toBe(125);
  });
});
