// Public runtime API: load an .evae model into the WebAssembly runtime and encode, decode, sample,
// reconstruct and interpolate. Browser-safe (no Node imports); Node helpers live in runtime/node.ts.
import { compileRuntime, Engine } from './engine.js';
import type { EntryName, ModelInfo } from './format.js';
import { InputError } from './errors.js';
import { interpolateLatents, latentArithmetic, type InterpolationMode, type LatentSet } from './latent.js';
import { chooseBuild, describeChoice, type RuntimeChoice, type SimdMode } from './simd-select.js';
import { Team, threadsUnavailable, MAX_THREADS, type MemberThread } from './threads/team.js';

export { readModel } from './format.js';
export type { ModelInfo, TensorInfo, EntryInfo, OpInfo, ReadOptions } from './format.js';
export { Engine } from './engine.js';
export { ModelFormatError, InputError, RuntimeError } from './errors.js';
export { interpolateLatents, latentArithmetic, meanLatent } from './latent.js';
export type { InterpolationMode, LatentSet } from './latent.js';
export { chooseBuild, relaxedSimdSupport, SIMD_MODES } from './simd-select.js';
export type { RuntimeChoice, SimdMode } from './simd-select.js';
export { probeVerdict, checkProbeResults } from './simd-probe.js';
export type { RelaxedSimdSupport } from './simd-probe.js';
export { encodeNpy, decodeNpy, NpyError } from './npy.js';
export { encodePng } from './png.js';
export { imageGrid } from './image-grid.js';
export { SequenceVae } from './sequence.js';
export type { SequenceModelInfo, SampleSequenceOptions, DecodedSequences, SequenceLoadOptions } from './sequence.js';
export type { DecodeOptions } from './engine.js';
export type { MemberThread } from './threads/team.js';

/** Where the runtime module comes from: bytes, a compiled module, or a URL / fetch Response (browsers). */
export type WasmSource = BufferSource | WebAssembly.Module | URL | string | Response;

export interface LoadOptions {
  /** the fixed-SIMD runtime module (build/edgevae.wasm) */
  wasm: WasmSource;
  /** the relaxed-SIMD runtime module (build/edgevae-relaxed.wasm); without it every load uses `wasm` */
  wasmRelaxed?: WasmSource;
  /**
   * auto (default): the relaxed module when given, supported by the engine and correct on a known-answer probe,
   * else the fixed one; fixed / relaxed force one (relaxed throws when it cannot run correctly). info.runtime says
   * which runs and why.
   */
  simd?: SimdMode;
  /**
   * Fused multiply-adds in the f32 convolutions (relaxed build only): faster, but exact only per
   * engine and hardware, not across them. Default false: f32 results stay bit-identical everywhere.
   */
  relaxedF32?: boolean;
  /** samples per wasm call (the arena is sized for it); larger batches run in chunks. Default 16. */
  maxBatch?: number;
  /** accept NaN/Infinity in inputs instead of rejecting them. Default false. */
  allowNonFinite?: boolean;
  /**
   * A device's memory budget in bytes: the load is refused (InputError) when the model, its packed weights and
   * its arena at maxBatch need more WebAssembly memory than this. Runs add only the latents of sample().
   */
  maxMemory?: number;
  /**
   * Threads computing each run together (docs/threads.md): 1 (default) runs on the calling thread alone; 'auto'
   * takes min(cores, 4). Results are identical to one thread, bit for bit. Needs threadsWasm and spawnThread
   * (runtime/node.ts loadModel supplies both); where the host has no shared memory (a page that is not
   * cross-origin isolated) the model runs on one thread and info.threads.note says why.
   */
  threads?: number | 'auto';
  /** the threaded build of the runtime (build/edgevae-threads.wasm) */
  threadsWasm?: WasmSource;
  /** starts one member thread: nodeMemberSpawner() (runtime/threads/node.js) or browserMemberSpawner(url) */
  spawnThread?: () => MemberThread;
}

export interface RunOptions {
  /** overrides LoadOptions.allowNonFinite for this call */
  allowNonFinite?: boolean;
}

