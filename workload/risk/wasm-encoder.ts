/**
 * A minimal WebAssembly binary encoder: one memory, functions with i32/f64/v128 parameters and
 * locals, and the instructions the risk kernels use (control flow, i32 arithmetic, 128-bit SIMD
 * loads, stores and f64x2/i64x2 arithmetic). Kernels are written as TypeScript that emits
 * instructions, so they are built when the module loads: no toolchain, build step or binary
 * asset, and the same source runs from .ts and from the bundles.
 *
 * Opcodes are those of the WebAssembly 2.0 binary format and the relaxed-SIMD proposal
 * (merged into the 3.0 draft); `WebAssembly.validate` checks the result before it is compiled.
 */

/** Value types, by their binary code. */
export const I32 = 0x7f;
export const F64 = 0x7c;
export const V128 = 0x7b;
/** A value type of a parameter or local. */
export type ValueType = typeof I32 | typeof F64 | typeof V128;

/** Unsigned LEB128. */
function uleb(value: number, out: number[]): void {
  let v = value >>> 0;
  do {
    let byte = v & 0x7f;
    v >>>= 7;
    if (v !== 0) byte |= 0x80;
    out.push(byte);
  } while (v !== 0);
}

/** Signed LEB128 of a 32-bit integer. */
function sleb(value: number, out: number[]): void {
  let v = value | 0;
  for (;;) {
    const byte = v & 0x7f;
    v >>= 7;
    const done = (v === 0 && (byte & 0x40) === 0) || (v === -1 && (byte & 0x40) !== 0);
    out.push(done ? byte : byte | 0x80);
    if (done) return;
  }
}

/** A length-prefixed vector of already-encoded items. */
function vector(items: readonly number[][]): number[] {
  const out: number[] = [];
  uleb(items.length, out);
  for (const item of items) out.push(...item);
  return out;
}

function name(text: string): number[] {
  const bytes = [...new TextEncoder().encode(text)];
  const out: number[] = [];
  uleb(bytes.length, out);
  return out.concat(bytes);
}

/** Instruction emitter for one function body. Local indices count parameters first. */
export class Code {
  readonly bytes: number[] = [];
  private readonly localTypes: ValueType[] = [];
  private readonly paramCount: number;

  constructor(params: readonly ValueType[]) {
    this.paramCount = params.length;
  }

  /** Declare a local of `type`; returns its index. */
  local(type: ValueType): number {
    this.localTypes.push(type);
    return this.paramCount + this.localTypes.length - 1;
  }

  /** The body: local declarations, instructions, `end`. */
  encode(): number[] {
    const groups: number[][] = [];
    for (const type of this.localTypes) {
      const last = groups.at(-1);
      if (last !== undefined && last[1] === type) last[0] = (last[0] as number) + 1;
      else groups.push([1, type]);
    }
    const body: number[] = [];
    uleb(groups.length, body);
    for (const [count, type] of groups) {
      uleb(count as number, body);
      body.push(type as number);
    }
    body.push(...this.bytes, 0x0b);
    const out: number[] = [];
    uleb(body.length, out);
    return out.concat(body);
  }

  private op(...bytes: number[]): this {
    this.bytes.push(...bytes);
    return this;
  }

  private simd(opcode: number): this {
    this.bytes.push(0xfd);
    uleb(opcode, this.bytes);
    return this;
  }

  /** Memory access immediate: alignment exponent and constant byte offset. */
  private memarg(align: number, offset: number): this {
    uleb(align, this.bytes);
    uleb(offset, this.bytes);
    return this;
  }

  // Control flow. Blocks and loops take no parameters and leave nothing on the stack.
  block(): this {
    return this.op(0x02, 0x40);
  }
  loop(): this {
    return this.op(0x03, 0x40);
  }
  /** Runs the instructions up to the matching `end` if the i32 on the stack is not 0. */
  if(): this {
    return this.op(0x04, 0x40);
  }
  end(): this {
    return this.op(0x0b);
  }
  /** Branch to the label `depth` levels out (0 = innermost) if the i32 on the stack is not 0. */
  brIf(depth: number): this {
    this.op(0x0d);
    uleb(depth, this.bytes);
    return this;
  }
  br(depth: number): this {
    this.op(0x0c);
    uleb(depth, this.bytes);
    return this;
  }

