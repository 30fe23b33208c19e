// WorkerPool: decodes / samples a large batch on several cores, one runtime instance per worker. The batch
// is cut into contiguous slices, one per worker, and the outputs are put back in order; each sample is
// computed by the same kernels as in a single EdgeVae, so the results are identical byte for byte.
// Browser-safe: workers come from a `spawn` function (runtime/workers/node.ts and browser.ts provide them).
import { InputError } from '../errors.js';
import type { WorkerModelInfo, WorkerPort, WorkerRequest, WorkerResponse } from './protocol.js';

export type { WorkerPort, WorkerRequest, WorkerResponse, WorkerModelInfo } from './protocol.js';

export interface WorkerPoolOptions {
  /** the .evae model bytes */
  model: Uint8Array;
  /** the runtime module (build/edgevae.wasm): bytes or an already compiled module */
  wasm: BufferSource | WebAssembly.Module;
  /** number of workers (>= 1) */
  workers: number;
  /** samples per wasm call inside each worker (default 64) */
  maxBatch?: number;
  /**
   * intra-op threads per worker (docs/threads.md; default 1): each worker's model becomes a team of this many
   * threads. Needs threadsWasm, and workers that can start member threads (Node's do).
   */
  threads?: number;
  /** the threaded runtime (build/edgevae-threads.wasm), bytes or compiled; required when threads > 1 */
  threadsWasm?: BufferSource | WebAssembly.Module;
  /** creates worker number `index`; defaults to Node worker_threads when imported from workers/node.ts */
  spawn?: (index: number) => WorkerPort;
}

/** An error raised inside a worker, re-thrown in the caller with the worker's error name and message. */
export class WorkerTaskError extends Error {
  constructor(readonly errorName: string, message: string) {
    super(message);
    this.name = errorName;
  }
}

/** A request without its id (distributes over the union, unlike a plain Omit). */
type RequestBody = WorkerRequest extends infer R ? (R extends WorkerRequest ? Omit<R, 'id'> : never) : never;

interface Pending { resolve: (r: WorkerResponse & { ok: true }) => void; reject: (e: Error) => void }

class Connection {
  private nextId = 1;
  private readonly pending = new Map<number, Pending>();
  private failure: Error | undefined;

  constructor(readonly port: WorkerPort, readonly index: number) {
    port.listen(
      (response) => {
        const p = this.pending.get(response.id);
        if (!p) return;
        this.pending.delete(response.id);
        if (response.ok) p.resolve(response);
        else p.reject(new WorkerTaskError(response.error.name, `worker ${index}: ${response.error.message}`));
      },
      (error) => this.fail(new Error(`worker ${index} failed: ${error.message}`)),
    );
  }

  request(message: RequestBody, transfer: ArrayBuffer[] = []): Promise<WorkerResponse & { ok: true }> {
    if (this.failure) return Promise.reject(this.failure);
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.pending.set(id, { resolve, reject });
      this.port.post({ ...message, id } as WorkerRequest, transfer);
    });
  }

  fail(error: Error): void {
    this.failure ??= error;
    for (const p of this.pending.values()) p.reject(this.failure);
    this.pending.clear();
  }
}

export class WorkerPool {
  private terminated = false;

  protected constructor(private readonly connections: Connection[], readonly info: WorkerModelInfo) {}

  get size(): number {
    return this.connections.length;
  }

