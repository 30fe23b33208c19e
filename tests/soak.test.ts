// Short soak (fuzz/soak.ts; `npm run soak` runs 1,000,000 calls): many decode calls in one runtime
// instance must leave the wasm memory exactly as it was after warm-up and the JS heap flat, with a
// probe decode staying bit-identical throughout.
import { describe, expect, it } from 'vitest';
import { soak, soakLine } from '../fuzz/soak.js';
import { haveRuntimeWasm, RUNTIME_WASM } from './helpers/runtime-wasm.js';

const MB = 2 ** 20;

describe.skipIf(!haveRuntimeWasm)('soak', () => {
  it('20,000 decode calls (mlp, f32, batches 1..5 with chunking) do not grow memory', async () => {
    const r = await soak({ calls: 20_000, fixture: 'mlp', quant: 'f32', maxBatch: 4 });
    console.log(soakLine(r));
    expect(r.after.wasm).toBe(r.before.wasm);
    expect(r.after.heapUsed - r.before.heapUsed).toBeLessThan(2 * MB);
    expect(r.probes).toBeGreaterThanOrEqual(20);
  }, 120_000);

  it('2,000 decode calls of the int8 conv model (quantized kernels, scratch) do not grow memory', async () => {
    const r = await soak({ calls: 2_000, fixture: 'mixed', quant: 'int8', maxBatch: 3, probeEvery: 200 });
    console.log(soakLine(r));
    expect(r.after.wasm).toBe(r.before.wasm);
    expect(r.after.heapUsed - r.before.heapUsed).toBeLessThan(2 * MB);
    expect(r.probes).toBeGreaterThanOrEqual(10);
  }, 120_000);
});
