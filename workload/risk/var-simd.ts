/**
 * The VaR kernel's hot loop in WebAssembly SIMD: correlated draws x = L·z, the lognormal (or
 * normal) revaluation and the per-simulation loss, over one chunk of simulations at a time.
 *
 * Why WebAssembly: the correlated draw is a dense lower-triangular matrix times a block of
 * normals, n²/2 multiply-adds per simulation. JavaScript has no SIMD and may not fuse a·b + c,
 * so a plain-loop kernel tops out near one multiply-add per cycle; 128-bit SIMD with fused
 * multiply-add does four. The benchmark (bench/var-kernel.bench.ts) races this kernel against
 * the plain-loop one it replaced and against numpy in the same run.
 *
 * Blocking (a GEMM micro-kernel in the BLIS manner): the chunk's normals are stored one row per
 * position (z[j·Z_STRIDE + c], the order the generator draws them), L is packed in panels of
 * ROWS rows so a panel's entries for column j sit side by side, and the kernel computes ROWS
 * positions × LANES simulations of x in registers, reading each normal once per panel and each
 * entry of L once per LANES simulations. The revaluing functions never store x: it goes
 * straight from the registers into exp and the loss sum. The z row stride is CHUNK + 8 doubles because a stride of a power
 * of two maps a panel's column onto a few cache sets and evicts itself.
 *
 * The normals, and so the results for a seed, are the same as the plain loop's; the sums differ
 * only in rounding (fused multiply-adds, and an exp accurate to a few units in the last place).
 */
import { fillStandardNormals } from './normal.ts';
import { Xoshiro128 } from './prng.ts';
import { BLOCK_SIZE, CHUNK, type PreparedVar, type ReturnModel } from './var-prepared.ts';
import { Code, encodeModule, I32, V128 } from './wasm-encoder.ts';
import { type WasmMemory, type WasmModule, wasm } from './wasm-runtime.ts';

/** Doubles per row of normals in wasm memory; see the module comment for the padding. */
const Z_STRIDE = CHUNK + 8;
/** Positions per register panel. */
const ROWS = 2;
/** Simulations per register panel (two per v128). */
const LANES = 8;
const VECTORS = LANES / 2;
/** Bytes of the per-position coefficients (see {@link buildKernel}). */
const COEF_BYTES = 24;

// exp(y) = 2^k · e^r with k = round(y / ln 2) and r = y − k·ln 2 split into an exact high part
// and a low part (fdlibm's constants), |r| ≤ ln(2)/2; e^r by its Taylor series to degree 12,
// whose truncation error there is below 2e-16 relative.
const INV_LN2 = Math.LOG2E;
const LN2_HI = 0.6931471803691238;
const LN2_LO = 1.9082149292705877e-10;
/** Adding 1.5·2^52 rounds to an integer and leaves it in the low mantissa bits. */
const ROUNDER = 6755399441055744;
/** Beyond these e^y is +∞ or 0 in doubles anyway; clamping keeps 2^k constructible. */
const EXP_MAX = 710;
const EXP_MIN = -746;
const TAYLOR = Array.from({ length: 13 }, (_, k) => {
  let f = 1;
  for (let i = 2; i <= k; i++) f *= i;
  return 1 / f;
});

/** Options of the generated kernel (the benchmark measures both multiply-add forms). */
export interface KernelOptions {
  /** Fused multiply-add (relaxed SIMD) rather than a multiply then an add. */
  fused: boolean;
}

/** Emits a·b + c of three v128 locals as one fused instruction or as a multiply then an add. */
function madd(code: Code, fused: boolean, a: number, b: number, c: number): void {
  if (fused) code.get(a).get(b).get(c).f64x2RelaxedMadd();
  else code.get(c).get(a).get(b).f64x2Mul().f64x2Add();
}

/** Parameters of the kernel functions: pointers (bytes) into memory, then sizes. */
const PARAMS = [I32, I32, I32, I32, I32, I32, I32, I32] as const;