  static async create(options: WorkerPoolOptions): Promise<WorkerPool> {
    const { model, workers, spawn } = options;
    const maxBatch = options.maxBatch ?? 64;
    if (!(model instanceof Uint8Array)) throw new InputError('WorkerPool.create: model must be the .evae bytes (Uint8Array)');
    if (!Number.isInteger(workers) || workers < 1) throw new InputError(`WorkerPool.create: workers must be a positive integer, got ${workers}`);
    if (!Number.isInteger(maxBatch) || maxBatch < 1) throw new InputError(`WorkerPool.create: maxBatch must be a positive integer, got ${maxBatch}`);
    if (!spawn) throw new InputError('WorkerPool.create: no spawn function (import WorkerPool from runtime/workers/node.js in Node, or pass browserWorkerSpawner(url))');
    if (options.wasm === undefined) throw new InputError('WorkerPool.create: wasm (the runtime module) is required');
    const threads = options.threads ?? 1;
    if (!Number.isInteger(threads) || threads < 1) {
      throw new InputError(`WorkerPool.create: threads must be a positive integer, got ${threads}`);
    }
    if (threads > 1 && options.threadsWasm === undefined) {
      throw new InputError('WorkerPool.create: threads > 1 needs threadsWasm (build/edgevae-threads.wasm)');
    }
    const compile = (m: BufferSource | WebAssembly.Module) => m instanceof WebAssembly.Module ? m : WebAssembly.compile(m);
    const module = await compile(options.wasm);
    const threadsWasm = threads > 1 ? await compile(options.threadsWasm!) : undefined;
    const connections: Connection[] = [];
    try {
      for (let i = 0; i < workers; i++) connections.push(new Connection(spawn(i), i));
      const replies = await Promise.all(connections.map((c) => c.request({
        type: 'init', model: model.slice(), wasm: module, maxBatch, threads, threadsWasm,
      })));
      return new WorkerPool(connections, replies[0]!.info!);
    } catch (e) {
      await Promise.allSettled(connections.map((c) => c.port.terminate()));
      throw e;
    }
  }

  /** z: batch * latentSize floats -> batch * outputSize floats, as EdgeVae.decode. */
  async decode(z: Float32Array, batch: number): Promise<Float32Array> {
    this.checkOpen();
    if (!(z instanceof Float32Array)) throw new InputError('decode: z must be a Float32Array');
    if (!Number.isInteger(batch) || batch < 1) throw new InputError(`decode: batch must be a positive integer, got ${batch}`);
    const { latentSize, outputSize } = this.info;
    if (outputSize === 0) throw new InputError('decode: the model has no decode entry');
    if (z.length !== batch * latentSize) throw new InputError(`decode: z has ${z.length} values, expected batch ${batch} x ${latentSize} = ${batch * latentSize}`);
    const slices = splitBatch(batch, this.connections.length);
    const parts = await Promise.all(slices.map(({ start, count }, k) => {
      const chunk = z.slice(start * latentSize, (start + count) * latentSize);
      return this.connections[k]!.request({ type: 'decode', z: chunk, batch: count }, [chunk.buffer]);
    }));
    const out = new Float32Array(batch * outputSize);
    parts.forEach((p, k) => out.set(p.data!, slices[k]!.start * outputSize));
    return out;
  }

  /** n latents from the runtime's sampler (same seed, same values as EdgeVae.sample) and their decodings. */
  async sample(n: number, { seed = 0, temperature = 1 }: { seed?: number; temperature?: number } = {}): Promise<{ z: Float32Array; images: Float32Array }> {
    this.checkOpen();
    if (!Number.isInteger(n) || n < 1) throw new InputError(`sample: n must be a positive integer, got ${n}`);
    // The sampler's values depend on (seed, index) only, so one worker draws all n and the decode is split.
    const z = (await this.connections[0]!.request({ type: 'sampleLatents', n, seed, temperature })).data!;
    return { z, images: await this.decode(z, n) };
  }

  /** Each worker's wasm linear memory in bytes (its peak: memory never shrinks), in worker order. */
  async memoryBytes(): Promise<number[]> {
    this.checkOpen();
    return Promise.all(this.connections.map(async (c) => (await c.request({ type: 'memory' })).memoryBytes!));
  }

  /** Stops every worker; pending and later calls fail. */
  async terminate(): Promise<void> {
    if (this.terminated) return;
    this.terminated = true;
    for (const c of this.connections) c.fail(new InputError('the worker pool was terminated'));
    await Promise.all(this.connections.map((c) => c.port.terminate()));
  }

  private checkOpen(): void {
    if (this.terminated) throw new InputError('the worker pool was terminated');
  }
}

/** Contiguous slices of a batch, as equal as possible, one per worker (fewer when batch < workers). */
export function splitBatch(batch: number, workers: number): { start: number; count: number }[] {
  const k = Math.min(batch, workers);
  const slices: { start: number; count: number }[] = [];
  let start = 0;
  for (let i = 0; i < k; i++) {
    const count = Math.floor(batch / k) + (i < batch % k ? 1 : 0);
    slices.push({ start, count });
    start += count;
  }
  return slices;
}
