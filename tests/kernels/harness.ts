// Loads build/edgevae.wasm directly (no host library) so kernel and loader tests exercise the module itself.
import { readFileSync, existsSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

/** EDGEVAE_WASM overrides the module path (e.g. to test an experimental build without touching build/). */
export const WASM_PATH = process.env.EDGEVAE_WASM ?? fileURLToPath(new URL('../../build/edgevae.wasm', import.meta.url));

export type { WasmExports as RuntimeExports } from '../../runtime/engine.js';
import type { WasmExports as RuntimeExports } from '../../runtime/engine.js';
import { EntryKind, Op, type Act } from '../../runtime/format-constants.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { Interpreter } from '../../reference/interpreter.js';
import { readEditable } from '../../converter/quantize/editable-model.js';

let compiled: WebAssembly.Module | undefined;

export function runtimeModule(): WebAssembly.Module {
  if (!existsSync(WASM_PATH)) throw new Error(`${WASM_PATH} is missing: run "npm run build:wasm"`);
  compiled ??= new WebAssembly.Module(readFileSync(WASM_PATH));
  return compiled;
}

/**
 * Loads `bytes` into a fresh instance (maxBatch = inputs.length), runs entry `kind` on all inputs as one batch
 * and returns, per output k, one array per input sample (outSizes[k] floats each).
 */
export function runSamples(bytes: Uint8Array, kind: number, inputs: Float32Array[], outSizes: number[]): Float32Array[][] {
  const rt = new WasmRuntime();
  const code = rt.load(bytes, inputs.length);
  if (code !== 0) throw new Error(`load failed with ${code} (detail ${rt.x.errorDetail()})`);
  const packed = new Float32Array(inputs.length * inputs[0]!.length);
  inputs.forEach((x, i) => packed.set(x, i * x.length));
  return rt.run(kind, packed, inputs.length, outSizes).map((o, k) => inputs.map((_, i) => o.slice(i * outSizes[k]!, (i + 1) * outSizes[k]!)));
}

export class WasmRuntime {
  readonly x: RuntimeExports;
  /** Where load() copied the model bytes (0 before the first load). */
  modelPtr = 0;

  constructor() {
    this.x = new WebAssembly.Instance(runtimeModule(), {}).exports as unknown as RuntimeExports;
  }

  /** Copies the model into memory and loads it; returns load()'s code. */
  load(bytes: Uint8Array, maxBatch = 1): number {
    const ptr = this.x.alloc(bytes.length);
    if (!ptr) throw new Error('alloc failed');
    this.modelPtr = ptr;
    new Uint8Array(this.x.memory.buffer, ptr, bytes.length).set(bytes);
    return this.x.load(ptr, bytes.length, maxBatch);
  }

  /** Runs entry `kind` on the samples in `input` (n * inputSize floats); returns each output's n * size floats. */
  run(kind: number, input: Float32Array, n: number, outputSizes: number[]): Float32Array[] {
    const inPtr = this.x.entryInput(kind);
    if (!inPtr) throw new Error(`no entry ${kind}`);
    new Float32Array(this.x.memory.buffer, inPtr, input.length).set(input);
    const code = this.x.run(kind, n);
    if (code !== 0) throw new Error(`run failed with ${code}`);
    return outputSizes.map((size, k) => {
      const p = this.x.entryOutput(kind, k);
      return new Float32Array(this.x.memory.buffer, p, size * n).slice();
    });
  }

  /** True when the model bytes in linear memory still equal `bytes` (no kernel wrote into the file). */
  modelIntact(bytes: Uint8Array): boolean {
    const inMemory = new Uint8Array(this.x.memory.buffer, this.modelPtr, bytes.length);
    return inMemory.every((v, i) => v === bytes[i]);
  }

  sampleNormal(count: number, seed: number, temperature: number): Float32Array {
    const ptr = this.x.alloc(count * 4);
    this.x.sampleNormal(ptr, count, seed, temperature);
    return new Float32Array(this.x.memory.buffer, ptr, count).slice();
  }
}

/** Deterministic test data (mulberry32), so a failing case can be reproduced from its seed. */
export function rng(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

export function randomArray(rand: () => number, n: number, lo = -1, hi = 1): Float32Array {
  const a = new Float32Array(n);
  for (let i = 0; i < n; i++) a[i] = lo + (hi - lo) * rand();
  return a;
}

export function randInt(rand: () => number, lo: number, hi: number): number {
  return lo + Math.floor(rand() * (hi - lo + 1));
}

/**
 * Element-wise check against a float64 reference: |actual - expected| <= rtol * magnitude, where magnitude
 * is the sum of absolute terms that formed the value (f32 accumulation error scales with it), at least |expected|.
 */
export function expectClose(actual: Float32Array, expected: ArrayLike<number>, magnitude: ArrayLike<number> | null, rtol = 1e-5, what = ''): void {
  if (actual.length !== expected.length) throw new Error(`${what}: length ${actual.length} != ${expected.length}`);
  for (let i = 0; i < actual.length; i++) {
    const e = expected[i];
    const mag = Math.max(Math.abs(e), magnitude ? magnitude[i] : 0, 1e-30);
    const err = Math.abs(actual[i] - e);
    if (!(err <= rtol * mag + 1e-7 * rtol)) {
      throw new Error(`${what}: element ${i}: got ${actual[i]}, expected ${e} (error ${err}, allowed ${rtol * mag})`);
    }
  }
}

/** One UNARY op applying `act` (with `alpha`) to all of x, run in the wasm module. */
export function runUnary(act: Act, alpha: number, x: Float32Array): Float32Array {
  const mb = new ModelBuilder();
  const input = mb.activation([x.length]);
  const out = mb.activation([x.length]);
  mb.op({ op: Op.Unary, out, a: input, act, alpha });
  const rt = new WasmRuntime();
  const code = rt.load(mb.build(input, [out]));
  if (code !== 0) throw new Error(`load failed with ${code}`);
  return rt.run(EntryKind.Decode, x, 1, [x.length])[0]!;
}

/** The same model through the plain TypeScript forward pass (reference/interpreter.ts), one sample at a time. */
export function runReference(bytes: Uint8Array, kind: number, x: Float32Array, n: number, outSize: number): Float32Array {
  const interpreter = new Interpreter(readEditable(bytes));
  const inSize = x.length / n;
  const out = new Float32Array(n * outSize);
  for (let s = 0; s < n; s++) out.set(interpreter.run(kind, x.subarray(s * inSize, (s + 1) * inSize))[0]!, s * outSize);
  return out;
}