export interface EdgeVaeInfo {
  entries: EntryName[];
  /** ONNX shape of one encoder input without the batch dim (e.g. [1, 28, 28]); undefined without an encoder */
  inputShape: number[] | undefined;
  latentSize: number;
  /** ONNX shape of one decoder output; undefined without a decoder */
  outputShape: number[] | undefined;
  quantization: string;
  sizes: { fileBytes: number; constantBytes: number; arenaBytesPerSample: number; maxBatch: number };
  metadata: Record<string, unknown>;
  /** which runtime build runs the model and why, and whether its f32 results are bit-exact across engines */
  runtime: RuntimeChoice;
  /** threads each run uses; note: why fewer than requested */
  threads: { count: number; note?: string };
}

export class EdgeVae {
  readonly info: EdgeVaeInfo;

  private constructor(private readonly engine: Engine, private readonly allowNonFinite: boolean, runtime: RuntimeChoice,
    private readonly team?: Team, threadNote?: string) {
    this.info = {
      ...describe(engine.model, engine), runtime, threads: { count: team?.size ?? 1, ...(threadNote ? { note: threadNote } : {}) },
    };
  }

  static async load(modelBytes: Uint8Array, options: LoadOptions): Promise<EdgeVae> {
    if (!options || options.wasm === undefined) throw new InputError('EdgeVae.load: options.wasm (the runtime module) is required');
    const { maxMemory } = options;
    if (maxMemory !== undefined && !(Number.isSafeInteger(maxMemory) && maxMemory > 0)) {
      throw new InputError(`EdgeVae.load: maxMemory must be a positive whole number of bytes, got ${maxMemory}`);
    }
    const maxBatch = options.maxBatch ?? 16;
    const threads = threadCount(options.threads);
    const why = threads > 1 ? threadsUnavailable() : undefined;
    const relaxedF32 = options.relaxedF32 ?? false;
    if (relaxedF32 && options.simd === 'fixed') throw new InputError('EdgeVae.load: relaxedF32 needs simd "auto" or "relaxed"');
    let engine: Engine, team: Team | undefined, choice: { build: 'fixed' | 'relaxed'; reason: string };
    if (threads > 1 && !why) {
      if (options.simd === 'relaxed' || relaxedF32) {
        throw new InputError(
          'EdgeVae.load: threads > 1 runs the fixed-SIMD threaded build; it cannot be combined with simd "relaxed" or relaxedF32');
      }
      if (options.threadsWasm === undefined) throw new InputError(
        'EdgeVae.load: threads > 1 needs options.threadsWasm (build/edgevae-threads.wasm)');
      if (typeof options.spawnThread !== 'function') throw new InputError('EdgeVae.load: threads > 1 needs options.spawnThread');
      team = await Team.start(await compileSource(options.threadsWasm), modelBytes, maxBatch, threads, options.spawnThread);
      engine = team.engine;
      choice = { build: 'fixed', reason: `the threaded build (${threads} threads) is fixed SIMD` };
    } else {
      choice = chooseBuild(options.simd ?? 'auto', options.wasmRelaxed !== undefined);
      engine = await Engine.create(await compileSource(choice.build === 'relaxed' ? options.wasmRelaxed! : options.wasm));
      if (choice.build === 'relaxed' && !engine.relaxedBuild) {
        throw new InputError('EdgeVae.load: options.wasmRelaxed is not the relaxed-SIMD runtime module (no setFusedF32 export)');
      }
      if (choice.build === 'relaxed') engine.setFusedF32(relaxedF32);
      await engine.load(modelBytes, maxBatch);
    }
    if (engine.model.entries.some((e) => e.kind.startsWith('seq-'))) {
      await team?.stop();
      throw new InputError('EdgeVae.load: this is a sequence model (seq-* entries): load it with SequenceVae.load');
    }
    if (maxMemory !== undefined && engine.memoryBytes > maxMemory) {
      await team?.stop();
      throw new InputError(`EdgeVae.load: the model needs ${engine.memoryBytes} bytes of WebAssembly memory at maxBatch ${maxBatch}, ` +
        `more than maxMemory (${maxMemory}); use a smaller maxBatch or an int8 model`);
    }
    return new EdgeVae(engine, options.allowNonFinite ?? false, describeChoice(choice, relaxedF32, engine.model.flags), team,
      why && `running on one thread: ${why}`);
  }

  /** Ends the member threads of a threaded model (later calls run on the calling thread alone); no-op otherwise. */
  async close(): Promise<void> {
    await this.team?.stop();
  }

