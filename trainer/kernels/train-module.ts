// Loads build/train-kernels.wasm (assembly/train-kernels/) and runs its kernels on Float32Arrays.
// The module has no allocator: this class lays tensors out in its (shared) memory one call at a
// time (inputs, output, scratch, each 16-byte aligned) and grows the memory when a call needs more.
// With threads > 1 the convolutions split the batch by images over a worker pool.
import { readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join } from 'node:path';
import { packageRoot } from '../../runtime/node.js';
import { WorkerPool, type Call } from './worker-pool.js';

/** NHWC convolution geometry (dilation 1); filter is HWIO [filterHeight, filterWidth, inChannels, outChannels]. */
export interface ConvGeometry {
  batch: number;
  inHeight: number;
  inWidth: number;
  inChannels: number;
  outHeight: number;
  outWidth: number;
  outChannels: number;
  filterHeight: number;
  filterWidth: number;
  strideHeight: number;
  strideWidth: number;
  padTop: number;
  padLeft: number;
}

interface TrainKernelExports {
  heapBase(): number;
  setConvGeometry(...dims: number[]): void;
  conv2d(x: number, w: number, y: number, scratch: number): void;
  conv2dScratchBytes(): number;
  conv2dBackpropInput(dy: number, w: number, dx: number, dxFloats: number, scratch: number): void;
  conv2dBackpropInputScratchBytes(): number;
  conv2dBackpropFilter(x: number, dy: number, dw: number, scratch: number): void;
  conv2dBackpropFilterScratchBytes(): number;
  conv2dBackpropFilterDirect(x: number, dy: number, dw: number, scratch: number): void;
  conv2dBackpropFilterDirectScratchBytes(): number;
  conv2dBackpropInputDirect(dy: number, w: number, dx: number, dxFloats: number, scratch: number): void;
  conv2dBackpropInputDirectScratchBytes(): number;
  conv2dDirect(x: number, w: number, y: number, scratch: number): void;
  conv2dDirectScratchBytes(): number;
  matmul(a: number, b: number, c: number, m: number, k: number, n: number, transposeA: number, transposeB: number, scratch: number): void;
  matmulScratchBytes(m: number, k: number, n: number): number;
  sumRows(x: number, rows: number, cols: number, out: number, scratch: number): void;
  sumRowsScratchBytes(cols: number): number;
}

/** A batch of matrix products C[i] = op(A[i]) * op(B[i]); a batch of 1 on either side is broadcast. */
export interface MatMulGeometry {
  batchA: number;
  batchB: number;
  m: number;
  k: number;
  n: number;
  transposeA: boolean;
  transposeB: boolean;
}

/**
 * Below this many output channels the convolutions skip the GEMM (assembly/train-kernels/direct.ts): its
 * 4x8 tiles would be mostly empty and the im2col/col2im traffic would cost as much as the
 * multiplies. On the 32 -> 1 output conv the gradients measured ~2x faster than GEMM or a
 * flipped-filter convolution.
 */
const FEW_OUTPUT_CHANNELS = 4;

/** Convolutions smaller than this many multiply-adds stay on one thread (waking a worker costs ~0.1 ms). */
const MIN_PARALLEL_MACS = 1 << 21;

/**
 * build/train-kernels.wasm of this package, found the way the runtime finds build/edgevae.wasm (by the
 * package root, not relative to this file, which is one folder deeper when compiled into dist/).
 */
export function defaultTrainKernelsPath(): string {
  return join(packageRoot(), 'build', 'train-kernels.wasm');
}
const PAGE = 65536;
/** Must match maximumMemory in assembly/train-kernels/asconfig.json (shared memory needs a maximum). */
const MAX_PAGES = 32768;
const MAX_BYTES = MAX_PAGES * PAGE;

export interface LoadOptions {
  /** The module's bytes; read from build/train-kernels.wasm when omitted. */
  bytes?: Uint8Array;
  /** Threads for the convolutions, the caller's included. Default 1. */
  threads?: number;
}

