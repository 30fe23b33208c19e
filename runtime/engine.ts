// Low-level driver of build/edgevae.wasm (host interface in docs/format.md): validates a model in
// TypeScript first (precise messages), loads it into a fresh wasm instance, copies samples in and out
// and splits batches larger than maxBatch into chunks. Browser-safe: no Node imports.
// The CRC-32 is computed once per load, by the wasm loader; a file refused for its checksum (or by the
// TypeScript reader) is read again with the checksum in TypeScript, so the message is the one readModel gives.
import { readModel, type EntryName, type ModelInfo } from './format.js';
import { InputError, ModelFormatError, RuntimeError } from './errors.js';
import { describeWasmError } from './wasm-errors.js';
import { LAST_FORMAT_ERROR, wasmErrorCode } from '../format/errors.js';

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
  decodeSequences(zPtr: number, n: number, outPtr: number, maxLength: number, seed: number, temperature: number, topK: number,
    firstIndex: number): number;
  /** relaxed build only: 1 turns on fused multiply-adds in the f32 conv loops */
  setFusedF32?(on: number): void;
}

/** How the decode loop picks each token (docs/format.md "Sequence models"). */
export interface DecodeOptions {
  /** 0 (default): the file's maximum length; never more than it or MAX_SEQUENCE_LENGTH */
  maxLength?: number;
  seed?: number;
  /** 0 (default): greedy */
  temperature?: number;
  /** 0 (default): all tokens */
  topK?: number;
}

const REQUIRED_EXPORTS =
  ['memory', 'alloc', 'load', 'errorDetail', 'entryInput', 'entryOutput', 'run', 'sampleNormal', 'decodeSequences'] as const;