/**
 * Builds the kernel module: one exported function per return model, `lognormal` and `normal`,
 * each `(l, starts, z, coef, out, panels, simulations, n)`. For simulations [0, simulations) of
 * the chunk (a multiple of LANES) it writes each one's loss into out[c]. `l` holds L packed in
 * panels of ROWS rows (panel p: for each column j from starts[p] (i32) to (p+1)·ROWS − 1,
 * L[p·ROWS + r][j] for r < ROWS; columns before starts[p] are zero in those rows and skipped,
 * which makes uncorrelated and block-correlated portfolios cheap), `z` the
 * rows of normals, finite (position j at z + j·Z_STRIDE·8; panels·ROWS rows, those past n zero),
 * `coef` one triple per row: (−a, s, −s²/2) for `lognormal`, (−a·s, 0, 0) for `normal`, zero
 * for padding rows.
 */
function buildKernel(options: KernelOptions): Uint8Array<ArrayBuffer> {
  return encodeModule(1, [
    { name: 'lognormal', params: PARAMS, code: chunkCode(options, 'lognormal') },
    { name: 'normal', params: PARAMS, code: chunkCode(options, 'normal') },
    { name: 'correlated', params: PARAMS, code: chunkCode(options, 'correlated') },
  ]);
}

/** What a kernel function does with x = L·z: revalue under a return model, or store it. */
type Output = ReturnModel | 'correlated';

function chunkCode({ fused }: KernelOptions, output: Output): Code {
  const code = new Code(PARAMS);
  const [lPtr, startsPtr, zPtr, coefPtr, outPtr, panels, sims, n] = [0, 1, 2, 3, 4, 5, 6, 7];
  const c = code.local(I32);
  const simsBytes = code.local(I32);
  const lp = code.local(I32);
  const zp = code.local(I32);
  const cp = code.local(I32);
  const panel = code.local(I32);
  const cols = code.local(I32);
  const j = code.local(I32);
  const start = code.local(I32);
  const acc = Array.from({ length: ROWS }, () => Array.from({ length: VECTORS }, () => code.local(V128)));
  const zv = Array.from({ length: VECTORS }, () => code.local(V128));
  const lv = code.local(V128);
  const loss = Array.from({ length: VECTORS }, () => code.local(V128));
  const ks = zv; // free once the column loop is done
  const rs = Array.from({ length: VECTORS }, () => code.local(V128));
  const es = Array.from({ length: VECTORS }, () => code.local(V128));
  const sv = code.local(V128);
  const dv = code.local(V128);
  const av = code.local(V128);
  const xp = code.local(I32);

  const constants = expConstants(code);
  code.get(sims).i32(8).i32Mul().set(simsBytes);
  code.i32(0).set(c);
  code.block().loop(); // simulations, LANES at a time
  code.get(c).get(simsBytes).i32GeU().brIf(1);
  for (const v of loss) code.f64x2Const(0).set(v);
  code.get(lPtr).set(lp);
  code.get(coefPtr).set(cp);
  code.get(outPtr).get(c).i32Add().set(xp);
  code.i32(0).set(panel);
  code.i32(ROWS).set(cols);
  code.block().loop(); // panels of ROWS positions
  code.get(panel).get(panels).i32GeU().brIf(1);
  for (const row of acc) for (const a of row) code.f64x2Const(0).set(a);
  code.get(startsPtr).get(panel).i32(4).i32Mul().i32Add().i32Load().set(start);
  code
    .get(zPtr)
    .get(c)
    .i32Add()
    .get(start)
    .i32(Z_STRIDE * 8)
    .i32Mul()
    .i32Add()
    .set(zp);
  code.get(cols).get(start).i32Sub().set(j);
  code.loop(); // columns start..cols of the panel: acc += L[i][j] · z[j]
  for (let v = 0; v < VECTORS; v++)
    code
      .get(zp)
      .v128Load(v * 16)
      .set(zv[v] as number);
  for (let row = 0; row < ROWS; row++) {
    code
      .get(lp)
      .v128Load64Splat(row * 8)
      .set(lv);
    for (let v = 0; v < VECTORS; v++) {
      const a = acc[row]?.[v] as number;
      madd(code, fused, lv, zv[v] as number, a);
      code.set(a);
    }
  }
  code.increment(zp, Z_STRIDE * 8);
  code.increment(lp, ROWS * 8);
  code.get(j).i32(1).i32Sub().tee(j).brIf(0);
  code.end();
  if (output === 'correlated') {
    for (let row = 0; row < ROWS; row++) {
      for (let v = 0; v < VECTORS; v++)
        code
          .get(xp)
          .get(acc[row]?.[v] as number)
          .v128Store(row * Z_STRIDE * 8 + v * 16);
    }
    code.increment(xp, ROWS * Z_STRIDE * 8);
  }
  // Revalue the panel's positions: loss −= a·(e^(s·x + d) − 1), or −= a·s·x.
  for (let row = 0; row < ROWS && output !== 'correlated'; row++) {
    code
      .get(cp)
      .v128Load64Splat(row * COEF_BYTES)
      .set(av);
    if (output === 'normal') {
      for (let v = 0; v < VECTORS; v++) {
        madd(code, fused, av, acc[row]?.[v] as number, loss[v] as number);
        code.set(loss[v] as number);
      }
      continue;
    }
    // A padding row past n adds 0 to the loss, but its exp is the dearest part: skip it.
    if (row > 0) code.get(panel).i32(ROWS).i32Mul().i32(row).i32Add().get(n).i32LtU().if();
    code
      .get(cp)
      .v128Load64Splat(row * COEF_BYTES + 8)
      .set(sv);
    code
      .get(cp)
      .v128Load64Splat(row * COEF_BYTES + 16)
      .set(dv);
    const ys = acc[row] as number[];
    for (const y of ys) {
      madd(code, fused, y, sv, dv);
      code.set(y);
    }
    exp(code, fused, constants, ys, ks, rs, es);
    for (let v = 0; v < VECTORS; v++) {
      code
        .get(es[v] as number)
        .get(constants.taylor[0] as number)
        .f64x2Sub()
        .set(es[v] as number); // e − 1
      madd(code, fused, av, es[v] as number, loss[v] as number);
      code.set(loss[v] as number);
    }
    if (row > 0) code.end();
  }
  code.increment(cp, ROWS * COEF_BYTES);
  code.increment(cols, ROWS);
  code.increment(panel, 1);
  code.br(0);
  code.end().end();
  if (output !== 'correlated') {
    for (let v = 0; v < VECTORS; v++)
      code
        .get(outPtr)
        .get(c)
        .i32Add()
        .get(loss[v] as number)
        .v128Store(v * 16);
  }
  code.increment(c, LANES * 8);
  code.br(0);
  code.end().end();
  return code;
}

