// Intra-op threads across consecutive runs: a run in which no op is split (here a batch of 2 through dense layers,
// which split only for one sample) has no barrier, so nothing in it waits for the other members. The next run, a
// batch of 1 that does split, must still give the bytes of one thread (and not hang): no member may miss or repeat a
// request. $EDGEVAE_THREADS_WASM picks another threaded build to check.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { defaultWasmPath, threadsWasmPath } from '../runtime/node.js';
import { nodeMemberSpawner } from '../runtime/threads/node.js';
import { seededNormal } from './helpers/seeded-data.js';

const have = existsSync(defaultWasmPath()) && existsSync(threadsWasmPath());
if (!have && process.env.CI) throw new Error('build/edgevae.wasm or build/edgevae-threads.wasm is missing; npm test builds them first');

describe.skipIf(!have)('intra-op threads, runs with and without split ops in turn', () => {
  it('a dense model decoding batch 2, 1, 2, 1 ... on 2 threads matches one thread on every run', async () => {
    const fixtures = 'tests/fixtures';
    const { bytes } = await convert({ encoder: `${fixtures}/mlp.encoder.op13.onnx`, decoder: `${fixtures}/mlp.decoder.op13.onnx` });
    const single = await EdgeVae.load(bytes, { wasm: readFileSync(defaultWasmPath()), maxBatch: 2 });
    const threadsWasm = readFileSync(process.env.EDGEVAE_THREADS_WASM ?? threadsWasmPath());
    const team = await EdgeVae.load(bytes, { wasm: readFileSync(defaultWasmPath()), threads: 2, maxBatch: 2, threadsWasm,
      spawnThread: nodeMemberSpawner() });
    try {
      expect(team.info.threads.count).toBe(2);
      const L = single.info.latentSize;
      const mismatches: string[] = [];
      for (let run = 0; run < 200; run++) {
        const n = run % 2 === 0 ? 2 : 1;
        const z = seededNormal(n * L, 100 + run);
        const want = single.decode(z, n), got = team.decode(z, n);
        if (!Buffer.from(got.buffer).equals(Buffer.from(want.buffer))) mismatches.push(`run ${run} (batch ${n})`);
      }
      expect(mismatches.slice(0, 5)).toEqual([]);
    } finally {
      await team.close();
    }
  }, 30_000);
});
