// The int8 SIMD kernels (assembly/kernels/int8) against their plain TypeScript twins
// (reference/kernels.ts): bit-exact for the integer path. (int8-weights ops run the f32
// kernels on weights dequantized at load: tests/int8-weights-dequant.test.ts.)
import { describe, it, expect, beforeAll } from 'vitest';
import { rng, randInt } from './kernels/harness.js';
import { readyInt8Kernels, putInto, type Int8Kernels } from './helpers/int8-kernels.js';
import * as ref from '../reference/kernels.js';
import { requantMultiplier, requantize, quantizeValue, roundHalfEven } from '../reference/quant-arithmetic.js';


let k: Int8Kernels;

beforeAll(() => { k = readyInt8Kernels(); });

const put = (a: Int8Array | Int32Array | Float32Array): number => putInto(k, a);
const i8 = (rand: () => number, n: number, lo = -128, hi = 127) => Int8Array.from({ length: n }, () => randInt(rand, lo, hi));
const f32s = (rand: () => number, n: number, lo: number, hi: number) => Float32Array.from({ length: n }, () => lo + (hi - lo) * rand());
const geomArgs = (g: ref.ConvGeometry) => [g.Ci, g.H, g.W, g.Co, g.OH, g.OW, g.kh, g.kw, g.sH, g.sW, g.padT, g.padL, g.dH, g.dW, g.groups];

function randomGeometry(rand: () => number, transposed: boolean): ref.ConvGeometry {
  const groups = randInt(rand, 1, 3);
  const Ci = groups * randInt(rand, 1, 11), Co = groups * randInt(rand, 1, 21);
  const kh = randInt(rand, 1, 4), kw = randInt(rand, 1, 4), sH = randInt(rand, 1, 3), sW = randInt(rand, 1, 3);
  const dH = randInt(rand, 1, 2), dW = randInt(rand, 1, 2);
  const effH = dH * (kh - 1) + 1, effW = dW * (kw - 1) + 1;
  const padT = randInt(rand, 0, effH - 1), padL = randInt(rand, 0, effW - 1);
  const padB = randInt(rand, 0, effH - 1), padR = randInt(rand, 0, effW - 1);
  let H = randInt(rand, 1, 7), W = randInt(rand, 1, 7);
  if (!transposed) { H = Math.max(H, effH); W = Math.max(W, effW); }
  const OH = transposed ? (H - 1) * sH + effH - padT - padB : Math.floor((H + padT + padB - effH) / sH) + 1;
  const OW = transposed ? (W - 1) * sW + effW - padL - padR : Math.floor((W + padL + padR - effW) / sW) + 1;
  if (OH < 1 || OW < 1) return randomGeometry(rand, transposed);
  return { Ci, H, W, Co, OH, OW, kh, kw, sH, sW, padT, padL, dH, dW, groups };
}

describe('requantization multipliers', () => {
  it('match the TypeScript mirror and equal the real multiplier to f32 precision', () => {
    const rand = rng(7);
    const scales = f32s(rand, 200, 1e-5, 0.2);
    const out = k.alloc(200 * 4);
    k.requantParams(0.0123, put(scales), 0.05, 200, out);
    const got = new Float32Array(k.memory.buffer, out, 200);
    for (let c = 0; c < 200; c++) {
      expect(got[c]).toBe(requantMultiplier(0.0123, scales[c]!, 0.05));
      const real = (Math.fround(0.0123) * scales[c]!) / Math.fround(0.05);
      expect(Math.abs(got[c]! - real)).toBeLessThanOrEqual(real * 2 ** -24);
    }
  });
  it('are 0 for a zero or NaN scale and capped at 2^64 for a huge one, in the runtime and the mirror', () => {
    const scales = Float32Array.of(0, NaN, 3e38, 1e-30);
    const out = k.alloc(16);
    k.requantParams(1, put(scales), 1e-3, 4, out);
    const want = Array.from(scales, (s) => requantMultiplier(1, s, 1e-3));
    expect(Array.from(new Float32Array(k.memory.buffer, out, 4))).toEqual(want);
    expect(want.slice(0, 3)).toEqual([0, 0, 2 ** 64]);
    expect(want[3]).toBeGreaterThan(0);
  });
  it('round the f32 product half to even, after rounding acc to f32', () => {
    // m = 0.25: products 0.5, 1.5, 2.5, 1.25 and their negatives
    expect([2, 6, 10, 5].map((a) => requantize(a, 0.25))).toEqual([0, 2, 2, 1]);
    expect([-2, -6, -10, -5].map((a) => requantize(a, 0.25) + 0)).toEqual([0, -2, -2, -1]);
    // 2^24 + 1 is not an f32: it converts to 2^24 (tie to even) before the multiply
    expect(requantize(2 ** 24 + 1, 1)).toBe(2 ** 24);
    expect(requantize(2 ** 24 + 3, 1)).toBe(2 ** 24 + 4);
  });
});