/** Locals holding the constants of {@link exp} (V8 rebuilds a v128.const at every use). */
interface ExpConstants {
  max: number;
  min: number;
  invLn2: number;
  rounder: number;
  negLn2Hi: number;
  negLn2Lo: number;
  /** 1/i! for i = 0..12. */
  taylor: number[];
  /** The 64-bit integer 1023 in both lanes (the exponent bias). */
  bias: number;
}

/** Declares and sets the locals of {@link ExpConstants}. */
function expConstants(code: Code): ExpConstants {
  const hoist = (emit: (c: Code) => void): number => {
    const local = code.local(V128);
    emit(code);
    code.set(local);
    return local;
  };
  const f64 = (value: number) => hoist((c) => c.f64x2Const(value));
  return {
    max: f64(EXP_MAX),
    min: f64(EXP_MIN),
    invLn2: f64(INV_LN2),
    rounder: f64(ROUNDER),
    negLn2Hi: f64(-LN2_HI),
    negLn2Lo: f64(-LN2_LO),
    taylor: TAYLOR.map(f64),
    bias: hoist((c) => c.i64x2Const(0, 1023)),
  };
}

/**
 * Emits e^y for the v128 in each local of `y` (clobbered) into the same index of `out`, one
 * step for every vector before the next step, so the independent chains overlap in the CPU.
 * `k` and `r` are scratch locals, one per vector.
 */
