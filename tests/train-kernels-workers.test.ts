// A worker of the training kernels' pool (trainer/kernels/worker-pool.ts) that dies must not hang
// the caller: killed between calls, its share runs on the calling thread; killed during a call,
// the call fails with a clear error within the pool's timeout. Either way later calls work and
// give the single-thread result.
import { readFileSync } from 'node:fs';
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from 'vitest';
import { TrainKernelModule, type ConvGeometry } from '../trainer/kernels/index.js';
import { WorkerPool, type Call } from '../trainer/kernels/worker-pool.js';
import { seededNormal } from './helpers/seeded-data.js';

const WASM = new URL('../build/train-kernels.wasm', import.meta.url);
const CALL_TIMEOUT_MS = 1500;
const ROWS = 1 << 22; // a 16 MiB column of floats: one pass takes milliseconds
const SHARES = 3;

interface Kernels {
  heapBase(): number;
  sumRows(x: number, rows: number, cols: number, out: number, scratch: number): void;
}

describe('train kernel worker pool with a dying worker', () => {
  let pool: WorkerPool;
  let kernels: Kernels;
  let memory: WebAssembly.Memory;
  let x: Float32Array;
  let xAt = 0;
  const outAt: number[] = [];
  const scratchAt: number[] = [];
  const runHere = (calls: Call[]) => {
    for (const [name, ...args] of calls) (kernels as unknown as Record<string, (...a: number[]) => void>)[name]!(...args);
  };

  beforeAll(async () => {
    const module = await WebAssembly.compile(readFileSync(WASM));
    memory = new WebAssembly.Memory({ initial: 1, maximum: 32768, shared: true });
    kernels = (await WebAssembly.instantiate(module, { env: { memory } })).exports as unknown as Kernels;
    xAt = (kernels.heapBase() + 15) & ~15;
    let at = xAt + ROWS * 4;
    for (let s = 0; s < SHARES; s++, at += 16) outAt.push(at);
    for (let s = 0; s < SHARES; s++, at += 16) scratchAt.push(at);
    memory.grow(Math.ceil((at - memory.buffer.byteLength) / 65536));
    x = seededNormal(ROWS, 11);
    new Float32Array(memory.buffer, xAt, ROWS).set(x);
    pool = await WorkerPool.start(module, memory, ['sumRows'], SHARES - 1, { callTimeoutMs: CALL_TIMEOUT_MS });
  });
  afterAll(async () => {
    await pool?.terminate();
  });
  afterEach(() => {
    vi.restoreAllMocks();
  });

  /** Share s sums its block of rows into its own output float. */
  const blockShares = (): Call[][] =>
    Array.from({ length: SHARES }, (_, s) => {
      const r0 = Math.floor((s * ROWS) / SHARES), r1 = Math.floor(((s + 1) * ROWS) / SHARES);
      return [['sumRows', xAt + r0 * 4, r1 - r0, 1, outAt[s]!, scratchAt[s]!]];
    });
  const outputs = () => outAt.map((o) => new Float32Array(memory.buffer, o, 1)[0]!);
  const clearOutputs = () => outAt.forEach((o) => (new Float32Array(memory.buffer, o, 1)[0] = Number.NaN));
  /** Plain-loop twin: block sums in float64. */
  const referenceSums = () =>
    Array.from({ length: SHARES }, (_, s) => {
      let sum = 0;
      for (let r = Math.floor((s * ROWS) / SHARES); r < Math.floor(((s + 1) * ROWS) / SHARES); r++) sum += x[r]!;
      return sum;
    });
  /** Runs every share on this thread: the result the pool must reproduce exactly. */
  const singleThread = () => {
    clearOutputs();
    for (const calls of blockShares()) runHere(calls);
    return outputs();
  };
  const viaPool = () => {
    clearOutputs();
    pool.run(blockShares(), runHere);
    return outputs();
  };

  it('splits the work over live workers and matches the plain sums', () => {
    const expected = singleThread();
    referenceSums().forEach((sum, s) => expect(Math.abs(expected[s]! - sum)).toBeLessThan(1e-3 * Math.sqrt(ROWS / SHARES)));
    expect(viaPool()).toEqual(expected);
    expect(pool.liveWorkers).toBe(SHARES - 1);
  });

  it('a worker killed between calls: the next call completes on the calling thread, said once on stderr', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    await pool.killWorkerForTest(1);
    const expected = singleThread();
    expect(viaPool()).toEqual(expected);
    expect(viaPool()).toEqual(expected);
    expect(pool.liveWorkers).toBe(SHARES - 2);
    const notes = stderr.mock.calls.map(([text]) => String(text)).filter((t) => t.includes('worker 2'));
    expect(notes).toHaveLength(1);
    expect(notes[0]).toMatch(/worker 2 exited.*its shares run on the calling thread/);
  });

  it('a worker killed during a call: the call fails with a clear error in bounded time, later calls work', async () => {
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    const module = await WebAssembly.compile(readFileSync(WASM));
    const lone = await WorkerPool.start(module, memory, ['sumRows'], 1, { callTimeoutMs: CALL_TIMEOUT_MS });
    try {
      const expected = singleThread();
      // The worker gets a long share (many passes over the column); this thread kills it meanwhile.
      const longShare: Call[] = Array.from({ length: 30 }, () => ['sumRows', xAt, ROWS, 1, outAt[1]!, scratchAt[1]!] as Call);
      const started = performance.now();
      expect(() => lone.run([[], longShare], () => void lone.killWorkerForTest(0))).toThrow(
        new RegExp(`train kernels: worker 1 did not finish within ${CALL_TIMEOUT_MS} ms \\(died or hangs\\) during this call`),
      );
      const waited = performance.now() - started;
      expect(waited).toBeGreaterThanOrEqual(CALL_TIMEOUT_MS - 50);
      expect(waited).toBeLessThan(CALL_TIMEOUT_MS + 3000);
      expect(lone.liveWorkers).toBe(0);
      expect(stderr.mock.calls.some(([text]) => /worker 1 did not finish/.test(String(text)))).toBe(true);
      // Both shares now run here, and give the single-thread result.
      const shares = blockShares().slice(0, 2);
      clearOutputs();
      lone.run(shares, runHere);
      expect(outputs().slice(0, 2)).toEqual(expected.slice(0, 2));
    } finally {
      await lone.terminate();
    }
  });

  it('rejects a non-positive timeout', async () => {
    const module = await WebAssembly.compile(readFileSync(WASM));
    await expect(WorkerPool.start(module, memory, ['sumRows'], 1, { callTimeoutMs: 0 })).rejects.toThrow(/callTimeoutMs must be positive, got 0/);
  });
});

