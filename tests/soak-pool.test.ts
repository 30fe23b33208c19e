// Short pool soak (fuzz/soak-pool.ts; `npm run soak:pool` runs 1,000,000 decodes): decodes through a WorkerPool whose
// workers run teams of 2 threads (the threaded build) must match a single-threaded EdgeVae bit for bit on the
// checked calls and probes, and leave every worker's wasm memory as it was after warm-up.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { soakPool, poolSoakLine } from '../fuzz/soak-pool.js';
import { WorkerPool } from '../runtime/workers/node.js';

const ROOT = resolve(import.meta.dirname, '..');
const WASM = join(ROOT, 'build', 'edgevae.wasm');
const THREADS_WASM = join(ROOT, 'build', 'edgevae-threads.wasm');
const have = existsSync(WASM) && existsSync(THREADS_WASM);
if (!have && process.env.CI) throw new Error('build/edgevae.wasm or build/edgevae-threads.wasm is missing; npm test builds them first');

const MB = 2 ** 20;

describe.skipIf(!have)('pool soak (workers with intra-op threads)', () => {
  // The conv model splits every run across the team; the dense model splits batch-1 runs only, so runs with and
  // without barriers alternate (a member must not miss a request posted while it was still reading the last one).
  for (const [fixture, decodes, probeEvery] of [['mixed', 1500, 37], ['mlp', 4000, 29]] as const) {
    it(`${decodes} decodes of the ${fixture} model through 2 workers x 2 threads match one thread`, async () => {
      const r = await soakPool({ decodes, fixture, workers: 2, threads: 2, probeEvery, warmup: 200 });
      console.log(poolSoakLine(r));
      expect(r.decodes).toBe(decodes);
      expect(r.threads).toBe(2);
      expect(r.workerWasmAfter).toEqual(r.workerWasmBefore);
      expect(r.after.heapUsed - r.before.heapUsed).toBeLessThan(4 * MB);
      expect(r.probes).toBeGreaterThanOrEqual(10);
    }, 120_000);
  }

  it('threads > 1 without the threaded module is refused with a clear error', async () => {
    const model = new Uint8Array(16);
    await expect(WorkerPool.create({ model, wasm: readFileSync(WASM), workers: 1, threads: 2 }))
      .rejects.toThrow('WorkerPool.create: threads > 1 needs threadsWasm (build/edgevae-threads.wasm)');
    await expect(WorkerPool.create({ model, wasm: readFileSync(WASM), workers: 1, threads: 0 }))
      .rejects.toThrow('WorkerPool.create: threads must be a positive integer, got 0');
  });
});
