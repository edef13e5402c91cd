/**
 * VaR and ES of a loss sample equal the sorted sample's: the ⌈confidence·n⌉-th smallest loss
 * and the mean from it up, on samples that defeat a bracket from a sample (sorted, reversed,
 * ties, a heavy tail) as well as on typical ones, through both the bracketed and the plain path.
 */
import { describe, expect, it } from 'vitest';
import { Xoshiro128 } from '../../workload/risk/prng.ts';
import { tailStats } from '../../workload/risk/quantile.ts';

function reference(losses: Float64Array, confidence: number) {
  const sorted = Float64Array.from(losses).sort();
  const n = sorted.length;
  const k = Math.min(n - 1, Math.max(0, Math.ceil(confidence * n) - 1));
  let tail = 0;
  for (let i = k; i < n; i++) tail += sorted[i] as number;
  return { valueAtRisk: sorted[k] as number, expectedShortfall: tail / (n - k) };
}

const rng = new Xoshiro128(2024);
const uniform = (n: number) => Float64Array.from({ length: n }, () => rng.nextOpenUnit() * 2 - 1);
const samples: [string, (n: number) => Float64Array][] = [
  ['uniform', uniform],
  ['sorted ascending', (n) => uniform(n).sort()],
  ['sorted descending', (n) => uniform(n).sort().reverse()],
  ['all equal', (n) => new Float64Array(n).fill(3)],
  ['two values', (n) => Float64Array.from({ length: n }, (_, i) => (i % 7 === 0 ? 5 : -1))],
  ['heavy tail', (n) => Float64Array.from({ length: n }, () => 1 / rng.nextOpenUnit() ** 2)],
  ['tail at the end', (n) => Float64Array.from({ length: n }, (_, i) => (i >= n - n / 50 ? 1e6 + i : i % 100))],
  [
    // The bracket comes from every (n/1024)-th loss: make exactly those the largest, so it misses.
    'largest losses where the bracket samples',
    (n) => {
      const losses = uniform(n);
      for (let i = 0; i < 1024 && n >= 1024; i++) losses[Math.floor((i * n) / 1024)] = 1e9 + i;
      return losses;
    },
  ],
];

describe('tailStats', () => {
  for (const [name, make] of samples) {
    it.each([100, 8_191, 8_192, 100_000])(`matches the sorted sample (%i ${name} losses)`, (n) => {
      const losses = make(n);
      for (const confidence of [0.5, 0.95, 0.99, 0.999]) {
        const expected = reference(losses, confidence);
        const got = tailStats(Float64Array.from(losses), confidence);
        expect(got.valueAtRisk).toBe(expected.valueAtRisk);
        expect(Math.abs(got.expectedShortfall - expected.expectedShortfall)).toBeLessThanOrEqual(
          1e-12 * Math.abs(expected.expectedShortfall),
        );
      }
    });
  }
});
