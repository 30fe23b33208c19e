import { describe, it, expect } from 'vitest';
import { Act, EntryKind, Op } from '../../runtime/format-constants.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { WasmRuntime, expectClose, randInt, randomArray, rng, runReference } from './harness.js';
import {
  type ConvSpec, convOutSize, convTransposeOutSize, packConvTransposeWeights, packConvWeights, refConv, refConvTranspose,
} from './reference.js';

/**
 * Builds input(CHW) -> LAYOUT -> CONV/CONVT -> LAYOUT -> output(CHW), runs it in the wasm module and in the plain
 * forward pass (reference/), and compares both with the float64 NCHW reference.
 */
function check(s: ConvSpec, transpose: boolean, withBias: boolean, act: Act, alpha: number, seed: number): void {
  const rand = rng(seed);
  const Cig = s.Ci / s.groups, Cog = s.Co / s.groups;
  const w = randomArray(rand, s.Co * Cig * s.kh * s.kw); // ONNX: conv [Co,Cig,kh,kw], convT [Ci,Cog,kh,kw]: same count
  const b = withBias ? randomArray(rand, s.Co) : null;
  const x = randomArray(rand, s.n * s.Ci * s.H * s.W, -2, 2);
  const [OH, OW] = transpose ? convTransposeOutSize(s) : convOutSize(s);
  const mb = new ModelBuilder();
  const { input, hwc } = mb.spatialInput(s.Ci, s.H, s.W);
  const y = mb.activation([s.Co, OH, OW]);
  const packed = transpose ? packConvTransposeWeights(s, w) : packConvWeights(s, w);
  const wt = mb.constF32(packed, [s.groups * s.kh, s.kw, Cig, Cog]);
  const bt = b ? mb.constF32(b, [s.Co]) : undefined;
  mb.op({
    op: transpose ? Op.ConvTranspose : Op.Conv2D, out: y, a: hwc, b: wt, c: bt, act, alpha,
    params: [s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.dh, s.dw, s.groups],
  });
  const out = mb.spatialOutput(y, s.Co, OH, OW);
  const rt = new WasmRuntime();
  const bytes = mb.build(input, [out]);
  const code = rt.load(bytes, s.n);
  expect(code, `load ${JSON.stringify(s)} detail ${rt.x.errorDetail()}`).toBe(0);
  const [got] = rt.run(EntryKind.Decode, x, s.n, [s.Co * OH * OW]);
  const ref = transpose ? refConvTranspose(s, x, w, b, act, alpha) : refConv(s, x, w, b, act, alpha);
  expectClose(got, ref.value, ref.magnitude, 1e-5, `${transpose ? 'convT' : 'conv'} ${JSON.stringify(s)}`);
  const plain = runReference(bytes, EntryKind.Decode, x, s.n, s.Co * OH * OW);
  expectClose(plain, ref.value, ref.magnitude, 1e-5, `reference/ ${transpose ? 'convT' : 'conv'} ${JSON.stringify(s)}`);
}

function spec(p: Partial<ConvSpec>): ConvSpec {
  return { n: 1, Ci: 3, H: 5, W: 5, Co: 4, kh: 3, kw: 3, sh: 1, sw: 1, pt: 0, pl: 0, pb: 0, pr: 0, dh: 1, dw: 1, groups: 1, ...p };
}

/** Random but valid conv spec: odd channel counts, strides, pads smaller than the kernel extent, dilation, groups. */
function randomSpec(rand: () => number, transpose: boolean): ConvSpec {
  const groups = [1, 1, 1, 2, 3][randInt(rand, 0, 4)];
  const Ci = groups * randInt(rand, 1, 7), Co = groups * [1, 2, 3, 4, 5, 6, 16, 17, 18, 21, 32][randInt(rand, 0, 10)];
  const kh = randInt(rand, 1, 4), kw = randInt(rand, 1, 4);
  const dh = randInt(rand, 1, 2), dw = randInt(rand, 1, 2);
  const sh = randInt(rand, 1, 3), sw = randInt(rand, 1, 3);
  const effH = dh * (kh - 1) + 1, effW = dw * (kw - 1) + 1;
  const s: ConvSpec = {
    n: randInt(rand, 1, 3), Ci, Co, H: randInt(rand, effH, effH + 7), W: randInt(rand, effW, effW + 7), kh, kw, sh, sw, dh, dw, groups,
    pt: randInt(rand, 0, effH - 1), pl: randInt(rand, 0, effW - 1), pb: randInt(rand, 0, effH - 1), pr: randInt(rand, 0, effW - 1),
  };
  if (transpose) {
    s.oph = randInt(rand, 0, Math.max(sh, dh) - 1);
    s.opw = randInt(rand, 0, Math.max(sw, dw) - 1);
    const [OH, OW] = convTransposeOutSize(s);
    if (OH < 1 || OW < 1) { s.pt = 0; s.pb = 0; s.pl = 0; s.pr = 0; }
  }
  return s;
}