  /** Bytes of WebAssembly linear memory this instance uses now (its peak: memory never shrinks). */
  get memoryBytes(): number {
    return this.engine.memoryBytes;
  }

  /** x: batch * prod(inputShape) floats in ONNX (CHW) order -> mu, logvar: batch * latentSize each. */
  encode(x: Float32Array, batch: number, options: RunOptions = {}): { mu: Float32Array; logvar: Float32Array } {
    this.checkInput('encode', x, batch, options);
    const [mu, logvar] = this.engine.run('encode', x, batch);
    return { mu, logvar };
  }

  /** z: batch * latentSize floats -> batch * prod(outputShape) floats in ONNX (CHW) order. */
  decode(z: Float32Array, batch: number, options: RunOptions = {}): Float32Array {
    this.checkInput('decode', z, batch, options);
    return this.engine.run('decode', z, batch)[0];
  }

  /** n latents from the runtime's deterministic N(0, temperature^2) sampler, and their decodings. */
  sample(n: number, { seed = 0, temperature = 1 }: { seed?: number; temperature?: number } = {}): { z: Float32Array;
    images: Float32Array } {
    this.requireEntry('decode');
    checkBatch('sample', n);
    const z = this.engine.sampleNormal(n * this.info.latentSize, seed, temperature);
    return { z, images: this.decode(z, n) };
  }

  /** Latent vector(s) drawn like sample(), without decoding. */
  sampleLatents(n: number, { seed = 0, temperature = 1 }: { seed?: number; temperature?: number } = {}): Float32Array {
    checkBatch('sampleLatents', n);
    if (this.info.latentSize === 0) throw new InputError('the model has neither an encode nor a decode entry');
    return this.engine.sampleNormal(n * this.info.latentSize, seed, temperature);
  }

  /** encode -> decode(mu): the deterministic reconstruction. */
  reconstruct(x: Float32Array, batch: number, options: RunOptions = {}): Float32Array {
    this.requireEntry('decode');
    return this.decode(this.encode(x, batch, options).mu, batch);
  }

  /** `steps` latents from zA to zB inclusive, packed (steps * latentSize). */
  interpolate(zA: Float32Array, zB: Float32Array, steps: number, mode: InterpolationMode = 'lerp'): Float32Array {
    this.checkLatent('zA', zA);
    this.checkLatent('zB', zB);
    return interpolateLatents(zA, zB, steps, mode);
  }

  /** interpolate() followed by decode(). */
  interpolateImages(zA: Float32Array, zB: Float32Array, steps: number, mode: InterpolationMode = 'lerp'): { z: Float32Array;
    images: Float32Array } {
    const z = this.interpolate(zA, zB, steps, mode);
    return { z, images: this.decode(z, steps) };
  }

  /** z = base + mean(plus) - mean(minus), e.g. base + mean(smiling) - mean(neutral). */
  latentArithmetic({ base, plus, minus }: { base: Float32Array; plus?: LatentSet; minus?: LatentSet }): Float32Array {
    return latentArithmetic(base, this.info.latentSize, plus, minus);
  }

  private requireEntry(kind: EntryName): void {
    if (!this.engine.hasEntry(kind)) {
      throw new InputError(`the model has no ${kind} entry (it has: ${this.info.entries.join(', ') || 'none'})`);
    }
  }

  private checkLatent(name: string, z: Float32Array): void {
    if (!(z instanceof Float32Array)) throw new InputError(`${name} must be a Float32Array`);
    if (z.length !== this.info.latentSize) throw new InputError(
      `${name} has ${z.length} values, expected the latent size ${this.info.latentSize}`);
  }

  private checkInput(kind: EntryName, data: Float32Array, batch: number, options: RunOptions): void {
    this.requireEntry(kind);
    checkBatch(kind, batch);
    if (!(data instanceof Float32Array)) throw new InputError(`${kind}: input must be a Float32Array`);
    const per = this.engine.entrySizes(kind).input;
    if (data.length !== batch * per) {
      throw new InputError(`${kind}: input has ${data.length} values, expected batch ${batch} x ${per} = ${batch * per}`);
    }
    if (options.allowNonFinite ?? this.allowNonFinite) return;
    for (let i = 0; i < data.length; i++) {
      if (!Number.isFinite(data[i])) {
        throw new InputError(`${kind}: input[${i}] (sample ${Math.floor(i / per)}, element ${i % per}) is ${data[i]}; ` +
          'inputs must be finite (pass { allowNonFinite: true } to run anyway)');
      }
    }
  }
}

