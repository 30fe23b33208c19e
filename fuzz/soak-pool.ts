// Pool soak: a long run of image decodes through a WorkerPool whose workers each run a team of intra-op threads
// (the threaded build, docs/threads.md). Calls vary the batch (so slices of 1..k land on each worker, and batch-1
// slices split each layer across the team) and keep a few calls in flight. After a warm-up the main process is
// measured (JS heap after a forced GC, array buffers, and RSS, which counts the workers and their member threads
// too) together with every worker's wasm linear memory; the calls run; they are measured again. Every
// `probeEvery` calls a fixed probe and the latents of the call just made are decoded through the pool and compared
// bit for bit with a single-threaded, single-instance EdgeVae on the main thread.
// `npm run soak:pool` runs 1,000,000 decodes; tests/soak-pool.test.ts runs a short version.
//   tsx fuzz/soak-pool.ts [--decodes N] [--workers N] [--threads N] [--model mlp|mixed] [--batch N] [--in-flight N]
//                         [--probe-every N] [--threads-wasm FILE]
import { readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { WorkerPool } from '../runtime/workers/node.js';
import { Rng } from './rng.js';
import { progressPrinter, runIfMain, verdict } from './soak-cli.js';
import { assertSameBits, flagPairs, memoryGrew, memoryLine, snapshot, type MemorySnapshot } from './soak-memory.js';

const ROOT = resolve(import.meta.dirname, '..');

export interface PoolSoakOptions {
  /** images to decode after the warm-up */
  decodes: number;
  workers?: number;
  /** intra-op threads per worker */
  threads?: number;
  fixture?: 'mlp' | 'mixed';
  /** largest batch of one call (calls use 1..batch) */
  batch?: number;
  /** pool calls awaited together */
  inFlight?: number;
  warmup?: number;
  probeEvery?: number;
  /** the threaded runtime to soak (default build/edgevae-threads.wasm, or $EDGEVAE_THREADS_WASM) */
  threadsWasmPath?: string;
  onProgress?: (done: number, total: number) => void;
}

export interface PoolSoakResult {
  model: string;
  workers: number;
  threads: number;
  calls: number;
  decodes: number;
  seconds: number;
  /** wasm = the workers' linear memories added up */
  before: MemorySnapshot;
  after: MemorySnapshot;
  workerWasmBefore: number[];
  workerWasmAfter: number[];
  probes: number;
}

export async function soakPool(o: PoolSoakOptions): Promise<PoolSoakResult> {
  const fixture = o.fixture ?? 'mlp';
  const workers = o.workers ?? 2;
  const threads = o.threads ?? 2;
  const maxCall = o.batch ?? 2 * workers + 1;
  const inFlight = o.inFlight ?? 2;
  const probeEvery = o.probeEvery ?? 499; // not a multiple of the batch cycle, so checked calls have every batch size
  const fixtures = join(ROOT, 'tests', 'fixtures');
  const { bytes: model } = await convert({
    encoder: join(fixtures, `${fixture}.encoder.op13.onnx`), decoder: join(fixtures, `${fixture}.decoder.op13.onnx`), name: 'soak-pool',
  });
  const wasm = readFileSync(process.env.EDGEVAE_WASM ?? join(ROOT, 'build', 'edgevae.wasm'));
  const threadsWasm = readFileSync(o.threadsWasmPath ?? process.env.EDGEVAE_THREADS_WASM ?? join(ROOT, 'build', 'edgevae-threads.wasm'));
  // The reference: one instance of the fixed runtime on this thread, no workers, no team.
  const single = await EdgeVae.load(model, { wasm, maxBatch: maxCall });
  const pool = await WorkerPool.create({ model, wasm, workers, maxBatch: maxCall, threads, threadsWasm });
  try {
    if (pool.info.threads !== threads) throw new Error(`soak-pool: the workers run ${pool.info.threads} thread(s), not ${threads}`);
    const L = pool.info.latentSize;
    const rng = new Rng(41);
    const latents = Float32Array.from({ length: L * maxCall * 64 }, () => rng.float() * 4 - 2);
    const probe = latents.slice(0, L * maxCall);
    const expected = single.decode(probe, maxCall);
    let decodes = 0;
    let calls = 0;
    let probes = 0;
    const latentsOf = (i: number, n: number) => latents.subarray((i % 64) * L * maxCall, ((i % 64) * L * maxCall) + n * L);
    const call = async (i: number, n: number) => {
      const out = await pool.decode(latentsOf(i, n), n);
      if (i % probeEvery === 0) {
        // The call's own output, then the fixed probe, against the single-threaded instance.
        assertSameBits(`soak-pool: call ${i} (batch ${n})`, single.decode(latentsOf(i, n), n), out);
        assertSameBits(`soak-pool: probe after ${i} calls`, expected, await pool.decode(probe, maxCall));
        probes++;
      }
    };
    /** Runs calls until `total` images are decoded, `inFlight` at a time. */
    let next = 0;
    const run = async (total: number, progress?: (done: number) => void) => {
      let issued = 0;
      const lane = async () => {
        while (issued < total) {
          const i = next++;
          const n = Math.min(1 + (i % maxCall), total - issued);
          issued += n;
          await call(i, n);
          decodes += n;
          calls++;
          progress?.(decodes);
        }
      };
      await Promise.all(Array.from({ length: inFlight }, lane));
    };
    await run(o.warmup ?? Math.min(20_000, Math.max(500, Math.floor(o.decodes / 100))));
    decodes = 0;
    calls = 0;
    const workerWasmBefore = await pool.memoryBytes();
    const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);
    const before = snapshot(sum(workerWasmBefore));
    const t0 = performance.now();
    const step = Math.max(1, Math.floor(o.decodes / 20));
    let nextReport = step;
    await run(o.decodes, (done) => {
      if (done >= nextReport) {
        o.onProgress?.(done, o.decodes);
        nextReport += step;
      }
    });
    const seconds = (performance.now() - t0) / 1000;
    const workerWasmAfter = await pool.memoryBytes();
    const after = snapshot(sum(workerWasmAfter));
    return { model: `${fixture} f32`, workers, threads, calls, decodes, seconds, before, after, workerWasmBefore, workerWasmAfter, probes };
  } finally {
    await pool.terminate();
  }
}

