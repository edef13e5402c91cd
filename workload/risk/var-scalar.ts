/**
 * The VaR kernel as plain JavaScript loops over Float64Arrays: the reference the WebAssembly
 * kernel (var-simd.ts) is tested against and raced against in bench/var-kernel.bench.ts, and
 * the kernel used where WebAssembly SIMD is not available.
 */
import { fillStandardNormals } from './normal.ts';
import { Xoshiro128 } from './prng.ts';
import { BLOCK_SIZE, CHUNK, type PreparedVar } from './var-prepared.ts';

/**
 * Simulate the losses (−P&L) of blocks [firstBlock, lastBlock) into `out`, which holds the
 * losses of exactly those blocks (the last block may be cut short by `simulations`).
 */
export function simulateBlocksScalar(
  prepared: PreparedVar,
  simulations: number,
  firstBlock: number,
  lastBlock: number,
  out: Float64Array,
): void {
  const { n, lower, exposures, scaledVols, model } = prepared;
  const weights = new Float64Array(n);
  const drift = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    const s = scaledVols[i] as number;
    weights[i] = (exposures[i] as number) * s;
    drift[i] = -0.5 * s * s;
  }
  // Draws are laid out column-major per chunk (z[j·CHUNK + c] is normal j of simulation c), so
  // every inner loop below runs over CHUNK contiguous doubles.
  const z = new Float64Array(CHUNK * n);
  const x = new Float64Array(CHUNK);
  const pnl = new Float64Array(CHUNK);
  let offset = 0;
  for (let b = firstBlock; b < lastBlock; b++) {
    const rng = new Xoshiro128(prepared.seed, b);
    const end = Math.min(simulations, (b + 1) * BLOCK_SIZE);
    for (let start = b * BLOCK_SIZE; start < end; start += CHUNK) {
      const count = Math.min(CHUNK, end - start);
      fillStandardNormals(rng, z, 0, CHUNK * n);
      pnl.fill(0);
      for (let i = 0; i < n; i++) {
        x.fill(0);
        for (let j = 0; j <= i; j++) {
          const l = lower[i * n + j] as number;
          if (l === 0) continue;
          const col = j * CHUNK;
          for (let c = 0; c < count; c++) x[c] = (x[c] as number) + l * (z[col + c] as number);
        }
        if (model === 'normal') {
          const w = weights[i] as number;
          for (let c = 0; c < count; c++) pnl[c] = (pnl[c] as number) + w * (x[c] as number);
        } else {
          const a = exposures[i] as number;
          const s = scaledVols[i] as number;
          const d = drift[i] as number;
          for (let c = 0; c < count; c++) pnl[c] = (pnl[c] as number) + a * (Math.exp(s * (x[c] as number) + d) - 1);
        }
      }
      for (let c = 0; c < count; c++) out[offset++] = -(pnl[c] as number);
    }
  }
}
