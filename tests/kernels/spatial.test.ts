// The wasm spatial and attention kernels (opcodes 20..26) against their TypeScript twins
// (reference/spatial.ts), on odd channel counts so the SIMD tails run too.
import { describe, it, expect } from 'vitest';
import { EntryKind, Op, PadMode, PoolKind, ResizeMode } from '../../runtime/format-constants.js';
import * as R from '../../reference/spatial.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { WasmRuntime, expectClose, randomArray, rng } from './harness.js';

const f32Bits = (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0]!;
const hwc = (x: Float32Array, C: number, H: number, W: number) => {
  const out = new Float32Array(x.length);
  for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) out[p * C + c] = x[c * H * W + p]!;
  return out;
};

/** One op from an HWC [C,H,W] input (fed as HWC bytes through a rank-1 view) to its output, batch 2. */
function runOp(op: number, params: number[], inDims: number[], outDims: number[], x: Float32Array[]): Float32Array[] {
  const mb = new ModelBuilder();
  const n = inDims.reduce((s, d) => s * d, 1), m = outDims.reduce((s, d) => s * d, 1);
  const input = mb.activation([n]);
  const a = mb.activation(inDims);
  mb.op({ op: Op.Copy, out: a, a: input });
  const o = mb.activation(outDims);
  mb.op({ op, out: o, a, params });
  const out = mb.activation([m]);
  mb.op({ op: Op.Copy, out, a: o });
  const rt = new WasmRuntime();
  expect(rt.load(mb.build(input, [out]), x.length), `detail ${rt.x.errorDetail()}`).toBe(0);
  const packed = new Float32Array(n * x.length);
  x.forEach((v, i) => packed.set(v, i * n));
  const [y] = rt.run(EntryKind.Decode, packed, x.length, [m]);
  return x.map((_, i) => y!.slice(i * m, (i + 1) * m));
}

/** magnitude: bound of the terms a value is formed from (blends of mixed signs cancel), or null for |expected|. */
function check(op: number, params: number[], inDims: number[], outDims: number[], seed: number, rtol = 1e-6, magnitude: number | null = null): void {
  const rand = rng(seed);
  const n = inDims.reduce((s, d) => s * d, 1);
  const xs = [randomArray(rand, n, -2, 2), randomArray(rand, n, -2, 2)];
  const ys = runOp(op, params, inDims, outDims, xs);
  const mag = magnitude === null ? null : new Float32Array(ys[0]!.length).fill(magnitude);
  xs.forEach((x, i) => expectClose(ys[i]!, R.runSpatialOp(op, params, x, inDims, outDims), mag, rtol, `sample ${i}`));
}

describe('PAD', () => {
  for (const [mode, pads] of [[PadMode.Constant, [1, 2, 0, 3]], [PadMode.Reflect, [2, 1, 2, 3]], [PadMode.Edge, [3, 0, 1, 4]], [PadMode.Constant, [-1, 1, -2, 0]]] as const) {
    it(`mode ${mode}, pads top ${pads[0]} left ${pads[1]} bottom ${pads[2]} right ${pads[3]}`, () => {
      const [C, H, W] = [3, 4, 5];
      const out = [C, H + pads[0] + pads[2], W + pads[1] + pads[3]];
      check(Op.Pad, [mode, pads[0] >>> 0, pads[1] >>> 0, f32Bits(0.75)], [C, H, W], out, 10 + mode);
    });
  }
  it('reflect matches ONNX on a small row (hand-computed)', () => {
    const [y] = runOp(Op.Pad, [PadMode.Reflect, 0, 2, 0], [1, 1, 3], [1, 1, 7], [Float32Array.from([1, 2, 3])]);
    expect(Array.from(y!)).toEqual([3, 2, 1, 2, 3, 2, 1]);
  });
});

