// GROUP_NORM and LAYER_NORM wasm kernels (kernels/norm.ts) against their TypeScript twins
// (reference/kernels.ts), across channel counts with and without a vector tail, one and
// many groups, single pixels, f16 scales, batches and a fused activation.
import { describe, expect, it } from 'vitest';
import { Act, DType, EntryKind, Op } from '../../runtime/format-constants.js';
import { groupNormF32, layerNormF32 } from '../../reference/kernels.js';
import { activate } from '../../reference/interpreter.js';
import { toHalfBits } from '../../reference/quant-arithmetic.js';
import { halfToNumber } from '../../runtime/clip-bounds.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { WasmRuntime, randomArray, rng } from './harness.js';

const f32Bits = (v: number) => new Uint32Array(Float32Array.of(v).buffer)[0]!;

function run(op: Op, dims: number[], n: number, param: number, x: Float32Array, gamma: Float32Array, beta: Float32Array, act = Act.None, f16 = false): Float32Array {
  const mb = new ModelBuilder();
  const count = dims.reduce((p, d) => p * d, 1);
  const input = mb.activation([count]);
  const a = mb.activation(dims);
  mb.op({ op: Op.Copy, out: a, a: input });
  const out = mb.activation(dims);
  const g = f16 ? mb.constRaw(DType.F16, new Uint8Array(Uint16Array.from(gamma, toHalfBits).buffer), [gamma.length]) : mb.constF32(gamma, [gamma.length]);
  mb.op({ op, out, a, b: g, c: mb.constF32(beta, [beta.length]), act, params: [param, f32Bits(1e-5)] });
  const flat = mb.activation([count]);
  mb.op({ op: Op.Copy, out: flat, a: out });
  const rt = new WasmRuntime();
  expect(rt.load(mb.build(input, [flat]), n)).toBe(0);
  return rt.run(EntryKind.Decode, x, n, [count])[0];
}

function expectNear(got: Float32Array, want: Float32Array, tol: number, what: string): void {
  let worst = 0;
  for (let i = 0; i < want.length; i++) worst = Math.max(worst, Math.abs(got[i] - want[i]));
  expect(worst, what).toBeLessThanOrEqual(tol);
}

describe('group norm kernel vs its twin', () => {
  const shapes: Array<[C: number, H: number, W: number, groups: number]> = [
    [8, 5, 6, 4], [5, 3, 7, 5], [5, 3, 7, 1], [12, 1, 1, 3], [3, 16, 16, 3], [32, 4, 4, 8], [7, 2, 9, 7],
  ];
  for (const [C, H, W, G] of shapes) {
    it(`[${C},${H},${W}] in ${G} groups, batch 3`, () => {
      const r = rng(C * 100 + H * 10 + W);
      const n = 3, count = C * H * W;
      const x = randomArray(r, n * count, -3, 5);
      const gamma = randomArray(r, C, 0.5, 1.5), beta = randomArray(r, C, -1, 1);
      const y = run(Op.GroupNorm, [C, H, W], n, G, x, gamma, beta);
      for (let s = 0; s < n; s++) {
        const want = groupNormF32(x.subarray(s * count, (s + 1) * count), gamma, beta, C, G, Math.fround(1e-5));
        expectNear(y.subarray(s * count, (s + 1) * count), want, 2e-6, `sample ${s}`);
      }
    });
  }

  it('f16 scale and a fused SiLU', () => {
    const r = rng(5);
    const [C, H, W, G] = [6, 4, 5, 2];
    const x = randomArray(r, C * H * W, -2, 2);
    const gamma = randomArray(r, C, 0.5, 1.5).map((v) => halfToNumber(toHalfBits(v)));
    const beta = randomArray(r, C, -1, 1);
    const y = run(Op.GroupNorm, [C, H, W], 1, G, x, gamma, beta, Act.Silu, true);
    expectNear(y, activate(groupNormF32(x, gamma, beta, C, G, Math.fround(1e-5)), Act.Silu, 0), 2e-6, 'silu(groupnorm)');
  });

  it('a constant channel group gives beta (variance 0, epsilon keeps it finite)', () => {
    const x = new Float32Array(4 * 9).fill(2.5);
    const y = run(Op.GroupNorm, [4, 3, 3], 1, 2, x, Float32Array.of(1, 2, 3, 4), Float32Array.of(0.5, -0.5, 1, -1));
    for (let p = 0; p < 9; p++) expect(Array.from(y.subarray(p * 4, p * 4 + 4))).toEqual([0.5, -0.5, 1, -1]);
  });
});

describe('layer norm kernel vs its twin', () => {
  for (const [rows, size] of [[1, 16], [3, 7], [5, 33], [2, 1]] as const) {
    it(`${rows} rows of ${size}, batch 2, fused GELU`, () => {
      const r = rng(rows * 50 + size);
      const n = 2, count = rows * size;
      const x = randomArray(r, n * count, -4, 6);
      const gamma = randomArray(r, size, 0.5, 1.5), beta = randomArray(r, size, -1, 1);
      const y = run(Op.LayerNorm, rows === 1 ? [size] : [rows, size], n, size, x, gamma, beta, Act.Gelu);
      for (let s = 0; s < n; s++) {
        const want = activate(layerNormF32(x.subarray(s * count, (s + 1) * count), gamma, beta, size, Math.fround(1e-5)), Act.Gelu, 0);
        expectNear(y.subarray(s * count, (s + 1) * count), want, 3e-6, `sample ${s}`);
      }
    });
  }
});