  // Locals and constants.
  get(index: number): this {
    this.op(0x20);
    uleb(index, this.bytes);
    return this;
  }
  set(index: number): this {
    this.op(0x21);
    uleb(index, this.bytes);
    return this;
  }
  tee(index: number): this {
    this.op(0x22);
    uleb(index, this.bytes);
    return this;
  }
  i32(value: number): this {
    this.op(0x41);
    sleb(value, this.bytes);
    return this;
  }

  /** Adds the constant `value` to the i32 local `index`. */
  increment(index: number, value: number): this {
    return this.get(index).i32(value).i32Add().set(index);
  }

  // i32 arithmetic and comparisons.
  i32Add(): this {
    return this.op(0x6a);
  }
  i32Sub(): this {
    return this.op(0x6b);
  }
  i32Mul(): this {
    return this.op(0x6c);
  }
  i32LtU(): this {
    return this.op(0x49);
  }
  i32GeU(): this {
    return this.op(0x4f);
  }

  // Scalar memory.
  i32Load(offset = 0): this {
    return this.op(0x28).memarg(2, offset);
  }

  // 128-bit SIMD. Addresses are byte offsets; 16-byte alignment is a hint, not a requirement.
  v128Load(offset = 0): this {
    return this.simd(0x00).memarg(4, offset);
  }
  /** Load one f64 and copy it into both lanes. */
  v128Load64Splat(offset = 0): this {
    return this.simd(0x0a).memarg(3, offset);
  }
  v128Store(offset = 0): this {
    return this.simd(0x0b).memarg(4, offset);
  }
  /** Both lanes set to the f64 `value`. */
  f64x2Const(value: number): this {
    const bytes = new Uint8Array(new Float64Array([value, value]).buffer);
    this.simd(0x0c);
    this.bytes.push(...bytes);
    return this;
  }
  /** Both lanes set to the 64-bit pattern `hi:lo` (two 32-bit words). */
  i64x2Const(hi: number, lo: number): this {
    const words = new Uint32Array([lo, hi, lo, hi]);
    this.simd(0x0c);
    this.bytes.push(...new Uint8Array(words.buffer));
    return this;
  }
  f64x2Add(): this {
    return this.simd(0xf0);
  }
  f64x2Sub(): this {
    return this.simd(0xf1);
  }
  f64x2Mul(): this {
    return this.simd(0xf2);
  }
  f64x2Max(): this {
    return this.simd(0xf5);
  }
  f64x2Min(): this {
    return this.simd(0xf4);
  }
  /** a·b + c, fused (one rounding) where the CPU has FMA: relaxed SIMD. */
  f64x2RelaxedMadd(): this {
    return this.simd(0x107);
  }
  i64x2Shl(): this {
    return this.simd(0xcb);
  }
  i64x2ShrS(): this {
    return this.simd(0xcc);
  }
  i64x2Add(): this {
    return this.simd(0xce);
  }
  i64x2Sub(): this {
    return this.simd(0xd1);
  }
}

/** A function of the module, exported under `name`. */
export interface FunctionDefinition {
  name: string;
  params: readonly ValueType[];
  code: Code;
}

/**
 * The binary of a module with one exported memory (`memory`, `pages` × 64 KiB, growable) and
 * `functions`, each returning nothing.
 */
export function encodeModule(pages: number, functions: readonly FunctionDefinition[]): Uint8Array<ArrayBuffer> {
  const section = (id: number, content: number[]): number[] => {
    const out = [id];
    uleb(content.length, out);
    return out.concat(content);
  };
  const types = vector(functions.map((f) => [0x60, ...vector(f.params.map((t) => [t])), 0x00]));
  const funcs = vector(functions.map((_, i) => [i]));
  const memoryLimits: number[] = [0x00];
  uleb(pages, memoryLimits);
  const memory = vector([memoryLimits]);
  const exports = vector([
    [...name('memory'), 0x02, 0x00],
    ...functions.map((f, i) => {
      const index: number[] = [];
      uleb(i, index);
      return [...name(f.name), 0x00, ...index];
    }),
  ]);
  const code = vector(functions.map((f) => f.code.encode()));
  return new Uint8Array([
    0x00,
    0x61,
    0x73,
    0x6d,
    0x01,
    0x00,
    0x00,
    0x00,
    ...section(1, types),
    ...section(3, funcs),
    ...section(5, memory),
    ...section(7, exports),
    ...section(10, code),
  ]);
}
