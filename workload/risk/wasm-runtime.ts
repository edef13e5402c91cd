/**
 * The part of the WebAssembly JavaScript API the risk kernels use, typed here because the
 * project's TypeScript libraries (es2024 + @types/node) do not declare it.
 */

/** A compiled module. */
export type WasmModule = object;

/** A module's linear memory. */
export interface WasmMemory {
  readonly buffer: ArrayBuffer;
  /** Grow by `pages` × 64 KiB; returns the previous size in pages. Detaches old views. */
  grow(pages: number): number;
}

/** An instantiated module. */
export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

interface WasmApi {
  validate(bytes: Uint8Array<ArrayBuffer>): boolean;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => WasmModule;
  Instance: new (module: WasmModule) => WasmInstance;
}

/** globalThis.WebAssembly. */
export const wasm = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;