/** Threads worth using on this machine: one per core, at most 4. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(4, availableParallelism()));
}

const align16 = (n: number) => (n + 15) & ~15;

export function inputSize(g: ConvGeometry): number {
  return g.batch * g.inHeight * g.inWidth * g.inChannels;
}
export function outputSize(g: ConvGeometry): number {
  return g.batch * g.outHeight * g.outWidth * g.outChannels;
}
export function filterSize(g: ConvGeometry): number {
  return g.filterHeight * g.filterWidth * g.inChannels * g.outChannels;
}

function geometryArgs(g: ConvGeometry, batch: number): number[] {
  return [
    batch, g.inHeight, g.inWidth, g.inChannels, g.outHeight, g.outWidth, g.outChannels,
    g.filterHeight, g.filterWidth, g.strideHeight, g.strideWidth, g.padTop, g.padLeft,
  ];
}

type ConvKernelName = 'conv2d' | 'conv2dBackpropInput' | 'conv2dBackpropFilter';
/** name, values, the count the geometry needs */
type ConvOperand = [string, Float32Array, number];

export class TrainKernelModule {
  private pool: WorkerPool | undefined;

  private constructor(
    private readonly exports: TrainKernelExports,
    private readonly memory: WebAssembly.Memory,
    private readonly module: WebAssembly.Module,
  ) {}

  static async load(options: LoadOptions = {}): Promise<TrainKernelModule> {
    let wasm: Uint8Array;
    if (options.bytes) {
      wasm = options.bytes;
    } else {
      const path = defaultTrainKernelsPath();
      try {
        wasm = await readFile(path);
      } catch (e) {
        const why = (e as NodeJS.ErrnoException).code === 'ENOENT' ? 'not found' : (e as Error).message;
        throw new Error(`${path} ${why} (in a checkout: npm run build:train-wasm)`);
      }
    }
    const module = await WebAssembly.compile(wasm as Uint8Array<ArrayBuffer>);
    const memory = new WebAssembly.Memory({ initial: 1, maximum: MAX_PAGES, shared: true });
    const instance = await WebAssembly.instantiate(module, { env: { memory } });
    const mod = new TrainKernelModule(instance.exports as unknown as TrainKernelExports, memory, module);
    await mod.setThreads(options.threads ?? 1);
    return mod;
  }

  /** Threads the convolutions use, the caller's included. */
  get threads(): number {
    return (this.pool?.size ?? 0) + 1;
  }

  async setThreads(threads: number): Promise<void> {
    if (!Number.isInteger(threads) || threads < 1) throw new Error(`train kernels: threads must be a positive integer, got ${threads}`);
    if (threads === this.threads) return;
    await this.pool?.terminate();
    this.pool = undefined;
    if (threads > 1) {
      const names = Object.keys(this.exports).filter((k) => typeof (this.exports as unknown as Record<string, unknown>)[k] === 'function');
      this.pool = await WorkerPool.start(this.module, this.memory, names, threads - 1);
    }
  }

  /** Stops the worker threads. */
  async dispose(): Promise<void> {
    await this.setThreads(1);
  }

