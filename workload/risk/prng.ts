/**
 * Seedable pseudo-random numbers for the Monte Carlo kernels.
 *
 * Choice: xoshiro128** (Blackman & Vigna, 2018). It works on four 32-bit words, which is what
 * JavaScript's integer operators (`Math.imul`, `>>>`, `^`) do natively, so V8 keeps the whole
 * step in registers without BigInt or float tricks; it passes BigCrush, has period 2^128 − 1
 * and jump-free independent streams are obtained by seeding through splitmix32. A 64-bit
 * generator (xoshiro256**) would need BigInt in JS and is several times slower. Math.random
 * is not seedable, so it cannot give reproducible runs.
 */

/** 2^-32: scales a 32-bit unsigned integer into [0, 1). */
const TWO_POW_MINUS_32 = 2 ** -32;

/** splitmix32 step: turns any 32-bit seed word into a well-mixed one (used only for seeding). */
function splitmix32(state: number): [next: number, output: number] {
  const next = (state + 0x9e3779b9) | 0;
  let z = next;
  z = Math.imul(z ^ (z >>> 16), 0x21f0aaad);
  z = Math.imul(z ^ (z >>> 15), 0x735a2d97);
  return [next, (z ^ (z >>> 15)) >>> 0];
}

/** Largest seed accepted: integers in [0, 2^53) keep every bit in a JS number. */
export const MAX_SEED = Number.MAX_SAFE_INTEGER;

/** xoshiro128** generator with explicit state, so a run is reproducible from its seed. */
export class Xoshiro128 {
  /** The four state words (never all zero). */
  readonly state: Uint32Array;

  /** Seed from an integer in [0, 2^53) and an optional stream number (for parallel workers). */
  constructor(seed: number, stream = 0) {
    if (!Number.isSafeInteger(seed) || seed < 0) {
      throw new RangeError(`seed must be an integer from 0 to ${MAX_SEED}, got ${seed}`);
    }
    if (!Number.isSafeInteger(stream) || stream < 0) {
      throw new RangeError(`stream must be a non-negative integer, got ${stream}`);
    }
    // Mix low word, high word and stream so seeds differing in any bit give unrelated states.
    let s = (seed >>> 0) ^ Math.imul(Math.floor(seed / 2 ** 32) | 0, 0x85ebca6b) ^ Math.imul(stream, 0xc2b2ae35);
    this.state = new Uint32Array(4);
    for (let i = 0; i < 4; i++) {
      const [next, out] = splitmix32(s);
      s = next;
      this.state[i] = out;
    }
    if (this.state.every((word) => word === 0)) this.state[0] = 1;
  }

  /** Next 32-bit unsigned integer. */
  nextUint32(): number {
    const st = this.state;
    const s0 = st[0] as number;
    const s1 = st[1] as number;
    const s2 = st[2] as number;
    const s3 = st[3] as number;
    const m = Math.imul(s1, 5);
    const result = Math.imul((m << 7) | (m >>> 25), 9) >>> 0;
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    st[1] = s1 ^ n2;
    st[0] = s0 ^ n3;
    st[2] = n2 ^ t;
    st[3] = (n3 << 11) | (n3 >>> 21);
    return result;
  }

  /** Next uniform double in the open interval (0, 1): never 0, so log() is always finite. */
  nextOpenUnit(): number {
    return (this.nextUint32() + 0.5) * TWO_POW_MINUS_32;
  }
}
