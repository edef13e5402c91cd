/**
 * Standard normal draws in bulk into typed arrays.
 *
 * Ziggurat method (Marsaglia & Tsang 2000, 128 layers): about 98.8% of draws cost one 32-bit
 * random integer, a table compare and a multiply, with no log, sqrt or trig; the rest take the
 * exact wedge or tail path. Measured here it is ~1.5× faster than Marsaglia's polar method
 * (one log + one sqrt per pair, 21% rejections), which is what brings 100k × 10 correlated
 * positions under the 40 ms goal. The 1990s complaints about the original code were about
 * its SHR3 generator; here every integer comes from xoshiro128**. The low 7 bits choose the
 * layer and also sit in the value's lowest bits, a dependence at the 2^-25 relative level,
 * far below Monte Carlo noise. The generator step is inlined with its state in locals
 * because this loop is the kernel's hot path.
 */
import type { Xoshiro128 } from './prng.ts';

const LAYERS = 128;
const M1 = 2 ** 31;
/** Right edge of the base layer and the common area of every layer (Marsaglia & Tsang). */
const R = 3.442619855899;
const AREA = 9.91256303526217e-3;

// kn: integer acceptance thresholds; wn: integer → x scale; fn: density at the layer edges.
const KN = new Int32Array(LAYERS);
const WN = new Float64Array(LAYERS);
const FN = new Float64Array(LAYERS);
{
  let dn = R;
  let tn = dn;
  const q = AREA / Math.exp(-0.5 * dn * dn);
  KN[0] = (dn / q) * M1;
  KN[1] = 0;
  WN[0] = q / M1;
  WN[LAYERS - 1] = dn / M1;
  FN[0] = 1;
  FN[LAYERS - 1] = Math.exp(-0.5 * dn * dn);
  for (let i = LAYERS - 2; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(AREA / dn + Math.exp(-0.5 * dn * dn)));
    KN[i + 1] = (dn / tn) * M1;
    tn = dn;
    FN[i] = Math.exp(-0.5 * dn * dn);
    WN[i] = dn / M1;
  }
}

/** Fill `out[from..to)` with independent standard normal draws from `rng`. */
export function fillStandardNormals(rng: Xoshiro128, out: Float64Array, from = 0, to = out.length): void {
  const st = rng.state;
  let s0 = (st[0] as number) | 0;
  let s1 = (st[1] as number) | 0;
  let s2 = (st[2] as number) | 0;
  let s3 = (st[3] as number) | 0;
  for (let i = from; i < to; i++) {
    const m = Math.imul(s1, 5);
    const hz = Math.imul((m << 7) | (m >>> 25), 9) | 0;
    const t = s1 << 9;
    s2 ^= s0;
    s3 ^= s1;
    s1 ^= s2;
    s0 ^= s3;
    s2 ^= t;
    s3 = (s3 << 11) | (s3 >>> 21);
    const iz = hz & (LAYERS - 1);
    if (Math.abs(hz) < (KN[iz] as number)) {
      out[i] = hz * (WN[iz] as number);
    } else {
      // Rare path: hand the state back to the generator object, take the exact slow path.
      st[0] = s0;
      st[1] = s1;
      st[2] = s2;
      st[3] = s3;
      out[i] = slowPath(rng, hz, iz);
      s0 = (st[0] as number) | 0;
      s1 = (st[1] as number) | 0;
      s2 = (st[2] as number) | 0;
      s3 = (st[3] as number) | 0;
    }
  }
  st[0] = s0;
  st[1] = s1;
  st[2] = s2;
  st[3] = s3;
}

/** The wedge and tail cases of the ziggurat (Marsaglia & Tsang's `nfix`). */
function slowPath(rng: Xoshiro128, firstHz: number, firstIz: number): number {
  let hz = firstHz;
  let iz = firstIz;
  for (;;) {
    const x = hz * (WN[iz] as number);
    if (iz === 0) {
      // Base layer: sample the tail beyond R exactly (Marsaglia 1964).
      let tx: number;
      let ty: number;
      do {
        tx = -Math.log(rng.nextOpenUnit()) / R;
        ty = -Math.log(rng.nextOpenUnit());
      } while (ty + ty < tx * tx);
      return hz > 0 ? R + tx : -R - tx;
    }
    const f0 = FN[iz] as number;
    if (f0 + rng.nextOpenUnit() * ((FN[iz - 1] as number) - f0) < Math.exp(-0.5 * x * x)) return x;
    hz = rng.nextUint32() | 0;
    iz = hz & (LAYERS - 1);
    if (Math.abs(hz) < (KN[iz] as number)) return hz * (WN[iz] as number);
  }
}

/** Standard normal cumulative distribution function Φ(x) (via Numerical Recipes' erfc, relative error < 1.2e-7). */
export function normalCdf(x: number): number {
  return 0.5 * erfc(-x / Math.SQRT2);
}

function erfc(x: number): number {
  // Chebyshev fit (Numerical Recipes' erfcc): fractional error below 1.2e-7 everywhere.
  const z = Math.abs(x);
  const t = 1 / (1 + 0.5 * z);
  const r =
    t *
    Math.exp(
      -z * z -
        1.26551223 +
        t *
          (1.00002368 +
            t *
              (0.37409196 +
                t *
                  (0.09678418 +
                    t *
                      (-0.18628806 +
                        t *
                          (0.27886807 + t * (-1.13520398 + t * (1.48851587 + t * (-0.82215223 + t * 0.17087277)))))))),
    );
  return x >= 0 ? r : 2 - r;
}

/** Inverse standard normal CDF Φ⁻¹(p) for p in (0, 1) (Acklam's rational approximation, relative error < 1.2e-9). */
export function normalQuantile(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`probability must be in (0, 1), got ${p}`);
  const a = [
    -39.69683028665376, 220.9460984245205, -275.9285104469687, 138.357751867269, -30.66479806614716, 2.506628277459239,
  ];
  const b = [-54.47609879822406, 161.5858368580409, -155.6989798598866, 66.80131188771972, -13.28068155288572];
  const c = [
    -0.007784894002430293, -0.3223964580411365, -2.400758277161838, -2.549732539343734, 4.374664141464968,
    2.938163982698783,
  ];
  const d = [0.007784695709041462, 0.3224671290700398, 2.445134137142996, 3.754408661907416];
  const [a0, a1, a2, a3, a4, a5] = a as [number, number, number, number, number, number];
  const [b0, b1, b2, b3, b4] = b as [number, number, number, number, number];
  const [c0, c1, c2, c3, c4, c5] = c as [number, number, number, number, number, number];
  const [d0, d1, d2, d3] = d as [number, number, number, number];
  const low = 0.02425;
  let x: number;
  if (p < low) {
    const q = Math.sqrt(-2 * Math.log(p));
    x = (((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  } else if (p <= 1 - low) {
    const q = p - 0.5;
    const r = q * q;
    x =
      ((((((a0 * r + a1) * r + a2) * r + a3) * r + a4) * r + a5) * q) /
      (((((b0 * r + b1) * r + b2) * r + b3) * r + b4) * r + 1);
  } else {
    const q = Math.sqrt(-2 * Math.log(1 - p));
    x = -(((((c0 * q + c1) * q + c2) * q + c3) * q + c4) * q + c5) / ((((d0 * q + d1) * q + d2) * q + d3) * q + 1);
  }
  return x;
}