/** options.threads as a count: 'auto' is min(cores, 4) (a decode's layers rarely split well over more). */
function threadCount(threads: number | 'auto' | undefined): number {
  if (threads === undefined) return 1;
  if (threads === 'auto') {
    const cores = (globalThis as { navigator?: { hardwareConcurrency?: number } }).navigator?.hardwareConcurrency ?? 1;
    return Math.max(1, Math.min(cores, 4));
  }
  if (!Number.isInteger(threads) || threads < 1 || threads > MAX_THREADS) {
    throw new InputError(`EdgeVae.load: threads must be an integer in 1..${MAX_THREADS} or 'auto', got ${String(threads)}`);
  }
  return threads;
}

function checkBatch(what: string, n: number): void {
  if (!Number.isInteger(n) || n < 1) throw new InputError(`${what}: batch must be a positive integer, got ${n}`);
}

/** Compiles the runtime module from any WasmSource (also used by SequenceVae). */
export async function compileSource(source: WasmSource): Promise<WebAssembly.Module> {
  if (source instanceof WebAssembly.Module) return source;
  // Bytes before Response: Node 20 loads its whole fetch implementation (~35 ms) when Response is first touched.
  if (ArrayBuffer.isView(source) || source instanceof ArrayBuffer) return compileRuntime(source);
  if (typeof source === 'string' || source instanceof URL) {
    const response = await fetch(source);
    if (!response.ok) throw new InputError(`could not fetch the runtime module ${String(source)}: HTTP ${response.status}`);
    return compileRuntime(await response.arrayBuffer());
  }
  if (typeof Response !== 'undefined' && source instanceof Response) return compileRuntime(await source.arrayBuffer());
  return compileRuntime(source as unknown as BufferSource); // anything else: WebAssembly rejects it with a TypeError
}

/** Shapes from the metadata when they agree with the entry tensors, else the flat sizes. */
function describe(model: ModelInfo, engine: Engine): Omit<EdgeVaeInfo, 'runtime' | 'threads'> {
  const meta = model.metadata;
  const sub = (key: string) => (typeof meta[key] === 'object' && meta[key] !== null ? meta[key] as Record<string, unknown> : {});
  const shapeOf = (candidates: unknown[], elements: number): number[] => {
    for (const c of candidates) {
      if (Array.isArray(c) && c.length > 0 && c.every((d) => Number.isInteger(d) && d > 0) &&
        c.reduce((p, d) => p * d, 1) === elements) return c;
    }
    return [elements];
  };
  const entries = model.entries.map((e) => e.kind);
  const enc = entries.includes('encode') ? engine.entrySizes('encode') : undefined;
  const dec = entries.includes('decode') ? engine.entrySizes('decode') : undefined;
  const quantization = typeof meta.quantization === 'string' ? meta.quantization : inferQuantization(model);
  return {
    entries,
    inputShape: enc && shapeOf([sub('encoder').inputShape, meta.inputShape], enc.input),
    latentSize: dec?.input ?? enc?.outputs[0] ?? 0,
    outputShape: dec && shapeOf([sub('decoder').outputShape, meta.outputShape, meta.inputShape], dec.outputs[0]),
    quantization,
    sizes: { fileBytes: model.fileSize, constantBytes: model.constantBytes, arenaBytesPerSample: model.arenaPerSample,
      maxBatch: engine.maxBatch },
    metadata: meta,
  };
}

function inferQuantization(model: ModelInfo): string {
  const weightTypes = new Set(model.tensors.filter((t) => t.kind === 'constant' && t.rank >= 2).map((t) => t.dtype));
  const i8Activations = model.tensors.some((t) => t.kind === 'activation' && t.dtype === 'i8');
  if (weightTypes.size > 1) return 'mixed';
  if (weightTypes.has('i8')) return i8Activations ? 'int8' : 'int8-weights';
  if (weightTypes.has('f16')) return 'f16';
  return 'f32';
}
