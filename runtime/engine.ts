// Low-level driver of build/edgevae.wasm (host interface in docs/format.md): validates a model in
// TypeScript first (precise messages), loads it into a fresh wasm instance, copies samples in and out
// and splits batches larger than maxBatch into chunks. Browser-safe: no Node imports.
// The CRC-32 is computed once per load, by the wasm loader; a file refused for its checksum (or by the
// TypeScript reader) is read again with the checksum in TypeScript, so the message is the one readModel gives.
import { readModel, type EntryName, type ModelInfo } from './format.js';
import { InputError, ModelFormatError, RuntimeError } from './errors.js';
import { describeWasmError } from './wasm-errors.js';

/** The host interface of build/edgevae.wasm (docs/format.md); tests and the fuzzer use it too. */
export interface WasmExports {
  memory: WebAssembly.Memory;
  alloc(bytes: number): number;
  load(ptr: number, len: number, maxBatch: number): number;
  errorDetail(): number;
  entryInput(kind: number): number;
  entryOutput(kind: number, k: number): number;
  run(kind: number, n: number): number;
  sampleNormal(ptr: number, count: number, seed: number, temperature: number): void;
  /** relaxed build only: 1 turns on fused multiply-adds in the f32 conv loops */
  setFusedF32?(on: number): void;
}

const REQUIRED_EXPORTS = ['memory', 'alloc', 'load', 'errorDetail', 'entryInput', 'entryOutput', 'run', 'sampleNormal'] as const;
const ENTRY_CODE: Record<EntryName, number> = { encode: 0, decode: 1 };
/** Codes of assembly/errors.ts that mean "the file is invalid" (as opposed to unsupported / out of memory). */
const LAST_FORMAT_ERROR = -19;
/** assembly/errors.ts E_BAD_CHECKSUM */
const BAD_CHECKSUM = -5;
export const MAX_BATCH_LIMIT = 65535;
/** wasm32 memory is at most 4 GiB; keep the arena well below it. */
const MAX_ARENA_BYTES = 2 ** 31;
/** Values one sampleNormal call may produce (1 GiB of f32), well inside wasm32 memory. */
const MAX_SAMPLE_VALUES = 2 ** 28;

export interface EntrySizes {
  /** floats per sample of the input */
  input: number;
  /** floats per sample of each output */
  outputs: number[];
}

export class Engine {
  private instance: WasmExports;
  /** True while the instance has allocated nothing, so a load may use it instead of a fresh one. */
  private pristine = true;
  private loaded: { info: ModelInfo; maxBatch: number } | undefined;
  private scratch = { ptr: 0, bytes: 0 };
  private fusedF32 = false;

  private constructor(private readonly module: WebAssembly.Module, first: WasmExports) {
    this.instance = first;
  }

  /** Compiles (if needed) and instantiates the runtime module. */
  static async create(wasm: BufferSource | WebAssembly.Module): Promise<Engine> {
    const module = wasm instanceof WebAssembly.Module ? wasm : await compileRuntime(wasm);
    return new Engine(module, await instantiate(module));
  }

  /** True when the module is the relaxed-SIMD build (it exports setFusedF32). */
  get relaxedBuild(): boolean {
    return typeof this.instance.setFusedF32 === 'function';
  }

  /** Relaxed build: fused f32 multiply-adds (exact per engine and hardware, not across them) for this and later loads. */
  setFusedF32(on: boolean): void {
    if (on && !this.relaxedBuild) throw new InputError('fused f32 needs the relaxed-SIMD runtime module');
    this.fusedF32 = on;
    this.instance.setFusedF32?.(on ? 1 : 0);
  }

  get model(): ModelInfo {
    if (!this.loaded) throw new InputError('no model loaded: call engine.load(modelBytes, maxBatch) first');
    return this.loaded.info;
  }

  /** Current size of the module's linear memory (model, packed weights, arena, scratch). */
  get memoryBytes(): number {
    return this.instance.memory.buffer.byteLength;
  }

  get maxBatch(): number {
    return this.loaded?.maxBatch ?? 0;
  }

  hasEntry(kind: EntryName): boolean {
    return this.loaded?.info.entries.some((e) => e.kind === kind) ?? false;
  }

  /** Floats per sample of an entry's input and outputs. */
  entrySizes(kind: EntryName): EntrySizes {
    const info = this.model;
    const entry = info.entries.find((e) => e.kind === kind);
    if (!entry) throw new InputError(`the model has no ${kind} entry (it has: ${info.entries.map((e) => e.kind).join(', ') || 'none'})`);
    return { input: info.tensors[entry.input].elements, outputs: entry.outputs.map((t) => info.tensors[t].elements) };
  }