const ACTS: Array<[Act, number]> = [[Act.None, 0], [Act.Relu, 0], [Act.LeakyRelu, 0.1], [Act.Tanh, 0], [Act.Elu, 0.7]];

describe('CONV2D kernel vs float64 NCHW reference', () => {
  it('basic 3x3, no padding', () => check(spec({}), false, true, Act.None, 0, 1));
  it('same padding, stride 2, batch 3', () => check(spec({ Ci: 5, Co: 16, H: 9, W: 8, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, n: 3 }), false, true, Act.Relu, 0, 2));
  it('Co = 1 (last layer to one image channel), Ci = 32, 28x28', () => check(spec({ Ci: 32, Co: 1, H: 28, W: 28, pt: 1, pl: 1, pb: 1, pr: 1 }), false, true, Act.Sigmoid, 0, 3));
  it('Co = 1 with Ci = 7 and 13 (vector and scalar parts over ci)', () => {
    check(spec({ Ci: 7, Co: 1, pt: 1, pb: 1 }), false, false, Act.None, 0, 4);
    check(spec({ Ci: 13, Co: 1, W: 6, pl: 2, pr: 1 }), false, true, Act.None, 0, 41);
  });
  it('depthwise (groups = C) with dilation 2', () => check(spec({ Ci: 6, Co: 6, groups: 6, H: 9, W: 7, dh: 2, dw: 2, pt: 2, pl: 2, pb: 2, pr: 2 }), false, true, Act.None, 0, 5));
  it('depthwise with 19 channels (vector and scalar channels), stride 2, batch 2, no bias', () => check(spec({ n: 2, Ci: 19, Co: 19, groups: 19, H: 9, W: 10, sh: 2, sw: 2, pt: 1, pl: 0, pb: 1, pr: 2 }), false, false, Act.Relu, 0, 51));
  it('depthwise multiplier 2, stride 2 with dropped last row (negative implied bottom pad)', () => check(spec({ Ci: 4, Co: 8, groups: 4, H: 8, W: 8, sh: 2, sw: 2 }), false, true, Act.None, 0, 6));
  it('Co = 37 (8-channel blocks, a 4-channel block and single channels), odd width', () => check(spec({ Ci: 3, Co: 37, H: 6, W: 7, pt: 1, pl: 1, pb: 1, pr: 1, n: 2 }), false, true, Act.None, 0, 7));
  it('kernel larger than stride, asymmetric pads, 1x1 kernels', () => {
    check(spec({ kh: 1, kw: 1, Ci: 9, Co: 20, H: 3, W: 4 }), false, true, Act.None, 0, 8);
    check(spec({ kh: 5, kw: 2, Ci: 2, Co: 5, H: 7, W: 6, sh: 3, sw: 1, pt: 3, pl: 0, pb: 1, pr: 1 }), false, true, Act.None, 0, 9);
  });
  it('many channels: 8-channel blocks, a 4-channel block and single channels', () => {
    check(spec({ Ci: 32, Co: 37, H: 6, W: 5, pt: 1, pl: 1, pb: 1, pr: 1, n: 2 }), false, true, Act.None, 0, 10);
    check(spec({ Ci: 64, Co: 70, groups: 2, H: 4, W: 4, kh: 4, kw: 4, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1 }), false, true, Act.None, 0, 17);
  });
  it('60 random specs', () => {
    const rand = rng(1234);
    for (let i = 0; i < 60; i++) {
      const [act, alpha] = ACTS[i % ACTS.length];
      check(randomSpec(rand, false), false, i % 3 !== 0, act, alpha, 100 + i);
    }
  });
});