  /** y [batch, outH, outW, outC] = conv(x, filter). */
  conv2d(x: Float32Array, filter: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array {
    const [, , py] = this.runConv('conv2d', g, [['x', x, inputSize(g)], ['filter', filter, filterSize(g)]], () => [outputSize(g) * 4],
      ([px, pw, py], s) => [px! + s.n0 * s.xImage * 4, pw!, py! + s.n0 * s.yImage * 4]);
    return this.take(py!, outputSize(g), out);
  }

  /** dx [batch, inH, inW, inC]: gradient of conv2d w.r.t. its input (also transposed convolution). */
  conv2dBackpropInput(dy: Float32Array, filter: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array {
    const inputs: ConvOperand[] = [['dy', dy, outputSize(g)], ['filter', filter, filterSize(g)]];
    const [, , pdx] = this.runConv('conv2dBackpropInput', g, inputs, () => [inputSize(g) * 4],
      ([pdy, pw, pdx], s) => [pdy! + s.n0 * s.yImage * 4, pw!, pdx! + s.n0 * s.xImage * 4, (s.n1 - s.n0) * s.xImage]);
    return this.take(pdx!, inputSize(g), out);
  }

  /** dw [filterH, filterW, inC, outC]: gradient of conv2d w.r.t. its filter. */
  conv2dBackpropFilter(x: Float32Array, dy: Float32Array, g: ConvGeometry, out?: Float32Array): Float32Array {
    const dwSize = filterSize(g);
    // Each share writes its own partial dW; the partials are summed here.
    const [, , ...partials] = this.runConv('conv2dBackpropFilter', g, [['x', x, inputSize(g)], ['dy', dy, outputSize(g)]],
      (shares) => Array.from({ length: shares }, () => dwSize * 4),
      ([px, pdy, ...partials], s) => [px! + s.n0 * s.xImage * 4, pdy! + s.n0 * s.yImage * 4, partials[s.i]!]);
    const result = out ?? new Float32Array(dwSize);
    if (result.length !== dwSize) throw new Error(`train kernels: output buffer has ${result.length} values, expected ${dwSize}`);
    result.set(new Float32Array(this.memory.buffer, partials[0]!, dwSize));
    for (let i = 1; i < partials.length; i++) {
      const partial = new Float32Array(this.memory.buffer, partials[i]!, dwSize);
      for (let j = 0; j < dwSize; j++) result[j] += partial[j]!;
    }
    return result;
  }

  /** c [max(batchA, batchB), m, n]; a is [batchA, m, k] ([batchA, k, m] if transposeA), b likewise. */
  matmul(a: Float32Array, b: Float32Array, g: MatMulGeometry, out?: Float32Array): Float32Array {
    const { batchA, batchB, m, k, n } = g;
    for (const [key, v] of Object.entries({ batchA, batchB, m, k, n })) {
      if (!Number.isInteger(v) || v < 1) throw new Error(`matmul: ${key} must be a positive integer, got ${v}`);
    }
    if (batchA !== batchB && batchA !== 1 && batchB !== 1) {
      throw new Error(`matmul: batch sizes ${batchA} and ${batchB} do not broadcast (equal, or one of them 1)`);
    }
    if (a.length !== batchA * m * k) throw new Error(`matmul: a has ${a.length} values, expected ${batchA}x${m}x${k}`);
    if (b.length !== batchB * k * n) throw new Error(`matmul: b has ${b.length} values, expected ${batchB}x${k}x${n}`);
    const batch = Math.max(batchA, batchB);
    const e = this.exports;
    const [pa, pb, pc, scratch] = this.reserve([a.length * 4, b.length * 4, batch * m * n * 4], e.matmulScratchBytes(m, k, n), 1);
    this.put(pa, a);
    this.put(pb, b);
    for (let i = 0; i < batch; i++) {
      e.matmul(
        pa + (batchA === 1 ? 0 : i * m * k * 4), pb + (batchB === 1 ? 0 : i * k * n * 4), pc + i * m * n * 4,
        m, k, n, g.transposeA ? 1 : 0, g.transposeB ? 1 : 0, scratch!,
      );
    }
    return this.take(pc, batch * m * n, out);
  }

  /** out[c] = sum over rows of x[r, c] for a row-major [rows, cols] matrix. */
  sumRows(x: Float32Array, rows: number, cols: number, out?: Float32Array): Float32Array {
    if (!Number.isInteger(rows) || !Number.isInteger(cols) || rows < 0 || cols < 1) {
      throw new Error(`sumRows: rows must be >= 0 and cols >= 1 (integers), got ${rows} x ${cols}`);
    }
    if (x.length !== rows * cols) throw new Error(`sumRows: x has ${x.length} values, expected ${rows}x${cols}`);
    const e = this.exports;
    const [px, pout, scratch] = this.reserve([x.length * 4, cols * 4], e.sumRowsScratchBytes(cols), 1);
    this.put(px, x);
    e.sumRows(px, rows, cols, pout!, scratch!);
    return this.take(pout!, cols, out);
  }

  /**
   * The three conv kernels' common run: checks the operands, sets the geometry, picks the kernel (its `Direct` form
   * when there are few output channels), copies the inputs in, reserves `outBytes(shares)` after them and a scratch
   * block per share, and calls the kernel once per share of the batch with `args` between the kernel name and the
   * share's scratch. Returns the addresses of the inputs and outputs, in order.
   */
  private runConv(name: ConvKernelName, g: ConvGeometry, inputs: ConvOperand[], outBytes: (shares: number) => number[],
    args: (at: number[], share: { i: number; n0: number; n1: number; xImage: number; yImage: number }) => number[]): number[] {
    this.check(name, g, inputs);
    this.configure(g, g.batch);
    const fn: `${ConvKernelName}${'' | 'Direct'}` = g.outChannels < FEW_OUTPUT_CHANNELS ? `${name}Direct` : name;
    const xImage = inputSize(g) / g.batch;
    const yImage = outputSize(g) / g.batch;
    const shares = this.planShares(g);
    const sizes = [...inputs.map(([, a]) => a.length * 4), ...outBytes(shares.length)];
    const reserved = this.reserve(sizes, this.exports[`${fn}ScratchBytes`](), shares.length);
    const at = reserved.slice(0, sizes.length);
    const scratch = reserved.slice(sizes.length);
    inputs.forEach(([, a], k) => this.put(at[k]!, a));
    this.runShares(shares.map(([n0, n1], i) => [
      ['setConvGeometry', ...geometryArgs(g, n1 - n0)],
      [fn, ...args(at, { i, n0, n1, xImage, yImage }), scratch[i]!],
    ]));
    return at;
  }

  private check(op: string, g: ConvGeometry, arrays: [string, Float32Array, number][]): void {
    for (const [key, v] of Object.entries(g)) {
      if (!Number.isInteger(v) || v < 0) throw new Error(`${op}: geometry ${key} must be a non-negative integer, got ${v}`);
    }
    for (const key of ['batch', 'strideHeight', 'strideWidth', 'filterHeight', 'filterWidth', 'inChannels', 'outChannels'] as const) {
      if (g[key] < 1) throw new Error(`${op}: geometry ${key} must be >= 1, got ${g[key]}`);
    }
    for (const [name, arr, expected] of arrays) {
      if (arr.length !== expected) {
        throw new Error(`${op}: ${name} has ${arr.length} values, the geometry needs ${expected}`);
      }
    }
  }

  private configure(g: ConvGeometry, batch: number): void {
    this.exports.setConvGeometry(...geometryArgs(g, batch));
  }

  /** Image ranges [n0, n1), one per thread, when the convolution is big enough to split. */
  planShares(g: ConvGeometry): [number, number][] {
    const macs = outputSize(g) * g.filterHeight * g.filterWidth * g.inChannels;
    const count = macs < MIN_PARALLEL_MACS ? 1 : Math.min(this.threads, g.batch);
    return Array.from({ length: count }, (_, i) => [Math.floor((i * g.batch) / count), Math.floor(((i + 1) * g.batch) / count)]);
  }

  private runShares(shares: Call[][]): void {
    const runHere = (calls: Call[]) => {
      const fns = this.exports as unknown as Record<string, (...args: number[]) => void>;
      for (const [name, ...args] of calls) fns[name]!(...args);
    };
    if (shares.length === 1 || !this.pool) {
      for (const calls of shares) runHere(calls);
    } else {
      this.pool.run(shares, runHere);
    }
  }

  /**
   * Byte offsets for consecutive 16-aligned regions, then `scratchCount` scratch regions of
   * `scratchBytes` each; grows memory to fit them all.
   */
  private reserve(regionBytes: number[], scratchBytes: number, scratchCount: number): number[] {
    const offsets: number[] = [];
    let at = align16(this.exports.heapBase());
    for (const bytes of [...regionBytes, ...Array<number>(scratchCount).fill(scratchBytes)]) {
      offsets.push(at);
      at = align16(at + bytes);
    }
    if (at > MAX_BYTES) throw new Error(`train kernels: a call needs ${at} bytes, more than the module's ${MAX_BYTES}`);
    const have = this.memory.buffer.byteLength;
    if (at > have) this.memory.grow(Math.ceil((at - have) / PAGE));
    return offsets;
  }

  private put(offset: number, values: Float32Array): void {
    new Float32Array(this.memory.buffer, offset, values.length).set(values);
  }

  private take(offset: number, length: number, out?: Float32Array): Float32Array {
    const view = new Float32Array(this.memory.buffer, offset, length);
    if (out === undefined) return view.slice();
    if (out.length !== length) throw new Error(`train kernels: output buffer has ${out.length} values, expected ${length}`);
    out.set(view);
    return out;
  }
}
