import { describe, it, expect } from 'vitest';
import { BinaryKind, DType, EntryKind, LayoutMode, Op } from '../../runtime/format-constants.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { WasmRuntime, randomArray, rng } from './harness.js';

function runModel(mb: ModelBuilder, input: number, out: number, x: Float32Array, outSize: number, n = 1): Float32Array {
  const rt = new WasmRuntime();
  const code = rt.load(mb.build(input, [out]), n);
  expect(code, `load detail ${rt.x.errorDetail()}`).toBe(0);
  return rt.run(EntryKind.Decode, x, n, [outSize])[0];
}

/** Splits a rank-1 input [a.length + b.length] into two activations with SLICE (one row). */
function splitInput(mb: ModelBuilder, na: number, nb: number): { input: number; a: number; b: number } {
  const input = mb.activation([na + nb]);
  const a = mb.activation([na]);
  const b = mb.activation([nb]);
  mb.op({ op: Op.Slice, out: a, a: input, params: [na + nb, 0, na, 1] });
  mb.op({ op: Op.Slice, out: b, a: input, params: [na + nb, na, nb, 1] });
  return { input, a, b };
}

const f32 = Math.fround;
const BINARY_REF: Record<number, (x: number, y: number) => number> = {
  [BinaryKind.Add]: (x, y) => f32(x + y), [BinaryKind.Sub]: (x, y) => f32(x - y),
  [BinaryKind.Mul]: (x, y) => f32(x * y), [BinaryKind.Div]: (x, y) => f32(x / y),
};

describe('BINARY', () => {
  for (const kind of [BinaryKind.Add, BinaryKind.Sub, BinaryKind.Mul, BinaryKind.Div]) {
    for (const [len, period] of [[35, 35], [36, 4], [45, 5], [3, 1], [64, 16]]) {
      it(`kind ${kind}, ${len} elements, period ${period}, constant and activation b, batch 3`, () => {
        const rand = rng(kind * 100 + len);
        const bConst = randomArray(rand, period, 0.5, 2);
        const x = randomArray(rand, 3 * (len + period), -3, 3);
        // b as a constant
        const mb = new ModelBuilder();
        const { input, a, b } = splitInput(mb, len, period);
        const o1 = mb.activation([len]);
        mb.op({ op: Op.Binary, out: o1, a, b: mb.constF32(bConst, [period]), params: [kind, period] });
        const o2 = mb.activation([len]);
        mb.op({ op: Op.Binary, out: o2, a: o1, b, params: [kind, period] }); // b as an activation
        const y = runModel(mb, input, o2, x, len, 3);
        for (let s = 0; s < 3; s++) {
          const xs = x.subarray(s * (len + period));
          for (let i = 0; i < len; i++) {
            const step1 = BINARY_REF[kind](xs[i], bConst[i % period]);
            const expected = BINARY_REF[kind](step1, xs[len + (i % period)]);
            expect(y[s * len + i]).toBe(expected);
          }
        }
      });
    }
  }
});

describe('RESIZE_NEAREST, LAYOUT', () => {
  it('nearest upsampling by (2,3) of a [3,4,5] image in ONNX semantics', () => {
    const [C, H, W, sh, sw] = [3, 4, 5, 2, 3];
    const mb = new ModelBuilder();
    const { input, hwc } = mb.spatialInput(C, H, W);
    const up = mb.activation([C, H * sh, W * sw]);
    mb.op({ op: Op.ResizeNearest, out: up, a: hwc, params: [sh, sw] });
    const out = mb.spatialOutput(up, C, H * sh, W * sw);
    const x = randomArray(rng(1), C * H * W);
    const y = runModel(mb, input, out, x, C * H * W * sh * sw);
    for (let c = 0; c < C; c++) for (let oy = 0; oy < H * sh; oy++) for (let ox = 0; ox < W * sw; ox++) {
      expect(y[(c * H * sh + oy) * W * sw + ox]).toBe(x[(c * H + Math.floor(oy / sh)) * W + Math.floor(ox / sw)]);
    }
  });

  /** A LAYOUT op of `mode` on [C,H,W] random values (`seed`): input and output. */
  const layout = (mode: LayoutMode, C: number, H: number, W: number, seed: number) => {
    const mb = new ModelBuilder();
    const input = mb.activation([C * H * W]);
    const out = mb.activation([C * H * W]);
    mb.op({ op: Op.Layout, out, a: input, params: [mode, C, H, W] });
    const x = randomArray(rng(seed), C * H * W);
    return { x, y: runModel(mb, input, out, x, C * H * W) };
  };
  for (const [C, H, W] of [[5, 3, 7], [1, 4, 6], [6, 1, 1]]) it(`CHW -> HWC layout of [${C},${H},${W}] is a transpose`, () => {
    const { x, y } = layout(LayoutMode.ChwToHwc, C, H, W, 2);
    for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) expect(y[p * C + c]).toBe(x[c * H * W + p]);
  });
  it('HWC -> CHW layout inverts it', () => {
    const [C, H, W] = [3, 5, 2];
    const { x, y } = layout(LayoutMode.HwcToChw, C, H, W, 9);
    for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) expect(y[c * H * W + p]).toBe(x[p * C + c]);
  });
});