function exp(code: Code, fused: boolean, c: ExpConstants, y: number[], k: number[], r: number[], out: number[]): void {
  const each = (emit: (y: number, k: number, r: number, p: number) => void) => {
    for (let v = 0; v < y.length; v++) emit(y[v] as number, k[v] as number, r[v] as number, out[v] as number);
  };
  each((y) => code.get(y).get(c.max).f64x2Min().get(c.min).f64x2Max().set(y));
  // biased = y/ln2 + ROUNDER: its low mantissa bits hold k = round(y/ln2).
  each((y, k, _r, p) => {
    madd(code, fused, y, c.invLn2, c.rounder);
    code.tee(k).get(c.rounder).f64x2Sub().set(p); // p = kf = biased − ROUNDER
  });
  // r = (y − kf·LN2_HI) − kf·LN2_LO; kf·LN2_HI is exact.
  each((y, _k, r, p) => {
    madd(code, fused, p, c.negLn2Hi, y);
    code.set(r);
  });
  each((_y, _k, r, p) => {
    madd(code, fused, p, c.negLn2Lo, r);
    code.set(r);
  });
  // p = Σ r^i / i!, Horner.
  each((_y, _k, _r, p) => code.get(c.taylor[12] as number).set(p));
  for (let i = 11; i >= 0; i--) {
    each((_y, _k, r, p) => {
      madd(code, fused, p, r, c.taylor[i] as number);
      code.set(p);
    });
  }
  // 2^k = 2^k1 · 2^k2 with k1 = k >> 1, k2 = k − k1, each a normal double even at the clamps.
  // biased − ROUNDER as 64-bit integers is k (ROUNDER's bits are those of the f64 constant).
  each((y, k, _r, p) => {
    code.get(k).get(c.rounder).i64x2Sub().tee(k);
    code.i32(1).i64x2ShrS().set(y); // y = k1
    code.get(p);
    code.get(y).get(c.bias).i64x2Add().i32(52).i64x2Shl();
    code.f64x2Mul();
    code.get(k).get(y).i64x2Sub().get(c.bias).i64x2Add().i32(52).i64x2Shl();
    code.f64x2Mul();
    code.set(p);
  });
}

const compiled = new Map<boolean, WasmModule | null>();

/** The compiled kernel, or null where this runtime lacks (relaxed) WebAssembly SIMD. */
function kernelModule(fused: boolean): WasmModule | null {
  let module = compiled.get(fused);
  if (module === undefined) {
    const bytes = buildKernel({ fused });
    module = wasm.validate(bytes) ? new wasm.Module(bytes) : null;
    compiled.set(fused, module);
  }
  return module;
}

/** The multiply-add form this runtime supports: fused if relaxed SIMD validates; null without SIMD. */
export function simdSupport(): KernelOptions | null {
  if (kernelModule(true) !== null) return { fused: true };
  if (kernelModule(false) !== null) return { fused: false };
  return null;
}

type KernelFunction = (
  l: number,
  starts: number,
  z: number,
  coef: number,
  out: number,
  panels: number,
  sims: number,
  n: number,
) => void;

const align = (bytes: number) => Math.ceil(bytes / 64) * 64;

/**
 * One instance of the kernel for a prepared portfolio: L packed and the coefficients written
 * once, then one call per chunk of CHUNK simulations whose normals the caller has written.
 */
export class SimdVarKernel {
  private readonly heap: Float64Array;
  private readonly exports: Record<Output, KernelFunction>;
  private readonly panels: number;
  private readonly lPtr = 0;
  private readonly startsPtr: number;
  private readonly coefPtr: number;
  private readonly zPtr: number;
  private readonly outPtr: number;
  private readonly prepared: PreparedVar;

