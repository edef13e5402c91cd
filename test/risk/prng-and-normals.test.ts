import { describe, expect, it } from 'vitest';
import { fillStandardNormals, normalCdf, normalQuantile } from '../../workload/risk/normal.ts';
import { Xoshiro128 } from '../../workload/risk/prng.ts';

describe('xoshiro128** generator', () => {
  it('gives the same sequence for the same seed and different ones for other seeds or streams', () => {
    const draw = (seed: number, stream = 0) => {
      const rng = new Xoshiro128(seed, stream);
      return Array.from({ length: 8 }, () => rng.nextUint32());
    };
    expect(draw(42)).toEqual(draw(42));
    expect(draw(42)).not.toEqual(draw(43));
    expect(draw(42)).not.toEqual(draw(42, 1));
    // Seeds that differ only above bit 32 must still give different streams.
    expect(draw(2 ** 40)).not.toEqual(draw(0));
  });

  it('produces uniforms in (0, 1) with the right mean and variance', () => {
    const rng = new Xoshiro128(7);
    let sum = 0;
    let squares = 0;
    let outside = 0;
    const n = 200_000;
    for (let i = 0; i < n; i++) {
      const u = rng.nextOpenUnit();
      if (!(u > 0 && u < 1)) outside++;
      sum += u;
      squares += u * u;
    }
    expect(outside).toBe(0);
    expect(sum / n).toBeCloseTo(0.5, 2);
    expect(squares / n - (sum / n) ** 2).toBeCloseTo(1 / 12, 3);
  });

  it('refuses seeds that are not non-negative safe integers', () => {
    expect(() => new Xoshiro128(-1)).toThrow(/seed/);
    expect(() => new Xoshiro128(1.5)).toThrow(/seed/);
  });
});

describe('ziggurat normals', () => {
  it('have mean 0, variance 1 and normal tail probabilities', () => {
    const z = new Float64Array(1_000_000);
    fillStandardNormals(new Xoshiro128(123), z);
    let sum = 0;
    let squares = 0;
    let beyond196 = 0;
    let beyond3 = 0;
    let fourth = 0;
    for (const x of z) {
      sum += x;
      squares += x * x;
      fourth += x ** 4;
      if (Math.abs(x) > 1.959964) beyond196++;
      if (x > 3) beyond3++;
    }
    const n = z.length;
    expect(Math.abs(sum / n)).toBeLessThan(0.005);
    expect(Math.abs(squares / n - 1)).toBeLessThan(0.005);
    expect(Math.abs(fourth / n - 3)).toBeLessThan(0.05);
    expect(Math.abs(beyond196 / n - 0.05)).toBeLessThan(0.002);
    expect(Math.abs(beyond3 / n - (1 - normalCdf(3)))).toBeLessThan(0.0003);
  });

  it('are reproducible from the seed, whatever the batch sizes', () => {
    const whole = new Float64Array(1000);
    fillStandardNormals(new Xoshiro128(5), whole);
    const pieces = new Float64Array(1000);
    const rng = new Xoshiro128(5);
    fillStandardNormals(rng, pieces, 0, 333);
    fillStandardNormals(rng, pieces, 333, 1000);
    expect(pieces).toEqual(whole);
  });
});

describe('normal CDF and quantile', () => {
  it('invert each other and match tabulated values', () => {
    expect(normalQuantile(0.95)).toBeCloseTo(1.6448536, 6);
    expect(normalQuantile(0.99)).toBeCloseTo(2.3263479, 6);
    expect(normalQuantile(0.5)).toBeCloseTo(0, 9);
    expect(normalCdf(1.959964)).toBeCloseTo(0.975, 6);
    for (const p of [0.001, 0.02, 0.3, 0.7, 0.975, 0.9999]) expect(normalCdf(normalQuantile(p))).toBeCloseTo(p, 6);
    expect(() => normalQuantile(1)).toThrow(/probability/);
  });
});