describe('CONCAT, SLICE, COPY', () => {
  it('channel concat of HWC rows', () => {
    const [ca, cb, rows] = [3, 5, 7];
    const mb = new ModelBuilder();
    const { input, a, b } = splitInput(mb, ca * rows, cb * rows);
    const out = mb.activation([(ca + cb) * rows]);
    mb.op({ op: Op.Concat, out, a, b, params: [ca, cb, rows] });
    const x = randomArray(rng(3), (ca + cb) * rows);
    const y = runModel(mb, input, out, x, (ca + cb) * rows);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < ca; i++) expect(y[r * (ca + cb) + i]).toBe(x[r * ca + i]);
      for (let i = 0; i < cb; i++) expect(y[r * (ca + cb) + ca + i]).toBe(x[ca * rows + r * cb + i]);
    }
  });

  it('slice of rows, then copy', () => {
    const [c, start, count, rows] = [9, 2, 4, 6];
    const mb = new ModelBuilder();
    const input = mb.activation([c * rows]);
    const s = mb.activation([count * rows]);
    const out = mb.activation([count * rows]);
    mb.op({ op: Op.Slice, out: s, a: input, params: [c, start, count, rows] });
    mb.op({ op: Op.Copy, out, a: s });
    const x = randomArray(rng(4), c * rows * 2);
    const y = runModel(mb, input, out, x, count * rows, 2);
    for (let n = 0; n < 2; n++) for (let r = 0; r < rows; r++) for (let i = 0; i < count; i++) {
      expect(y[n * count * rows + r * count + i]).toBe(x[n * c * rows + r * c + start + i]);
    }
  });
});

/** ONNX QuantizeLinear: round half to even, saturate. */
function roundHalfEven(v: number): number {
  const f = Math.floor(v);
  const d = v - f;
  if (d > 0.5) return f + 1;
  if (d < 0.5) return f;
  return f % 2 === 0 ? f : f + 1;
}

describe('QUANTIZE / DEQUANTIZE', () => {
  for (const [dtype, lo, hi, zp] of [[DType.I8, -128, 127, 3], [DType.U8, 0, 255, 128]]) {
    it(`${dtype === DType.I8 ? 'i8' : 'u8'} round trip with zero point ${zp}`, () => {
      const scale = 0.5;
      const ties = [0.25, 0.75, -0.25, -0.75, 1.25, -1.25, 1000, -1000];
      const x = Float32Array.from([...ties, ...randomArray(rng(dtype), 101, -80, 80)]);
      const mb = new ModelBuilder();
      const input = mb.activation([x.length]);
      const q = mb.activation([x.length], dtype, { scale, zeroPoint: zp });
      const out = mb.activation([x.length]);
      mb.op({ op: Op.Quantize, out: q, a: input });
      mb.op({ op: Op.Dequantize, out, a: q });
      const y = runModel(mb, input, out, x, x.length);
      for (let i = 0; i < x.length; i++) {
        const qv = Math.min(hi, Math.max(lo, roundHalfEven(f32(x[i] / scale)) + zp));
        expect(y[i]).toBe(f32((qv - zp) * scale));
      }
    });
  }
});