describe('QUANTIZE (4 values per SIMD step, then a scalar tail) vs the TypeScript rule', () => {
  it('rounds ties to even, saturates, maps NaN to the zero point, for i8 and u8', () => {
    const rand = rng(13);
    for (let trial = 0; trial < 12; trial++) {
      const n = trial < 3 ? randInt(rand, 1, 9) : randInt(rand, 35, 45), scale = Math.fround(0.002 + rand() * 0.05);
      // ties (k + 0.5) * scale, values far outside the range, in range, and every 5th one of inf, -inf, NaN, -0
      // (NaN at 14 and 34: both halves of an 8-value step)
      const x = Float32Array.from({ length: n }, (_, i) => [
        () => (randInt(rand, -300, 300) + 0.5) * scale, () => (rand() - 0.5) * 1e6, () => (rand() - 0.5) * 600 * scale,
        () => (rand() - 0.5) * 300 * scale, () => [Infinity, -Infinity, NaN, -0][Math.floor(i / 5) % 4]!,
      ][i % 5]!());
      for (const unsigned of [false, true]) {
        const zp = unsigned ? randInt(rand, 0, 255) : randInt(rand, -128, 127);
        const out = k.alloc(n);
        k.quantize(put(x), out, n, scale, zp, unsigned ? 1 : 0);
        const got = unsigned ? new Uint8Array(k.memory.buffer, out, n) : new Int8Array(k.memory.buffer, out, n);
        // u8: the same rule clamped to [0, 255] (quantizeValue is the i8 one)
        const want = Array.from(x, (v) => unsigned
          ? (Number.isNaN(v) ? zp : Math.max(0, Math.min(255, roundHalfEven(Math.fround(v / scale)) + zp)))
          : quantizeValue(v, scale, zp));
        expect(Array.from(got), `trial ${trial} unsigned ${unsigned}`).toEqual(want);
      }
    }
  });
});

describe('int8 dense (integer) vs reference', () => {
  it('is bit-exact on random shapes, zero points, relu and batches', () => {
    const rand = rng(11);
    for (let trial = 0; trial < 40; trial++) {
      const K = randInt(rand, 1, 70), M = randInt(rand, 1, 45), n = randInt(rand, 1, 3);
      const x = i8(rand, K * n), w = i8(rand, K * M, -127, 127);
      const wScales = f32s(rand, M, 1e-3, 2e-2);
      const bias = rand() < 0.8 ? Int32Array.from({ length: M }, () => randInt(rand, -3000, 3000)) : null;
      const p = { zpX: randInt(rand, -128, 127), sX: 0.02 + rand() * 0.05, zpY: randInt(rand, -128, 127), sY: 0.05 + rand() * 0.4, relu: rand() < 0.5, wScales, bias };
      const yp = k.alloc(M * n);
      k.denseI8(put(x), p.zpX, p.sX, put(w), put(wScales), bias ? put(bias) : 0, yp, p.zpY, p.sY, p.relu ? 1 : 0, K, M, n);
      const got = new Int8Array(k.memory.buffer, yp, M * n);
      for (let s = 0; s < n; s++) {
        const want = ref.denseI8(x.subarray(s * K, (s + 1) * K), w, { ...p, sX: Math.fround(p.sX), sY: Math.fround(p.sY) }, K, M);
        expect(Array.from(got.subarray(s * M, (s + 1) * M)), `trial ${trial} K ${K} M ${M}`).toEqual(Array.from(want));
      }
    }
  });
});

for (const transposed of [false, true]) {
  const name = transposed ? 'conv-transpose' : 'conv2d';
  describe(`int8 ${name} vs reference`, () => {
    it('integer path is bit-exact on random strides, pads, dilations, groups and odd channels', () => {
      const rand = rng(transposed ? 21 : 22);
      for (let trial = 0; trial < 40; trial++) {
        const g = randomGeometry(rand, transposed);
        const x = i8(rand, g.H * g.W * g.Ci), w = i8(rand, g.kh * g.kw * g.Ci * (g.Co / g.groups), -127, 127);
        const wScales = f32s(rand, g.Co, 1e-3, 2e-2);
        const bias = rand() < 0.8 ? Int32Array.from({ length: g.Co }, () => randInt(rand, -5000, 5000)) : null;
        const p = { zpX: randInt(rand, -128, 127), sX: Math.fround(0.01 + rand() * 0.05), zpY: randInt(rand, -128, 127), sY: Math.fround(0.05 + rand() * 0.5), relu: rand() < 0.5, wScales, bias };
        const yp = k.alloc(g.OH * g.OW * g.Co);
        k.convI8(transposed ? 1 : 0, put(x), p.zpX, p.sX, put(w), put(wScales), bias ? put(bias) : 0, yp, p.zpY, p.sY, p.relu ? 1 : 0, ...geomArgs(g));
        const got = Array.from(new Int8Array(k.memory.buffer, yp, g.OH * g.OW * g.Co));
        expect(got, `trial ${trial} ${JSON.stringify(g)}`).toEqual(Array.from(ref.convI8(g, transposed, x, w, p)));
      }
    });
  });
}