  /**
   * Validates `modelBytes` (TypeScript reader, then the wasm loader) and makes it the engine's model.
   * Each load uses a fresh wasm instance: the module's allocator never frees, so reusing would leak.
   */
  async load(modelBytes: Uint8Array, maxBatch: number): Promise<ModelInfo> {
    if (!Number.isInteger(maxBatch) || maxBatch < 1 || maxBatch > MAX_BATCH_LIMIT) {
      throw new InputError(`maxBatch must be an integer in 1..${MAX_BATCH_LIMIT}, got ${maxBatch}`);
    }
    const info = readSkippingChecksum(modelBytes);
    if (info.arenaPerSample * maxBatch > MAX_ARENA_BYTES) {
      readModel(modelBytes); // a corrupted file is reported as such, not as a batch problem
      throw new InputError(`maxBatch ${maxBatch} needs a ${info.arenaPerSample * maxBatch}-byte arena (limit ${MAX_ARENA_BYTES}); use a smaller maxBatch`);
    }
    const w = this.pristine ? this.instance : await instantiate(this.module);
    this.instance = w;
    w.setFusedF32?.(this.fusedF32 ? 1 : 0);
    this.pristine = false;
    this.loaded = undefined;
    this.scratch = { ptr: 0, bytes: 0 };
    // Addresses are u32 but arrive as signed i32: above 2 GiB they would be negative without >>> 0.
    const ptr = w.alloc(modelBytes.length) >>> 0;
    if (ptr === 0) throw new RuntimeError(`could not allocate ${modelBytes.length} bytes of wasm memory for the model`, -21);
    new Uint8Array(w.memory.buffer, ptr, modelBytes.length).set(modelBytes);
    const rc = w.load(ptr, modelBytes.length, maxBatch);
    if (rc !== 0) {
      if (rc === BAD_CHECKSUM) readModel(modelBytes); // throws readModel's "checksum mismatch: ..." message
      const message = `wasm runtime refused the model: ${describeWasmError(rc, w.errorDetail())}`;
      if (rc < 0 && rc >= LAST_FORMAT_ERROR) throw new ModelFormatError(message);
      throw new RuntimeError(message, rc);
    }
    this.loaded = { info, maxBatch };
    return info;
  }

  /**
   * Runs entry `kind` on `n` samples packed in `input` (n * inputSize floats, ONNX order). Returns one
   * Float32Array per output (n * outputSize floats each). Batches above maxBatch run in chunks.
   */
  run(kind: EntryName, input: Float32Array, n: number): Float32Array[] {
    if (!(input instanceof Float32Array)) throw new InputError(`${kind}: input must be a Float32Array`);
    checkCount(`${kind}: batch`, n);
    const sizes = this.entrySizes(kind);
    if (input.length !== n * sizes.input) {
      throw new InputError(`${kind}: input has ${input.length} values, expected ${n} x ${sizes.input} = ${n * sizes.input}`);
    }
    const w = this.instance;
    const code = ENTRY_CODE[kind];
    const maxBatch = this.loaded!.maxBatch;
    const outputs = sizes.outputs.map((size) => new Float32Array(n * size));
    for (let start = 0; start < n; start += maxBatch) {
      const m = Math.min(maxBatch, n - start);
      new Float32Array(w.memory.buffer, w.entryInput(code) >>> 0, m * sizes.input)
        .set(input.subarray(start * sizes.input, (start + m) * sizes.input));
      const rc = w.run(code, m);
      if (rc !== 0) throw new RuntimeError(`${kind} failed in the wasm runtime: ${describeWasmError(rc, w.errorDetail())}`, rc);
      sizes.outputs.forEach((size, k) => {
        // Views are created after run(): memory.buffer changes identity whenever memory grows.
        outputs[k].set(new Float32Array(w.memory.buffer, w.entryOutput(code, k) >>> 0, m * size), start * size);
      });
    }
    return outputs;
  }

  /**
   * Values of f32 activation tensor `t` for samples 0..n-1 as the last run left them (ONNX order within a
   * sample is the tensor's storage order: HWC for rank 3). Only meaningful when that run was one chunk
   * (n <= maxBatch) and no later op reused the tensor's bytes; the quantizer's calibration plans for that.
   */
  activationValues(t: number, n: number): Float32Array {
    const v = this.activationView(t, n);
    return v.buffer === this.instance.memory.buffer ? v.slice() : v;
  }

