import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { defaultWasmPath } from '../runtime/node.js';
import { WorkerPool, WorkerTaskError, nodeWorkerSpawner, splitBatch, type WorkerPort } from '../runtime/workers/node.js';

const wasmPath = defaultWasmPath();
const haveWasm = existsSync(wasmPath);
if (!haveWasm && process.env.CI) throw new Error(`${wasmPath} is missing; npm test builds it first`);

function bytesOf(a: Float32Array): Uint8Array {
  return new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
}

describe('splitBatch', () => {
  it('cuts a batch into contiguous, nearly equal slices that cover it exactly', () => {
    for (const [batch, workers] of [[64, 2], [7, 3], [2, 5], [1, 1], [65, 4]] as const) {
      const slices = splitBatch(batch, workers);
      expect(slices.length).toBe(Math.min(batch, workers));
      let next = 0;
      for (const s of slices) {
        expect(s.start).toBe(next);
        expect(s.count).toBeGreaterThan(0);
        next += s.count;
      }
      expect(next).toBe(batch);
      const counts = slices.map((s) => s.count);
      expect(Math.max(...counts) - Math.min(...counts)).toBeLessThanOrEqual(1);
    }
  });
});

describe.skipIf(!haveWasm)('WorkerPool', () => {
  let wasm: Uint8Array;
  let model: Uint8Array;
  let single: EdgeVae;
  let pool: Awaited<ReturnType<typeof WorkerPool.create>>;

  beforeAll(async () => {
    wasm = readFileSync(wasmPath);
    model = (await convert({ decoder: 'tests/fixtures/conv.decoder.op13.onnx', name: 'conv' })).bytes;
    single = await EdgeVae.load(model, { wasm, maxBatch: 64 });
    pool = await WorkerPool.create({ model, wasm, workers: 2 });
  });
  afterAll(async () => { await pool?.terminate(); });

  it('decode gives the single instance\'s bytes (batch 64 over 2 workers)', async () => {
    const z = single.sampleLatents(64, { seed: 11 });
    const expected = single.decode(z, 64);
    const got = await pool.decode(z, 64);
    expect(got.length).toBe(expected.length);
    expect(Buffer.compare(bytesOf(got), bytesOf(expected))).toBe(0);
  });

  it('sample gives the single instance\'s latents and images', async () => {
    const expected = single.sample(9, { seed: 1234, temperature: 0.8 });
    const got = await pool.sample(9, { seed: 1234, temperature: 0.8 });
    expect(Buffer.compare(bytesOf(got.z), bytesOf(expected.z))).toBe(0);
    expect(Buffer.compare(bytesOf(got.images), bytesOf(expected.images))).toBe(0);
  });

  it('uneven splits and small per-worker batches give the same bytes', async () => {
    const three = await WorkerPool.create({ model, wasm, workers: 3, maxBatch: 2 });
    try {
      const z = single.sampleLatents(7, { seed: 5 });
      expect(Buffer.compare(bytesOf(await three.decode(z, 7)), bytesOf(single.decode(z, 7)))).toBe(0);
      const one = single.sampleLatents(1, { seed: 6 });
      expect(Buffer.compare(bytesOf(await three.decode(one, 1)), bytesOf(single.decode(one, 1)))).toBe(0);
    } finally {
      await three.terminate();
    }
  });

  it('rejects bad arguments in the caller with a clear message', async () => {
    await expect(pool.decode(new Float32Array(5), 1)).rejects.toThrow(/z has 5 values, expected batch 1 x 16/);
    await expect(pool.decode(new Float32Array(16), 0)).rejects.toThrow(/batch must be a positive integer/);
    await expect(pool.sample(0)).rejects.toThrow(/n must be a positive integer/);
    await expect(WorkerPool.create({ model, wasm, workers: 0 })).rejects.toThrow(/workers must be a positive integer/);
  });

  it('propagates errors raised inside a worker, and stays usable', async () => {
    const z = new Float32Array(2 * 16);
    z[20] = Number.NaN;
    const err = await pool.decode(z, 2).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WorkerTaskError);
    expect((err as Error).name).toBe('InputError');
    expect((err as Error).message).toMatch(/worker 1: decode: input\[4\].*NaN/);
    await expect(pool.sample(2, { seed: -1 })).rejects.toThrow(/seed must be an integer/);
    const ok = single.sampleLatents(2, { seed: 3 });
    expect(Buffer.compare(bytesOf(await pool.decode(ok, 2)), bytesOf(single.decode(ok, 2)))).toBe(0);
  });

  it('fails creation on a corrupt model and stops the workers it started', async () => {
    const corrupt = model.slice();
    corrupt[100] ^= 0xff;
    const terminated: number[] = [];
    const spawn = (i: number): WorkerPort => {
      const port = nodeWorkerSpawner()(i);
      return { ...port, terminate: async () => { terminated.push(i); await port.terminate(); } };
    };
    await expect(WorkerPool.create({ model: corrupt, wasm, workers: 2, spawn })).rejects.toThrow(/ModelFormatError|checksum/i);
    expect(terminated.sort()).toEqual([0, 1]);
  });

  it('a worker that dies fails the calls that need it with a clear error', async () => {
    const ports: WorkerPort[] = [];
    const spawn = (i: number): WorkerPort => { const port = nodeWorkerSpawner()(i); ports.push(port); return port; };
    const p = await WorkerPool.create({ model, wasm, workers: 2, spawn });
    try {
      await ports[1]!.terminate(); // the thread is gone, as after a crash
      await expect(p.decode(single.sampleLatents(4, { seed: 2 }), 4)).rejects.toThrow(/worker 1 failed: worker exited/);
    } finally {
      await p.terminate();
    }
  });

  it('terminate stops every worker, rejects pending work and later calls', async () => {
    const terminated: number[] = [];
    const spawn = (i: number): WorkerPort => {
      const port = nodeWorkerSpawner()(i);
      return { ...port, terminate: async () => { terminated.push(i); await port.terminate(); } };
    };
    const p = await WorkerPool.create({ model, wasm, workers: 2, spawn });
    const pending = p.decode(single.sampleLatents(64, { seed: 1 }), 64).catch((e: unknown) => e);
    await p.terminate();
    expect(String(await pending)).toMatch(/terminated/);
    await expect(p.decode(new Float32Array(16), 1)).rejects.toThrow(/terminated/);
    expect(terminated.sort()).toEqual([0, 1]);
    await p.terminate(); // idempotent
  });
});