describe('CONV_TRANSPOSE kernel vs float64 NCHW scatter reference', () => {
  it('3x3 stride 2 pad 1 output_padding 1 (7 -> 14)', () => check(spec({ Ci: 8, Co: 16, H: 7, W: 7, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, oph: 1, opw: 1 }), true, true, Act.Relu, 0, 11));
  it('decoder-like 64 -> 32, 14 -> 28, batch 3', () => check(spec({ n: 3, Ci: 64, Co: 32, H: 14, W: 14, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, oph: 1, opw: 1 }), true, true, Act.Relu, 0, 12));
  it('no padding, stride 1, Co = 1', () => check(spec({ Ci: 5, Co: 1, H: 4, W: 6 }), true, true, Act.None, 0, 13));
  it('stride 3 with kernel 2 (gaps in the output), odd channels', () => check(spec({ Ci: 3, Co: 7, kh: 2, kw: 2, sh: 3, sw: 3, H: 4, W: 3 }), true, false, Act.None, 0, 14));
  it('grouped and depthwise, dilation 2', () => {
    check(spec({ Ci: 6, Co: 9, groups: 3, dh: 2, dw: 2, sh: 2, sw: 2, pt: 1, pl: 2, pb: 0, pr: 1 }), true, true, Act.None, 0, 15);
    check(spec({ Ci: 4, Co: 4, groups: 4, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, oph: 1, opw: 1 }), true, true, Act.None, 0, 16);
  });
  it('many channels: 8-channel blocks, a 4-channel block and single channels', () => {
    check(spec({ Ci: 32, Co: 39, H: 5, W: 6, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, oph: 1, opw: 1, n: 2 }), true, true, Act.None, 0, 18);
    check(spec({ Ci: 64, Co: 3, H: 6, W: 6, kh: 4, kw: 4, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1 }), true, true, Act.Sigmoid, 0, 19);
  });
  it('60 random specs', () => {
    const rand = rng(4321);
    for (let i = 0; i < 60; i++) {
      const [act, alpha] = ACTS[i % ACTS.length];
      check(randomSpec(rand, true), true, i % 3 !== 0, act, alpha, 200 + i);
    }
  });
});

/** Random spec with wide rows (several quads per row, border and row-end pixels) and the channel counts of every block kind. */
function wideSpec(rand: () => number, transpose: boolean): ConvSpec {
  const s = randomSpec(rand, transpose);
  const groups = [1, 1, 2][randInt(rand, 0, 2)];
  s.groups = groups;
  s.Ci = groups * randInt(rand, 1, 9);
  s.Co = groups * [1, 2, 3, 4, 7, 8, 9, 12, 13, 20, 24][randInt(rand, 0, 10)];
  s.W += randInt(rand, 6, 20);
  s.H = Math.max(1, s.H - randInt(rand, 0, 3));
  const effH = s.dh * (s.kh - 1) + 1;
  if (!transpose && s.H + s.pt + s.pb < effH) s.H = effH;
  if (transpose) {
    const [OH, OW] = convTransposeOutSize(s);
    if (OH < 1 || OW < 1) { s.pt = 0; s.pb = 0; s.pl = 0; s.pr = 0; }
  }
  return s;
}

