/**
 * The WebAssembly SIMD kernel against the plain-loop one it replaced: the blocked product
 * x = L·z is exactly the naive triple loop's (bit for bit with separate multiply and add,
 * within rounding with fused multiply-adds), exp matches Math.exp to a few units in the last
 * place over the whole double range, and for the same seed every simulated loss equals the
 * plain loop's within rounding, so VaR and ES do too.
 */
import { describe, expect, it } from 'vitest';
import { constantCorrelation, type SquareMatrix } from '../../workload/risk/cholesky.ts';
import { Xoshiro128 } from '../../workload/risk/prng.ts';
import { tailStats } from '../../workload/risk/quantile.ts';
import { blockCount, CHUNK, type PreparedVar, prepareVar, type ReturnModel } from '../../workload/risk/var-prepared.ts';
import { simulateBlocksScalar } from '../../workload/risk/var-scalar.ts';
import { type KernelOptions, SimdVarKernel, simdSupport, simulateBlocksSimd } from '../../workload/risk/var-simd.ts';

const MUL_ADD: KernelOptions = { fused: false };
const FUSED: KernelOptions = { fused: true };

/** A random valid correlation matrix: the normalised Gram matrix of random vectors. */
function randomCorrelation(n: number, rng: Xoshiro128): SquareMatrix {
  const v = Array.from({ length: n }, () => Array.from({ length: n }, () => rng.nextOpenUnit() - 0.5));
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++) {
    for (let j = 0; j < n; j++) {
      let dot = 0;
      for (let k = 0; k < n; k++) dot += (v[i]?.[k] as number) * (v[j]?.[k] as number);
      data[i * n + j] = dot;
    }
  }
  const d = Array.from({ length: n }, (_, i) => Math.sqrt(data[i * n + i] as number));
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) data[i * n + j] = (data[i * n + j] as number) / (d[i] as number) / (d[j] as number);
  for (let i = 0; i < n; i++) data[i * n + i] = 1;
  return { n, data };
}

/** Sectors of 3 positions correlated 0.5 inside, 0 across: L is block diagonal. */
function sectorCorrelation(n: number): SquareMatrix {
  const data = new Float64Array(n * n);
  for (let i = 0; i < n; i++)
    for (let j = 0; j < n; j++) data[i * n + j] = i === j ? 1 : Math.floor(i / 3) === Math.floor(j / 3) ? 0.5 : 0;
  return { n, data };
}

const CORRELATIONS = {
  random: (n: number) => randomCorrelation(n, new Xoshiro128(n)),
  identity: (n: number) => constantCorrelation(n, 0),
  sectors: sectorCorrelation,
};

function portfolio(n: number, model: ReturnModel, seed: number, correlation = randomCorrelation(n, new Xoshiro128(n))) {
  return prepareVar({
    exposures: Float64Array.from({ length: n }, (_, i) => (i % 3 === 2 ? -5_000 : 10_000 + 1_000 * i)),
    volatilities: Float64Array.from({ length: n }, (_, i) => 0.1 + 0.05 * (i % 7)),
    correlation,
    horizonDays: 10,
    model,
    seed,
  });
}

function losses(simulate: typeof simulateBlocksScalar, prepared: PreparedVar, simulations: number): Float64Array {
  const out = new Float64Array(simulations);
  simulate(prepared, simulations, 0, blockCount(simulations), out);
  return out;
}