const ENTRY_CODE: Record<EntryName, number> = { encode: 0, decode: 1, 'seq-encode': 2, 'seq-init': 3, 'seq-step': 4 };
const BAD_CHECKSUM = wasmErrorCode('BAD_CHECKSUM');
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

  private constructor(private readonly module: WebAssembly.Module, first: WasmExports, private readonly imports: WebAssembly.Imports) {
    this.instance = first;
  }

  /**
   * Compiles (if needed) and instantiates the runtime module. `imports`: only for the threaded build, whose
   * memory is imported (runtime/threads/team.ts); such an engine takes one load.
   */
  static async create(wasm: BufferSource | WebAssembly.Module, imports: WebAssembly.Imports = {}): Promise<Engine> {
    const module = wasm instanceof WebAssembly.Module ? wasm : await compileRuntime(wasm);
    return new Engine(module, await instantiate(module, imports), imports);
  }

  /** The instance's exports (runtime/threads/team.ts calls the threaded build's extra ones). */
  get exports(): WasmExports {
    return this.instance;
  }

  /** The compiled module the engine instantiates. */
  get wasmModule(): WebAssembly.Module {
    return this.module;
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
      throw new InputError(
        `maxBatch ${maxBatch} needs a ${info.arenaPerSample * maxBatch}-byte arena (limit ${MAX_ARENA_BYTES}); use a smaller maxBatch`);
    }
    if (!this.pristine && Object.keys(this.imports).length > 0) throw new InputError(
      'an engine on an imported memory takes one load; create another');
    const w = this.pristine ? this.instance : await instantiate(this.module, this.imports);
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
    for (let s = 0; s < n; s++) out.set(new Float32Array(w.memory.buffer, first + s * tensor.byteLength, tensor.elements),
      s * tensor.elements);
    return out;
  }

  /**
   * Decodes one token sequence per latent (z: n x L floats) inside the module: n rows of token ids, each ending
   * before the stop token (or at the length limit). Batches above maxBatch run in chunks; the sampler's draws depend
   * only on (seed, sequence index, step), so chunking does not change the result.
   */
  decodeSequences(z: Float32Array, n: number, opts: DecodeOptions = {}): Int32Array[] {
    const seq = this.model.sequence;
    if (!seq) throw new InputError('the model is not a sequence model (no seq-init / seq-step entries)');
    checkCount('decodeSequences: count', n);
    if (!(z instanceof Float32Array) || z.length !== n * seq.latentSize) throw new InputError(
      `latents: expected ${n} x ${seq.latentSize} = ${n * seq.latentSize} floats, got ${z.length}`);
    const maxLength = opts.maxLength ?? 0, seed = opts.seed ?? 0, temperature = opts.temperature ?? 0, topK = opts.topK ?? 0;
    if (!Number.isInteger(maxLength) || maxLength < 0) throw new InputError(`maxLength must be a non-negative integer, got ${maxLength}`);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InputError(
      `seed must be an integer in 0..4294967295, got ${seed}`);
    if (!Number.isFinite(temperature) || temperature < 0) throw new InputError(
      `temperature must be a finite number >= 0, got ${temperature}`);
    if (!Number.isInteger(topK) || topK < 0) throw new InputError(`topK must be a non-negative integer, got ${topK}`);
    const limit = Math.min(maxLength || seq.maxLength, seq.maxLength);
    const w = this.instance;
    const maxBatch = this.loaded!.maxBatch;
    const chunk = Math.min(maxBatch, n);
    const zBytes = chunk * seq.latentSize * 4;
    const need = zBytes + chunk * limit * 4;
    if (need > this.scratch.bytes) {
      const size = Math.max(need, this.scratch.bytes * 2);
      const ptr = w.alloc(size) >>> 0;
      if (ptr === 0) throw new RuntimeError(`could not allocate ${size} bytes of wasm memory for decoding`, -21);
      this.scratch = { ptr, bytes: size };
    }
    const rows: Int32Array[] = [];
    for (let start = 0; start < n; start += maxBatch) {
      const m = Math.min(maxBatch, n - start);
      const zPtr = this.scratch.ptr, outPtr = zPtr + zBytes;
      new Float32Array(w.memory.buffer, zPtr, m * seq.latentSize).set(z.subarray(start * seq.latentSize, (start + m) * seq.latentSize));
      const rc = w.decodeSequences(zPtr, m, outPtr, limit, seed >>> 0, temperature, topK, start);
      if (rc < 0) throw new RuntimeError(`decoding failed in the wasm runtime: ${describeWasmError(rc, w.errorDetail())}`, rc);
      const out = new Int32Array(w.memory.buffer, outPtr, m * rc);
      for (let s = 0; s < m; s++) {
        const row = out.subarray(s * rc, (s + 1) * rc);
        const end = row.indexOf(-1);
        rows.push(row.slice(0, end < 0 ? rc : end));
      }
    }
    return rows;
  }

  /** `count` deterministic N(0, temperature^2) values from the runtime's sampler (same on every host). */
  sampleNormal(count: number, seed: number, temperature: number): Float32Array {
    if (!Number.isInteger(count) || count < 0) throw new InputError(`sample count must be a non-negative integer, got ${count}`);
    // alloc() takes a u32: a larger request would wrap around and the sampler would write past the block.
    if (count > MAX_SAMPLE_VALUES) throw new InputError(
      `sample count ${count} is too large (at most ${MAX_SAMPLE_VALUES} values per call)`);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new InputError(
      `seed must be an integer in 0..4294967295, got ${seed}`);
    if (!Number.isFinite(temperature) || temperature < 0) throw new InputError(
      `temperature must be a finite number >= 0, got ${temperature}`);
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

async function instantiate(module: WebAssembly.Module, imports: WebAssembly.Imports): Promise<WasmExports> {
  let instance: WebAssembly.Instance;
  try {
    instance = new WebAssembly.Instance(module, imports); // synchronous for the same reason as compileRuntime
  } catch (e) {
    if (!(e instanceof RangeError)) throw e;
    instance = await WebAssembly.instantiate(module, imports);
  }
  const exports = instance.exports as Record<string, unknown>;
  for (const name of REQUIRED_EXPORTS) {
    const ok = name === 'memory' ? exports[name] instanceof WebAssembly.Memory : typeof exports[name] === 'function';
    if (!ok) throw new RuntimeError(`the wasm module is not the edgevae runtime: export "${name}" is missing`, 0);
  }
  return exports as unknown as WasmExports;
}