  /**
   * activationValues, without the copy where it can: a view of the wasm memory (valid until the next run or
   * load) when the samples lie back to back (byteLength = 4 x elements), else a copy.
   */
  activationView(t: number, n: number): Float32Array {
    const info = this.model;
    const tensor = info.tensors[t];
    if (!tensor || tensor.kind !== 'activation' || tensor.dtype !== 'f32') throw new InputError(`tensor ${t} is not an f32 activation`);
    checkCount('activationValues: samples', n);
    const maxBatch = this.loaded!.maxBatch;
    if (n > maxBatch) throw new InputError(`activationValues: ${n} samples exceed maxBatch ${maxBatch}`);
    const w = this.instance;
    const entry = info.entries[0]!;
    const arenaBase = (w.entryInput(ENTRY_CODE[entry.kind]) >>> 0) - info.tensors[entry.input]!.offset * maxBatch;
    const first = arenaBase + tensor.offset * maxBatch; // sample s starts s * byteLength later
    if (tensor.byteLength === 4 * tensor.elements) return new Float32Array(w.memory.buffer, first, n * tensor.elements);
    const out = new Float32Array(n * tensor.elements);
    for (let s = 0; s < n; s++) out.set(new Float32Array(w.memory.buffer, first + s * tensor.byteLength, tensor.elements), s * tensor.elements);
    return out;
  }

  /** `count` deterministic N(0, temperature^2) values from the runtime's sampler (same on every host). */
  sampleNormal(count: number, seed: number, temperature: number): Float32Array {
    if (!Number.isInteger(count) || count < 0) throw new InputError(`sample count must be a non-negative integer, got ${count}`);
    // alloc() takes a u32: a larger request would wrap around and the sampler would write past the block.
    if (count > MAX_SAMPLE_VALUES) throw new InputError(`sample count ${count} is too large (at most ${MAX_SAMPLE_VALUES} values per call)`);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InputError(`seed must be an integer in 0..4294967295, got ${seed}`);
    if (!Number.isFinite(temperature) || temperature < 0) throw new InputError(`temperature must be a finite number >= 0, got ${temperature}`);
    if (count === 0) return new Float32Array(0);
    const w = this.instance;
    this.pristine = false;
    const bytes = count * 4;
    if (bytes > this.scratch.bytes) {
      // The allocator never frees: grow geometrically so repeated calls stay bounded.
      const size = Math.min(Math.max(bytes, this.scratch.bytes * 2), MAX_SAMPLE_VALUES * 4);
      const ptr = w.alloc(size) >>> 0;
      if (ptr === 0) throw new RuntimeError(`could not allocate ${size} bytes of wasm memory for sampling`, -21);
      this.scratch = { ptr, bytes: size };
    }
    w.sampleNormal(this.scratch.ptr, count, seed >>> 0, temperature);
    return new Float32Array(w.memory.buffer, this.scratch.ptr, count).slice();
  }
}

/**
 * readModel without its CRC-32 pass (the wasm loader verifies the checksum). When the file is refused, it is
 * read again with the checksum, so a corrupted file gets the same first error as readModel gives.
 */
function readSkippingChecksum(bytes: Uint8Array): ModelInfo {
  try {
    return readModel(bytes, { skipChecksum: true });
  } catch (e) {
    readModel(bytes);
    throw e;
  }
}

function checkCount(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${what} must be a positive integer, got ${n}`);
}

/**
 * Compiles the runtime module. Synchronously when the host allows it: the async API hands the work to other
 * threads and back, which costs more than compiling the 32 KB module (or taking it from V8's cache) and is
 * slow on a busy machine. Browsers may refuse synchronous compiles on the main thread (older Chrome above
 * 4 KB, current above 8 MB) with a RangeError; then it compiles asynchronously.
 */
export async function compileRuntime(bytes: BufferSource): Promise<WebAssembly.Module> {
  try {
    return new WebAssembly.Module(bytes);
  } catch (e) {
    if (e instanceof RangeError) return WebAssembly.compile(bytes);
    throw e;
  }
}

async function instantiate(module: WebAssembly.Module): Promise<WasmExports> {
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, {}); // synchronous for the same reason as compileRuntime
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    instance = await WebAssembly.instantiate(module, {});
  }
  const exports = instance.exports as Record<string, unknown>;
  for (const name of REQUIRED_EXPORTS) {
    const ok = name === 'memory' ? exports[name] instanceof WebAssembly.Memory : typeof exports[name] === 'function';
    if (!ok) throw new RuntimeError(`the wasm module is not the edgevae runtime: export "${name}" is missing`, 0);
  }
  return exports as unknown as WasmExports;
}
