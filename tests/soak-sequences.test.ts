// Short sequence soak (fuzz/soak-sequences.ts; `npm run soak:seq` runs 1,000,000 samples): many sampling calls on the
// shipped word model in one SequenceVae must leave the wasm memory exactly as it was after warm-up and the JS heap
// flat, with a sampled and a greedy probe giving the same token ids throughout.
import { describe, expect, it } from 'vitest';
import { soakSequences, sequenceSoakLine } from '../fuzz/soak-sequences.js';
import { haveRuntimeWasm, RUNTIME_WASM } from './helpers/runtime-wasm.js';

const MB = 2 ** 20;

describe.skipIf(!haveRuntimeWasm)('sequence soak', () => {
  it('10,000 sequences from models/text/words.evae (greedy, temperature, top-k; batches 1..5) do not grow memory', async () => {
    const r = await soakSequences({ samples: 10_000, probeEvery: 200 });
    console.log(sequenceSoakLine(r));
    expect(r.samples).toBe(10_000);
    expect(r.tokens).toBeGreaterThan(r.samples); // words, not bare stop tokens
    expect(r.after.wasm).toBe(r.before.wasm);
    expect(r.after.heapUsed - r.before.heapUsed).toBeLessThan(2 * MB);
    expect(r.probes).toBeGreaterThanOrEqual(15);
  }, 120_000);
});
