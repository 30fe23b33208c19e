import { describe, it, expect } from 'vitest';
import { Act, EntryKind, Op } from '../../runtime/format-constants.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { WasmRuntime, expectClose, randomArray, rng, runReference } from './harness.js';
import { refDense } from './reference.js';

function runDense(K: number, M: number, n: number, withBias: boolean, act: Act, alpha: number, seed: number, maxBatch = n): void {
  const rand = rng(seed);
  const w = randomArray(rand, K * M);
  const b = withBias ? randomArray(rand, M) : null;
  const x = randomArray(rand, n * K, -2, 2);
  const mb = new ModelBuilder();
  const input = mb.activation([K]);
  const out = mb.activation([M]);
  const wt = mb.constF32(w, [K, M]);
  const bt = b ? mb.constF32(b, [M]) : undefined;
  mb.op({ op: Op.Dense, out, a: input, b: wt, c: bt, act, alpha });
  const rt = new WasmRuntime();
  const bytes = mb.build(input, [out]);
  expect(rt.load(bytes, maxBatch)).toBe(0);
  const [y] = rt.run(EntryKind.Decode, x, n, [M]);
  const ref = refDense(x, n, K, M, w, b, act, alpha);
  expectClose(y, ref.value, ref.magnitude, 1e-5, `dense K=${K} M=${M} n=${n}`);
  // The same case through the plain forward pass (reference/), against the same float64 reference.
  expectClose(runReference(bytes, EntryKind.Decode, x, n, M), ref.value, ref.magnitude, 1e-5, `reference/ dense K=${K} M=${M} n=${n}`);
}

describe('DENSE kernel vs float64 reference', () => {
  const shapes: Array<[number, number]> = [[1, 1], [3, 5], [5, 4], [17, 37], [64, 16], [16, 3136], [33, 19]];
  for (const [K, M] of shapes) {
    for (const n of [1, 3]) {
      it(`K=${K} M=${M} batch ${n}`, () => {
        runDense(K, M, n, true, Act.None, 0, K * 1000 + M * 10 + n);
        runDense(K, M, n, false, Act.LeakyRelu, 0.2, K * 1001 + M * 11 + n);
        runDense(K, M, n, true, Act.Sigmoid, 0, K * 1002 + M * 12 + n);
      });
    }
  }
  it('weights larger than L2 with several samples: tiled panels (K not a multiple of the panel, M with tails)', () => {
    runDense(600, 150, 3, true, Act.None, 0, 21);
    runDense(300, 300, 2, false, Act.Relu, 0, 22);
  });
  it('batch 4 uses the sample-pair path and a model loaded with a larger maxBatch runs fewer samples', () => {
    runDense(9, 21, 4, true, Act.Relu, 0, 7);
    runDense(9, 21, 3, true, Act.Relu, 0, 8, 5);
  });
});
