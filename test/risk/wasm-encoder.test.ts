/**
 * The WebAssembly encoder emits modules V8 accepts, and each SIMD instruction the kernels use
 * computes what its name says (a wrong opcode would often still validate as another operation).
 */
import { describe, expect, it } from 'vitest';
import { Code, encodeModule, I32 } from '../../workload/risk/wasm-encoder.ts';
import { type WasmMemory, wasm } from '../../workload/risk/wasm-runtime.ts';

/** A module whose `run(a, b, c, out)` applies `emit` to the v128s at a, b, c and stores at out. */
function binary(emit: (code: Code) => void, operands: 1 | 2 | 3) {
  const params = [I32, I32, I32, I32] as const;
  const code = new Code(params);
  code.get(3);
  for (let i = 0; i < operands; i++) code.get(i).v128Load();
  emit(code);
  code.v128Store();
  const bytes = encodeModule(1, [{ name: 'run', params, code }]);
  expect(wasm.validate(bytes)).toBe(true);
  const instance = new wasm.Instance(new wasm.Module(bytes));
  const buffer = (instance.exports.memory as WasmMemory).buffer;
  const f64 = new Float64Array(buffer);
  const i64 = new BigInt64Array(buffer);
  const run = instance.exports.run as (a: number, b: number, c: number, out: number) => void;
  // Lanes given as bigint are 64-bit integer patterns (NaN payloads do not survive a double).
  const call = (lanes: Lane[]) => {
    lanes.forEach((lane, i) => {
      if (typeof lane === 'bigint') i64[i] = lane;
      else f64[i] = lane;
    });
    run(0, 16, 32, 48);
  };
  return {
    f64: (a: Lane[], b: Lane[], c: Lane[] = [0, 0]): number[] => {
      call([...a, ...b, ...c]);
      return [f64[6] as number, f64[7] as number];
    },
    i64: (a: Lane[], b: Lane[], c: Lane[] = [0n, 0n]): bigint[] => {
      call([...a, ...b, ...c]);
      return [i64[6] as bigint, i64[7] as bigint];
    },
  };
}

type Lane = number | bigint;
const bits = (x: number) => new BigInt64Array(new Float64Array([x]).buffer)[0] as bigint;

describe('WebAssembly encoder', () => {
  it('computes f64x2 add, sub, mul, min and max lane by lane', () => {
    const a = [1.5, -2];
    const b = [0.25, 8];
    expect(binary((c) => c.f64x2Add(), 2).f64(a, b)).toEqual([1.75, 6]);
    expect(binary((c) => c.f64x2Sub(), 2).f64(a, b)).toEqual([1.25, -10]);
    expect(binary((c) => c.f64x2Mul(), 2).f64(a, b)).toEqual([0.375, -16]);
    expect(binary((c) => c.f64x2Min(), 2).f64(a, b)).toEqual([0.25, -2]);
    expect(binary((c) => c.f64x2Max(), 2).f64(a, b)).toEqual([1.5, 8]);
  });

  it('computes a·b + c with the relaxed multiply-add, rounded once or twice', () => {
    const madd = binary((c) => c.f64x2RelaxedMadd(), 3).f64;
    expect(madd([3, -2], [4, 0.5], [1, 10])).toEqual([13, 9]);
    // (1 + 2^-30)² − 1: fused keeps the 2^-60 term, unfused loses it; either is allowed.
    const e = 2 ** -30;
    const [fused] = madd([1 + e, 0], [1 + e, 0], [-1, 0]);
    expect([2 * e + e * e, 2 * e]).toContain(fused);
  });

  it('computes the 64-bit integer lanes: add, sub, shift left and arithmetic shift right', () => {
    expect(binary((c) => c.i64x2Add(), 2).i64([5n, -7n], [1023n, 7n])).toEqual([1028n, 0n]);
    expect(binary((c) => c.i64x2Sub(), 2).i64([5n, -7n], [1023n, 7n])).toEqual([-1018n, -14n]);
    expect(binary((c) => c.i32(52).i64x2Shl(), 1).i64([1023n, 1n], [0n, 0n])).toEqual([bits(1), 1n << 52n]);
    expect(binary((c) => c.i32(1).i64x2ShrS(), 1).i64([-7n, 7n], [0n, 0n])).toEqual([-4n, 3n]);
  });

  it('loads a splat and an i32, branches with if, and increments a local', () => {
    const params = [I32] as const;
    const code = new Code(params);
    const at = code.local(I32);
    code.i32(0).i32Load().set(at); // at = the i32 at byte 0
    code.increment(at, 8);
    code.get(0).i32(5).i32LtU().if();
    code.get(at).get(at).v128Load64Splat(8).v128Store(16); // [at + 16] = both lanes of [at + 8]
    code.end();
    const bytes = encodeModule(1, [{ name: 'run', params, code }]);
    expect(wasm.validate(bytes)).toBe(true);
    const instance = new wasm.Instance(new wasm.Module(bytes));
    const buffer = (instance.exports.memory as WasmMemory).buffer;
    const run = instance.exports.run as (x: number) => void;
    new Int32Array(buffer)[0] = 24;
    new Float64Array(buffer)[5] = 2.5; // byte 40 = 24 + 8 + 8
    run(7);
    expect(Array.from(new Float64Array(buffer, 48, 2))).toEqual([0, 0]);
    run(4);
    expect(Array.from(new Float64Array(buffer, 48, 2))).toEqual([2.5, 2.5]);
  });

  it('encodes constants of both lanes and integer immediates beyond one LEB byte', () => {
    const params = [I32] as const;
    const code = new Code(params);
    code.get(0).i32(-200_000).i32Add().i32(8).i32Mul();
    code.f64x2Const(Math.PI).v128Store(16);
    code.i32(300).i32(0).i32Sub().i32(-300).i32Sub();
    code.br(0);
    const bytes = encodeModule(2, [{ name: 'run', params, code }]);
    expect(wasm.validate(bytes)).toBe(true);
    const instance = new wasm.Instance(new wasm.Module(bytes));
    (instance.exports.run as (x: number) => void)(200_000 + 4);
    const memory = instance.exports.memory as WasmMemory;
    expect(memory.buffer.byteLength).toBe(2 * 65_536);
    expect(Array.from(new Float64Array(memory.buffer, 48, 2))).toEqual([Math.PI, Math.PI]);
  });
});