describe('gather quads (regular row quads, pending border pixels, 8/4/1-channel blocks, fused relu)', () => {
  it('wide rows: shifted tap lists with Co = 8, 12, 13 and 1, 2, 3 single channels, widths leaving 1-3 pending pixels', () => {
    for (const [Co, W, seed] of [[8, 21, 301], [12, 18, 302], [13, 19, 303], [1, 22, 304], [2, 17, 305], [3, 16, 306]]) {
      check(spec({ Ci: 6, Co, H: 5, W, pt: 1, pl: 1, pb: 1, pr: 1 }), false, true, Act.Relu, 0, seed);
      check(spec({ Ci: 5, Co, H: 4, W, sw: 2, pl: 2, pr: 0, kw: 4 }), false, seed % 2 === 0, Act.None, 0, seed + 10);
    }
  });
  it('every pixel pending (image narrower than a quad of interior pixels) and a lone last pixel', () => {
    check(spec({ Ci: 9, Co: 12, H: 3, W: 3, pt: 1, pl: 1, pb: 1, pr: 1 }), false, true, Act.Relu, 0, 311);
    check(spec({ Ci: 4, Co: 9, H: 1, W: 5, kh: 1, kw: 1 }), false, true, Act.None, 0, 312);
    check(spec({ Ci: 3, Co: 8, H: 7, W: 7, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, oph: 1, opw: 1 }), true, true, Act.Relu, 0, 313);
  });
  it('Co = 1: ci in vector pairs, a lone vector and a scalar tail; merged kernel rows, split ones (dilation, groups)', () => {
    for (const [Ci, seed] of [[32, 321], [12, 322], [4, 323], [7, 324], [1, 325], [3, 326]]) {
      check(spec({ Ci, Co: 1, H: 9, W: 14, pt: 1, pl: 1, pb: 1, pr: 1 }), false, true, Act.Sigmoid, 0, seed);
      check(spec({ Ci, Co: 1, H: 8, W: 13, dw: 2, pl: 2, pr: 1 }), false, false, Act.Relu, 0, seed + 10);
    }
    check(spec({ Ci: 10, Co: 2, groups: 2, H: 6, W: 15, pt: 1, pl: 1, pb: 1, pr: 1 }), false, true, Act.None, 0, 327);
    check(spec({ Ci: 8, Co: 1, H: 6, W: 11, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, opw: 1 }), true, true, Act.Relu, 0, 328);
  });
  it('transposed: dilation sharing a factor with the stride (phases without any tap: bias only; tap steps above 1)', () => {
    check(spec({ Ci: 5, Co: 8, H: 5, W: 9, sh: 2, sw: 2, dh: 2, dw: 2 }), true, true, Act.None, 0, 331);
    check(spec({ Ci: 3, Co: 9, H: 4, W: 10, kh: 4, kw: 4, sh: 4, sw: 4, dh: 2, dw: 2, pt: 1, pl: 2 }), true, true, Act.Relu, 0, 332);
    check(spec({ Ci: 4, Co: 4, H: 5, W: 8, kh: 4, kw: 3, sh: 3, sw: 2, dh: 2, dw: 3, pt: 2, pl: 1, pb: 1, pr: 0 }), true, false, Act.None, 0, 333);
    check(spec({ Ci: 2, Co: 13, H: 3, W: 12, kh: 2, kw: 2, sh: 5, sw: 4 }), true, true, Act.None, 0, 334);
  });
  it('weights over the 256 KB cache budget: chunks of 16 channels ending in 8-, 4- and 1-channel blocks', () => {
    check(spec({ Ci: 480, Co: 45, H: 3, W: 6, pt: 1, pl: 1, pb: 1, pr: 1 }), false, true, Act.Relu, 0, 341);
    check(spec({ Ci: 400, Co: 40, H: 3, W: 5, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, oph: 1, opw: 1 }), true, true, Act.None, 0, 342);
  });
  it('60 random wide specs, conv and transposed', () => {
    const rand = rng(777);
    for (let i = 0; i < 60; i++) {
      const [act, alpha] = ACTS[i % ACTS.length];
      const transpose = i % 2 === 1;
      check(wideSpec(rand, transpose), transpose, i % 3 !== 0, act, alpha, 400 + i);
    }
  });
});