export function poolSoakLine(r: PoolSoakResult): string {
  return `soak-pool (${r.model}, ${r.workers} workers x ${r.threads} threads): ${r.decodes} decodes (${r.calls} calls) in ` +
    `${r.seconds.toFixed(1)} s, ${(r.decodes / r.seconds).toFixed(0)} decodes/s; ` +
    `${memoryLine(r.before, r.after, "workers' wasm memory")}; ` +
    `${r.probes} probes and ${r.probes} calls identical to a single-threaded EdgeVae`;
}

async function cli(): Promise<number> {
  const flags = flagPairs(process.argv.slice(2), 'soak-pool');
  const o: PoolSoakOptions = { decodes: 1_000_000 };
  const counts = { '--decodes': 'decodes', '--workers': 'workers', '--threads': 'threads', '--batch': 'batch', '--in-flight': 'inFlight',
    '--probe-every': 'probeEvery' } as const;
  for (const [flag, value] of flags) {
    if (flag === '--model' && (value === 'mlp' || value === 'mixed')) o.fixture = value;
    else if (flag === '--threads-wasm') o.threadsWasmPath = resolve(value);
    else if (flag in counts) {
      const n = Number(value);
      if (!Number.isInteger(n) || n < 1) throw new Error(`soak-pool: ${flag} needs a positive integer, got ${value}`);
      o[counts[flag as keyof typeof counts]] = n;
    } else {
      const usage = `${Object.keys(counts).join(' N, ')} N, --model mlp|mixed, --threads-wasm FILE`;
      throw new Error(`soak-pool: bad flag ${flag} ${value} (${usage})`);
    }
  }
  const onProgress = progressPrinter();
  const r = await soakPool({ ...o, onProgress });
  const workersGrew = r.workerWasmAfter.some((b, k) => b !== r.workerWasmBefore[k]);
  return verdict('soak-pool', poolSoakLine(r), memoryGrew(r.before, r.after) || workersGrew);
}

runIfMain(import.meta.url, cli);