  /** Throws if this runtime lacks the SIMD form asked for (see {@link simdSupport}). */
  constructor(prepared: PreparedVar, options: KernelOptions) {
    this.prepared = prepared;
    const module = kernelModule(options.fused);
    if (module === null) {
      throw new Error(
        `this runtime's WebAssembly lacks ${options.fused ? 'relaxed SIMD' : 'SIMD'}: ask simdSupport() which form it runs, or use Node 22 or later`,
      );
    }
    const { n, lower, exposures, scaledVols } = prepared;
    this.panels = Math.ceil(n / ROWS);
    const rows = this.panels * ROWS;
    // Each panel's columns from the first that is not zero in any of its rows.
    const starts = Array.from({ length: this.panels }, (_, p) => {
      const last = (p + 1) * ROWS - 1;
      let first = last;
      for (let r = 0; r < ROWS && p * ROWS + r < n; r++) {
        const i = p * ROWS + r;
        for (let j = 0; j < first; j++) {
          if (lower[i * n + j] !== 0) {
            first = j;
            break;
          }
        }
      }
      return first;
    });
    const packed = starts.reduce((sum, first, p) => sum + ((p + 1) * ROWS - first) * ROWS, 0);
    this.startsPtr = this.lPtr + align(packed * 8);
    this.coefPtr = this.startsPtr + align(this.panels * 4);
    this.zPtr = this.coefPtr + align(rows * COEF_BYTES);
    // The output area holds a loss per simulation, or x = L·z in the layout of z.
    this.outPtr = this.zPtr + align(rows * Z_STRIDE * 8);
    const total = this.outPtr + rows * Z_STRIDE * 8;
    const instance = new wasm.Instance(module);
    this.exports = instance.exports as unknown as Record<Output, KernelFunction>;
    const memory = instance.exports.memory as WasmMemory;
    const pages = Math.ceil(total / 65_536);
    if (pages > 1) memory.grow(pages - 1);
    const heap = new Float64Array(memory.buffer);
    this.heap = heap;

    new Int32Array(memory.buffer, this.startsPtr, this.panels).set(starts);
    let at = this.lPtr / 8;
    for (let p = 0; p < this.panels; p++) {
      for (let j = starts[p] as number; j < (p + 1) * ROWS; j++) {
        for (let r = 0; r < ROWS; r++) {
          const i = p * ROWS + r;
          heap[at++] = i < n && j <= i ? (lower[i * n + j] as number) : 0;
        }
      }
    }
    for (let i = 0; i < n; i++) {
      const a = exposures[i] as number;
      const s = scaledVols[i] as number;
      const base = this.coefPtr / 8 + i * 3;
      if (prepared.model === 'normal') {
        heap[base] = -a * s;
      } else {
        heap[base] = -a;
        heap[base + 1] = s;
        heap[base + 2] = -0.5 * s * s;
      }
    }
  }

  /** Where the normals of position j go: a view of CHUNK doubles to fill before {@link losses}. */
  normals(j: number): Float64Array {
    const row = this.zPtr / 8 + j * Z_STRIDE;
    return this.heap.subarray(row, row + CHUNK);
  }

  /** Fill every position's normals of one chunk from `rng`, in the seed policy's order. */
  draw(rng: Xoshiro128): void {
    for (let j = 0; j < this.prepared.n; j++) {
      const row = this.zPtr / 8 + j * Z_STRIDE;
      fillStandardNormals(rng, this.heap, row, row + CHUNK);
    }
  }

  /** The losses of simulations [0, count) of the chunk (a view, overwritten by the next call). */
  losses(count: number): Float64Array {
    this.run(this.prepared.model, count);
    return this.heap.subarray(this.outPtr / 8, this.outPtr / 8 + count);
  }

  /** x = L·z for simulations [0, count) of the chunk: one view of CHUNK doubles per position. */
  correlated(count: number): Float64Array[] {
    this.run('correlated', count);
    return Array.from({ length: this.prepared.n }, (_, i) => {
      const row = this.outPtr / 8 + i * Z_STRIDE;
      return this.heap.subarray(row, row + CHUNK);
    });
  }

  private run(output: Output, count: number): void {
    if (!(count >= 0 && count <= CHUNK)) throw new RangeError(`count must be in [0, ${CHUNK}], got ${count}`);
    const padded = Math.ceil(count / LANES) * LANES;
    this.exports[output](
      this.lPtr,
      this.startsPtr,
      this.zPtr,
      this.coefPtr,
      this.outPtr,
      this.panels,
      padded,
      this.prepared.n,
    );
  }
}

/**
 * Same contract and same normals as simulateBlocksScalar (var-scalar.ts): the losses of blocks
 * [firstBlock, lastBlock) into `out`. Throws if this runtime lacks the SIMD form asked for.
 */
export function simulateBlocksSimd(
  prepared: PreparedVar,
  simulations: number,
  firstBlock: number,
  lastBlock: number,
  out: Float64Array,
  options: KernelOptions = simdSupport() ?? { fused: false },
): void {
  const kernel = new SimdVarKernel(prepared, options);
  let offset = 0;
  for (let b = firstBlock; b < lastBlock; b++) {
    const rng = new Xoshiro128(prepared.seed, b);
    const end = Math.min(simulations, (b + 1) * BLOCK_SIZE);
    for (let start = b * BLOCK_SIZE; start < end; start += CHUNK) {
      const count = Math.min(CHUNK, end - start);
      kernel.draw(rng);
      out.set(kernel.losses(count), offset);
      offset += count;
    }
  }
}