describe('relu fused into the conv store vs a separate Relu op', () => {
  // The gather kernels apply relu while storing (pmax); a standalone Relu goes through activation.ts. Both
  // must give the same bits, NaN included (max(NaN, 0) is NaN, as Math.max and the reference say).
  function run(transpose: boolean, fused: boolean, x: Float32Array, w: Float32Array, s: ConvSpec): Float32Array {
    const [OH, OW] = transpose ? convTransposeOutSize(s) : convOutSize(s);
    const mb = new ModelBuilder();
    const { input, hwc } = mb.spatialInput(s.Ci, s.H, s.W);
    const y = mb.activation([s.Co, OH, OW]);
    const packed = transpose ? packConvTransposeWeights(s, w) : packConvWeights(s, w);
    mb.op({
      op: transpose ? Op.ConvTranspose : Op.Conv2D, out: y, a: hwc, b: mb.constF32(packed, [s.kh, s.kw, s.Ci, s.Co]),
      act: fused ? Act.Relu : Act.None, alpha: 0, params: [s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.dh, s.dw, 1],
    });
    let last = y;
    if (!fused) {
      last = mb.activation([s.Co, OH, OW]);
      mb.op({ op: Op.Unary, out: last, a: y, act: Act.Relu, alpha: 0, params: [] });
    }
    const rt = new WasmRuntime();
    expect(rt.load(mb.build(input, [mb.spatialOutput(last, s.Co, OH, OW)]), 1)).toBe(0);
    return rt.run(EntryKind.Decode, x, 1, [s.Co * OH * OW])[0];
  }
  for (const transpose of [false, true]) {
    it(`${transpose ? 'conv transpose' : 'conv'}: same bits, NaN stays NaN`, () => {
      const s = spec({ Ci: 8, Co: 12, H: 5, W: 6, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1 });
      const rand = rng(transpose ? 91 : 92);
      const w = randomArray(rand, s.Co * s.Ci * s.kh * s.kw);
      const x = randomArray(rand, s.Ci * s.H * s.W, -2, 2);
      x[7] = NaN;
      const fused = run(transpose, true, x, w, s), separate = run(transpose, false, x, w, s);
      expect(fused.some(Number.isNaN)).toBe(true);
      expect(fused.some((v) => v === 0)).toBe(true);
      for (let i = 0; i < fused.length; i++) expect(Object.is(fused[i], separate[i]) || (fused[i] === 0 && separate[i] === 0), `output ${i}: ${fused[i]} vs ${separate[i]}`).toBe(true);
    });
  }
});

// kernels/conv_winograd.ts takes one-group 4x4 stride-2 pad-1 convs with Ci a multiple of 4 (output sizes, bottom and
// right pads, output_padding free): odd and one-pixel images, phase grids with a lone last row or column, tile counts
// not a multiple of 4, Co with partial 8-channel blocks.
describe('Winograd F(2x2, 2x2) path: 4x4 stride-2 pad-1 conv and transposed conv', () => {
  const k4s2 = { kh: 4, kw: 4, sh: 2, sw: 2, pt: 1, pl: 1 };
  it('transposed: odd sizes, 1x1 input, output_padding, bottom/right pads 0..2, Co 1..19', () => {
    const cases: Array<Partial<ConvSpec>> = [
      { Ci: 4, Co: 8, H: 4, W: 4, pb: 1, pr: 1 },
      { Ci: 8, Co: 13, H: 3, W: 5, pb: 1, pr: 1, n: 2 },
      { Ci: 4, Co: 3, H: 1, W: 1, pb: 1, pr: 1 },
      { Ci: 12, Co: 17, H: 5, W: 3, pb: 0, pr: 2 },
      { Ci: 4, Co: 1, H: 2, W: 7, pb: 1, pr: 1, oph: 1, opw: 1 },
      { Ci: 16, Co: 19, H: 6, W: 6, pb: 2, pr: 0, oph: 1, opw: 0 },
    ];
    cases.forEach((c, k) => check(spec({ ...k4s2, ...c }), true, k % 2 === 0, k % 3 === 0 ? Act.None : Act.Relu, 0, 700 + k));
  });
  it('conv: odd sizes, bottom/right pads 0..2, Co 1..21, activations after the kernel', () => {
    const cases: Array<Partial<ConvSpec>> = [
      { Ci: 4, Co: 8, H: 8, W: 8, pb: 1, pr: 1 },
      { Ci: 8, Co: 21, H: 7, W: 9, pb: 1, pr: 2, n: 2 },
      { Ci: 4, Co: 5, H: 3, W: 2, pb: 0, pr: 1 },
      { Ci: 12, Co: 1, H: 10, W: 5, pb: 2, pr: 0 },
      { Ci: 20, Co: 16, H: 6, W: 11, pb: 1, pr: 1 },
    ];
    cases.forEach((c, k) => check(spec({ ...k4s2, ...c }), false, k % 2 === 1, [Act.None, Act.Relu, Act.Tanh][k % 3]!, 0, 720 + k));
  });
  it('decoder- and encoder-sized layers (64 -> 32 channels, 16x16 <-> 32x32)', () => {
    check(spec({ ...k4s2, Ci: 64, Co: 32, H: 16, W: 16, pb: 1, pr: 1 }), true, true, Act.Relu, 0, 740);
    check(spec({ ...k4s2, Ci: 32, Co: 64, H: 32, W: 32, pb: 1, pr: 1 }), false, true, Act.Relu, 0, 741);
  });
});
