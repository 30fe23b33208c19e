// Kernels write only inside their output tensors: every activation gets slack bytes after each sample,
// the whole arena is filled with a canary, and after a run every byte outside the outputs' element
// ranges (for the samples run) must still hold the canary.
import { describe, it, expect } from 'vitest';
import { Act, BinaryKind, EntryKind, Op, TensorKind } from '../../runtime/format-constants.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { WasmRuntime, randInt, randomArray, rng } from './harness.js';

const SLACK = 48;
const CANARY = 0xab;

/** Adds an activation with SLACK spare bytes per sample. */
function act(mb: ModelBuilder, dims: number[]): number {
  return mb.activation(dims, undefined, { byteLength: dims.reduce((a, b) => a * b, 1) * 4 + SLACK });
}

function checkNoStrayWrites(mb: ModelBuilder, input: number, output: number, inputSize: number, n: number, maxBatch: number): void {
  const bytes = mb.build(input, [output]);
  const rt = new WasmRuntime();
  expect(rt.load(bytes, maxBatch), `load detail ${rt.x.errorDetail()}`).toBe(0);
  const dv = new DataView(bytes.buffer);
  const arenaPerSample = dv.getUint32(60, true);
  const tensorTable = dv.getUint32(28, true);
  const arenaBase = rt.x.entryInput(EntryKind.Decode) - tensorOffset(input) * maxBatch;
  function tensorOffset(t: number): number { return dv.getUint32(tensorTable + t * 48 + 24, true); }
  const arena = new Uint8Array(rt.x.memory.buffer, arenaBase, arenaPerSample * maxBatch);
  arena.fill(CANARY);
  const x = randomArray(rng(n), inputSize * n);
  new Float32Array(rt.x.memory.buffer, rt.x.entryInput(EntryKind.Decode), x.length).set(x);
  expect(rt.x.run(EntryKind.Decode, n)).toBe(0);
  // Bytes an op (or the host, for the input) may have written.
  const allowed = new Uint8Array(arena.length);
  const written = new Set([input, ...mb.ops.map((o) => o.out)]);
  mb.tensors.forEach((t, i) => {
    if (t.kind !== TensorKind.Activation || !written.has(i)) return;
    const need = t.dims.reduce((a, b) => a * b, 1) * 4;
    const stride = dv.getUint32(tensorTable + i * 48 + 28, true);
    for (let s = 0; s < n; s++) allowed.fill(1, tensorOffset(i) * maxBatch + s * stride, tensorOffset(i) * maxBatch + s * stride + need);
  });
  for (let i = 0; i < arena.length; i++) {
    if (!allowed[i] && arena[i] !== CANARY) throw new Error(`stray write at arena byte ${i}`);
  }
}

describe('kernels never write outside their output tensors', () => {
  it('conv, conv transpose and depthwise with random shapes (channel tails, odd widths, batch 2 of 3)', () => {
    const rand = rng(2024);
    for (let i = 0; i < 40; i++) {
      const transpose = i % 2 === 1;
      const depthwise = i % 5 === 0 && !transpose;
      const G = depthwise ? randInt(rand, 2, 9) : [1, 1, 2][randInt(rand, 0, 2)];
      const Ci = depthwise ? G : G * randInt(rand, 1, 9);
      const Co = depthwise ? G : G * [1, 2, 3, 5, 7, 16, 19, 36][randInt(rand, 0, 7)];
      const k = randInt(rand, 1, 4), s = randInt(rand, 1, 3), p = randInt(rand, 0, k - 1);
      const H = randInt(rand, k, k + 6), W = randInt(rand, k, k + 6);
      const OH = transpose ? (H - 1) * s + k - 2 * p : Math.floor((H + 2 * p - k) / s) + 1;
      const OW = transpose ? (W - 1) * s + k - 2 * p : Math.floor((W + 2 * p - k) / s) + 1;
      if (OH < 1 || OW < 1) continue;
      const mb = new ModelBuilder();
      const input = mb.activation([Ci * H * W]);
      const hwc = act(mb, [Ci, H, W]);
      mb.op({ op: Op.Layout, out: hwc, a: input, params: [0, Ci, H, W] });
      const y = act(mb, [Co, OH, OW]);
      const w = mb.constF32(randomArray(rand, k * k * (Ci / G) * Co), [G * k, k, Ci / G, Co / G]);
      mb.op({ op: transpose ? Op.ConvTranspose : Op.Conv2D, out: y, a: hwc, b: w, c: mb.constF32(randomArray(rand, Co), [Co]), act: Act.Sigmoid, params: [k, k, s, s, p, p, 1, 1, G] });
      const out = mb.activation([Co * OH * OW]);
      mb.op({ op: Op.Layout, out, a: y, params: [1, Co, OH, OW] });
      checkNoStrayWrites(mb, input, out, Ci * H * W, 2, 3);
    }
  });

  it('dense (single, pairs, tiled), binary, resize, concat, slice, unary', () => {
    for (const [K, M, n] of [[7, 37, 1], [7, 37, 3], [600, 150, 3], [5, 3, 2]]) {
      const mb = new ModelBuilder();
      const input = mb.activation([K]);
      const d = act(mb, [M]);
      mb.op({ op: Op.Dense, out: d, a: input, b: mb.constF32(randomArray(rng(K), K * M), [K, M]), act: Act.Tanh });
      const out = mb.activation([M]);
      mb.op({ op: Op.Copy, out, a: d });
      checkNoStrayWrites(mb, input, out, K, n, 3);
    }
    const mb = new ModelBuilder();
    const input = mb.activation([3 * 5 * 7]);
    const hwc = act(mb, [3, 5, 7]);
    mb.op({ op: Op.Layout, out: hwc, a: input, params: [0, 3, 5, 7] });
    const up = act(mb, [3, 10, 21]);
    mb.op({ op: Op.ResizeNearest, out: up, a: hwc, params: [2, 3] });
    const cat = act(mb, [6, 10, 21]);
    mb.op({ op: Op.Concat, out: cat, a: up, b: up, params: [3, 3, 210] });
    const sl = act(mb, [5, 10, 21]);
    mb.op({ op: Op.Slice, out: sl, a: cat, params: [6, 1, 5, 210] });
    const bin = act(mb, [5, 10, 21]);
    mb.op({ op: Op.Binary, out: bin, a: sl, b: mb.constF32([1, 2, 3, 4, 5], [5]), params: [BinaryKind.Mul, 5] });
    const un = act(mb, [5, 10, 21]);
    mb.op({ op: Op.Unary, out: un, a: bin, act: Act.Softplus });
    const out = mb.activation([5 * 10 * 21]);
    mb.op({ op: Op.Layout, out, a: un, params: [1, 5, 10, 21] });
    checkNoStrayWrites(mb, input, out, 105, 2, 3);
  });
});