describe('RESIZE', () => {
  const axis = (p: number, m: number, d: number, q: number) => [p, m, d, q].map(f32Bits);
  const cases: [string, number, number[], number[], number[]][] = [
    ['linear half_pixel x2', ResizeMode.Linear, axis(0.5, 1, 2, 0.5), axis(0.5, 1, 2, 0.5), [5, 8, 10]],
    ['linear align_corners 4->7, 5->9', ResizeMode.Linear, axis(0, 3, 6, 0), axis(0, 4, 8, 0), [5, 7, 9]],
    ['linear asymmetric x1.5', ResizeMode.Linear, axis(0, 1, 1.5, 0), axis(0, 1, 1.5, 0), [5, 6, 7]],
    ['nearest round_prefer_floor x1.5 half_pixel', ResizeMode.RoundPreferFloor, axis(0.5, 1, 1.5, 0.5), axis(0.5, 1, 1.5, 0.5), [5, 6, 7]],
    ['nearest round_prefer_ceil asymmetric x0.5', ResizeMode.RoundPreferCeil, axis(0, 1, 0.5, 0), axis(0, 1, 0.5, 0), [5, 2, 2]],
    ['nearest floor x1.7', ResizeMode.Floor, axis(0, 1, 1.7, 0), axis(0, 1, 1.7, 0), [5, 6, 8]],
    ['nearest ceil x2.5', ResizeMode.Ceil, axis(0, 1, 2.5, 0), axis(0, 1, 2.5, 0), [5, 10, 12]],
  ];
  for (const [name, mode, h, w, out] of cases) it(name, () => check(Op.Resize, [mode, ...h, ...w], [5, 4, 5], out, 20 + mode, 1e-6, 2));
  it('bilinear x2 half_pixel of a 1x2 row is the known ramp', () => {
    const [y] = runOp(Op.Resize, [ResizeMode.Linear, ...axis(0.5, 1, 2, 0.5), ...axis(0.5, 1, 2, 0.5)], [1, 1, 2], [1, 2, 4], [Float32Array.from([0, 4])]);
    expect(Array.from(y!)).toEqual([0, 1, 3, 4, 0, 1, 3, 4]);
  });
});

describe('POOL', () => {
  const cases: [string, number[], number[]][] = [
    ['max 3x3 stride 2 pad 1', [PoolKind.Max, 3, 3, 2, 2, 1, 1, 1, 1], [6, 4, 4]],
    ['average 2x2 stride 2', [PoolKind.AvgExcludePad, 2, 2, 2, 2, 0, 0, 0, 0], [6, 4, 4]],
    ['average 3x3 pad 1 excluding padding', [PoolKind.AvgExcludePad, 3, 3, 1, 1, 1, 1, 1, 1], [6, 7, 8]],
    ['average 3x3 pad 1 counting padding', [PoolKind.AvgIncludePad, 3, 3, 1, 1, 1, 1, 1, 1], [6, 7, 8]],
    ['global average', [PoolKind.AvgExcludePad, 7, 8, 1, 1, 0, 0, 0, 0], [6, 1, 1]],
    ['max 2x2 stride 2 ceil mode', [PoolKind.Max, 2, 2, 2, 2, 0, 0, 0, 0], [6, 4, 4]],
  ];
  for (const [name, params, out] of cases) it(name, () => check(Op.Pool, params, [6, 7, 8], out, 40 + params[0]!, 1e-6));
});

describe('MATMUL, SOFTMAX, TRANSPOSE', () => {
  for (const [B, M, K, N] of [[1, 16, 8, 16], [3, 5, 7, 9], [2, 1, 13, 6]]) {
    it(`matmul B ${B} M ${M} K ${K} N ${N}`, () => {
      const mb = new ModelBuilder();
      const na = B * M * K, nb = B * K * N;
      const input = mb.activation([na + nb]);
      const a = mb.activation([na]), b = mb.activation([nb]), o = mb.activation([B * M * N]);
      mb.op({ op: Op.Slice, out: a, a: input, params: [na + nb, 0, na, 1] });
      mb.op({ op: Op.Slice, out: b, a: input, params: [na + nb, na, nb, 1] });
      mb.op({ op: Op.MatMul, out: o, a, b, params: [B, M, K, N] });
      const rt = new WasmRuntime();
      expect(rt.load(mb.build(input, [o]))).toBe(0);
      const x = randomArray(rng(B * 100 + K), na + nb);
      const [y] = rt.run(EntryKind.Decode, x, 1, [B * M * N]);
      const ref = R.matmul(x.subarray(0, na), x.subarray(na), B, M, K, N);
      expectClose(y!, ref, null, 1e-5, 'matmul');
    });
  }
  for (const [rows, L] of [[4, 16], [3, 7], [1, 1]]) it(`softmax ${rows} rows of ${L}`, () => {
    const x = randomArray(rng(L), rows * L, -8, 8);
    const [y] = runOp(Op.Softmax, [L], [rows * L], [rows * L], [x]);
    expectClose(y!, R.softmax(x, L), null, 2e-6, 'softmax');
  });
  for (const perm of [[0, 2, 1, 3], [1, 0, 2, 3], [3, 2, 1, 0], [1, 3, 0, 2], [2, 0, 3, 1], [0, 1, 2, 3]]) it(`transpose [3,4,5,2] perm ${perm}`, () => {
    check(Op.Transpose, [3, 4, 5, 2, ...perm], [120], [120], 50);
  });
});