describe('train kernel module keeps training after losing a worker', () => {
  // Big enough to be split over 3 threads (see MIN_PARALLEL_MACS in train-module.ts).
  const g: ConvGeometry = {
    batch: 6, inHeight: 24, inWidth: 24, inChannels: 16, outHeight: 24, outWidth: 24, outChannels: 24,
    filterHeight: 3, filterWidth: 3, strideHeight: 1, strideWidth: 1, padTop: 1, padLeft: 1,
  };
  let threaded: TrainKernelModule;
  let single: TrainKernelModule;
  beforeAll(async () => {
    threaded = await TrainKernelModule.load({ threads: 3 });
    single = await TrainKernelModule.load({ threads: 1 });
  });
  afterAll(async () => {
    await threaded?.dispose();
  });

  it('conv2d and its gradients still equal the single-thread module after a worker dies', async () => {
    expect(threaded.planShares(g)).toHaveLength(3);
    const stderr = vi.spyOn(process.stderr, 'write').mockImplementation(() => true);
    try {
      const x = seededNormal(g.batch * 24 * 24 * 16, 1), w = seededNormal(3 * 3 * 16 * 24, 2), dy = seededNormal(g.batch * 24 * 24 * 24, 3);
      const results = () => [threaded.conv2d(x, w, g), threaded.conv2dBackpropInput(dy, w, g), threaded.conv2dBackpropFilter(x, dy, g)];
      const before = results();
      // The module keeps its pool private; reaching it is the point of this test.
      const pool = (threaded as unknown as { pool: WorkerPool }).pool;
      await pool.killWorkerForTest(0);
      expect(pool.liveWorkers).toBe(1);
      const after = results();
      // Same share plan, same arithmetic: bit-identical to the calls made with all workers alive.
      after.forEach((values, i) => expect(values).toEqual(before[i]));
      // Split by images, the forward and input gradient equal the one-thread module exactly; the
      // filter gradient adds per-share partial sums, so only up to rounding.
      expect(after[0]).toEqual(single.conv2d(x, w, g));
      expect(after[1]).toEqual(single.conv2dBackpropInput(dy, w, g));
      const dw = single.conv2dBackpropFilter(x, dy, g);
      const largest = dw.reduce((m, v) => Math.max(m, Math.abs(v)), 0);
      const worst = dw.reduce((m, v, i) => Math.max(m, Math.abs(v - after[2]![i]!)), 0);
      expect(worst / largest).toBeLessThan(1e-5);
    } finally {
      stderr.mockRestore();
    }
  });
});