describe('WebAssembly SIMD VaR kernel', () => {
  it('runs with fused multiply-adds on this runtime (relaxed SIMD)', () => {
    expect(simdSupport()).toEqual(FUSED);
  });

  it.each([
    [1, 'random'],
    [2, 'random'],
    [3, 'random'],
    [5, 'random'],
    [8, 'random'],
    [13, 'random'],
    [9, 'identity'],
    [13, 'sectors'],
  ] as const)('computes x = L·z for %i positions (%s correlations) exactly as the naive loop', (n, kind) => {
    const prepared = portfolio(n, 'lognormal', 1, CORRELATIONS[kind](n));
    const rng = new Xoshiro128(42, n);
    for (const count of [1, 8, 13, CHUNK]) {
      for (const options of [MUL_ADD, FUSED]) {
        const kernel = new SimdVarKernel(prepared, options);
        const z = Array.from({ length: n }, (_, j) => {
          const row = kernel.normals(j);
          for (let c = 0; c < CHUNK; c++) row[c] = rng.nextOpenUnit() * 8 - 4;
          return Float64Array.from(row);
        });
        const x = kernel.correlated(count);
        for (let i = 0; i < n; i++) {
          for (let c = 0; c < count; c++) {
            let naive = 0;
            for (let j = 0; j <= i; j++) naive += (prepared.lower[i * n + j] as number) * (z[j]?.[c] as number);
            const got = x[i]?.[c] as number;
            if (options.fused) expect(Math.abs(got - naive)).toBeLessThanOrEqual(1e-14 * (i + 1) * 4);
            else expect(got).toBe(naive);
          }
        }
      }
    }
  });

  it('revalues with e^y − 1 within 4 units in the last place of max(e^y, 1) of Math.exp’s, +∞ above and 0 below the double range', () => {
    // One position with L = 1, exposure −1 and volatility 1: the loss is e^(z − 1/2) − 1.
    const prepared: PreparedVar = {
      n: 1,
      lower: new Float64Array([1]),
      exposures: new Float64Array([-1]),
      scaledVols: new Float64Array([1]),
      model: 'lognormal',
      seed: 1,
    };
    const kernel = new SimdVarKernel(prepared, FUSED);
    const rng = new Xoshiro128(3);
    const special = [0, -0, 1, -1, 1e-300, -1e-20, 0.5 * Math.LN2, 700, 709.78, -708, -744, -745.2].map((y) => y + 0.5);
    const checked: number[] = [];
    for (let round = 0; round < 64; round++) {
      const z = kernel.normals(0);
      for (let c = 0; c < CHUNK; c++) {
        const scale = [1, 10, 100, 740][c % 4] as number;
        z[c] = round === 0 && c < special.length ? (special[c] as number) : (rng.nextOpenUnit() * 2 - 1) * scale;
      }
      const input = Float64Array.from(z);
      const loss = kernel.losses(CHUNK);
      for (let c = 0; c < CHUNK; c++) {
        const exact = Math.exp((input[c] as number) - 0.5);
        const got = (loss[c] as number) + 1;
        // e^y − 1 + 1 loses the low bits of small results: compare in units of max(e^y, 1).
        if (exact === Number.POSITIVE_INFINITY) expect(got).toBe(exact);
        else expect(Math.abs(got - exact)).toBeLessThanOrEqual(4 * Number.EPSILON * Math.max(exact, 1));
        checked.push(input[c] as number);
      }
    }
    expect(Math.min(...checked)).toBeLessThan(-700);
    expect(Math.max(...checked)).toBeGreaterThan(700);

    const z = kernel.normals(0);
    z.set([711, 1e300, 1.7e308, -746, -1e300, -1.7e308, Number.NaN, 0.5]);
    expect(Array.from(kernel.losses(8))).toEqual([
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      Number.POSITIVE_INFINITY,
      -1,
      -1,
      -1,
      Number.NaN,
      0,
    ]);
  });

  it.each([
    [1, 'lognormal', 'random'],
    [3, 'lognormal', 'random'],
    [10, 'lognormal', 'random'],
    [37, 'lognormal', 'random'],
    [10, 'normal', 'random'],
    [37, 'normal', 'random'],
    [20, 'lognormal', 'identity'],
    [20, 'lognormal', 'sectors'],
  ] as const)(
    'gives the plain loop’s losses for the same seed (%i positions, %s returns, %s correlations)',
    (n, model, kind) => {
      // Three blocks and a last chunk of 3 simulations (not a multiple of the 8-wide panel).
      const simulations = 2 * 16_384 + 5 * CHUNK + 3;
      const prepared = portfolio(n, model, 17, CORRELATIONS[kind](n));
      const reference = losses(simulateBlocksScalar, prepared, simulations);
      const scale = Math.max(...reference.map(Math.abs));
      for (const options of [MUL_ADD, FUSED]) {
        const simd = losses((...args) => simulateBlocksSimd(...args, options), prepared, simulations);
        let worst = 0;
        for (let i = 0; i < simulations; i++)
          worst = Math.max(worst, Math.abs((simd[i] as number) - (reference[i] as number)));
        expect(worst).toBeLessThan(1e-12 * scale * n);
        const a = tailStats(simd, 0.99);
        const b = tailStats(Float64Array.from(reference), 0.99);
        expect(Math.abs(a.valueAtRisk - b.valueAtRisk)).toBeLessThan(1e-9 * b.valueAtRisk);
        expect(Math.abs(a.expectedShortfall - b.expectedShortfall)).toBeLessThan(1e-9 * b.expectedShortfall);
      }
    },
  );

  it('handles a portfolio whose packed factor spans many memory pages (301 positions)', () => {
    const prepared = portfolio(301, 'lognormal', 4);
    const simulations = 2 * CHUNK + 5;
    const reference = losses(simulateBlocksScalar, prepared, simulations);
    const simd = losses(simulateBlocksSimd, prepared, simulations);
    const scale = Math.max(...reference.map(Math.abs));
    for (let i = 0; i < simulations; i++) {
      expect(Math.abs((simd[i] as number) - (reference[i] as number))).toBeLessThan(1e-12 * scale * 301);
    }
  });

  it('splits blocks across calls exactly as one call does', () => {
    const prepared = portfolio(5, 'lognormal', 9, constantCorrelation(5, 0.3));
    const simulations = 3 * 16_384;
    const whole = losses(simulateBlocksSimd, prepared, simulations);
    const parts = new Float64Array(simulations);
    simulateBlocksSimd(prepared, simulations, 0, 1, parts.subarray(0, 16_384));
    simulateBlocksSimd(prepared, simulations, 1, 3, parts.subarray(16_384));
    expect(parts).toEqual(whole);
  });
});
