// The SIMD requantization of the integer kernels (assembly/kernels/int8/requantize.ts: f32 multiplier, rounding
// by adding 1.5 * 2^23, saturating narrowings) against the plain TypeScript rule
// (reference/kernels.ts) on the inputs where a shortcut would break: exact .5 ties (to even),
// accumulators beyond 2^24 (rounded when converted to f32) and at +-2^31 (with i32 wrap-around), products
// beyond the +-2^22 the rounding trick allows, negative values, the relu bound and per-channel multipliers,
// through both entry points: requantizeRows (dense, 8/4/1 channels per step) and requantizeChannelLanes
// (narrow conv, four pixels of one channel).
import { describe, it, expect, beforeAll } from 'vitest';
import { rng, randInt } from './kernels/harness.js';
import { readyInt8Kernels, putInto, type Int8Kernels } from './helpers/int8-kernels.js';
import * as ref from '../reference/kernels.js';

let k: Int8Kernels;

beforeAll(() => { k = readyInt8Kernels(); });

const put = (a: Int8Array | Int32Array | Float32Array): number => putInto(k, a);
type Params = { zpX: number; sX: number; zpY: number; sY: number; relu: boolean };

/** Dense K=1 (so the accumulator is (x - zpX) * w + bias, chosen by the bias) vs the reference, every channel. */
function checkDense(x: Int8Array, w: Int8Array, bias: Int32Array, wScales: Float32Array, p: Params): Int8Array {
  const M = w.length, yp = k.alloc(M);
  k.denseI8(put(x), p.zpX, p.sX, put(w), put(wScales), put(bias), yp, p.zpY, p.sY, p.relu ? 1 : 0, 1, M, 1);
  const want = ref.denseI8(x, w, { ...p, sX: Math.fround(p.sX), sY: Math.fround(p.sY), wScales, bias }, 1, M);
  const got = new Int8Array(k.memory.buffer, yp, M).slice();
  expect(Array.from(got)).toEqual(Array.from(want));
  return got;
}

/**
 * Narrow conv (8 input channels, Co < 8, 1x1 kernel over 1 x 5 pixels: a tile of four and one of one) whose
 * accumulators are d[px] * w[co] + bias[co]: only input channel 0 is nonzero (x = zpX + d).
 */
function checkNarrow(d: number[], w: Int8Array, bias: Int32Array, wScales: Float32Array, p: Params): void {
  const Co = w.length, W = d.length;
  const g: ref.ConvGeometry = { Ci: 8, H: 1, W, Co, OH: 1, OW: W, kh: 1, kw: 1, sH: 1, sW: 1, padT: 0, padL: 0, dH: 1, dW: 1, groups: 1 };
  const x = Int8Array.from({ length: W * 8 }, (_, i) => (i % 8 ? p.zpX : p.zpX + d[i >> 3]!));
  const wt = Int8Array.from({ length: 8 * Co }, (_, i) => (i < Co ? w[i]! : 0)); // [1, 1, Ci, Co]: row ci = 0 first
  const yp = k.alloc(W * Co);
  k.convI8(0, put(x), p.zpX, p.sX, put(wt), put(wScales), put(bias), yp, p.zpY, p.sY, p.relu ? 1 : 0,
    g.Ci, g.H, g.W, g.Co, g.OH, g.OW, g.kh, g.kw, g.sH, g.sW, g.padT, g.padL, g.dH, g.dW, g.groups);
  const want = ref.convI8(g, false, x, wt, { ...p, sX: Math.fround(p.sX), sY: Math.fround(p.sY), wScales, bias });
  expect(Array.from(new Int8Array(k.memory.buffer, yp, W * Co))).toEqual(Array.from(want));
}

describe('SIMD requantization', () => {
  it('rounds exact .5 ties to even, positive and negative', () => {
    const rand = rng(32);
    for (let trial = 0; trial < 20; trial++) {
      const M = randInt(rand, 4, 27);
      // sX = sY = 1 and wScale = 2^-e: m = 2^-e exactly, and acc = (2j + 1) * 2^(e-1) makes the product j + 0.5
      const es = Array.from({ length: M }, () => randInt(rand, 1, 12));
      const wScales = Float32Array.from(es, (e) => 2 ** -e);
      const bias = Int32Array.from(es, (e) => (2 * randInt(rand, -100, 100) + 1) * 2 ** (e - 1));
      const zpY = randInt(rand, -20, 20);
      const got = checkDense(Int8Array.of(5), new Int8Array(M), bias, wScales, { zpX: 5, sX: 1, zpY, sY: 1, relu: false });
      // independent of the twin: an unclamped output minus the zero point is even
      got.forEach((q) => { if (q > -128 && q < 127) expect(Math.abs(q - zpY) % 2).toBe(0); });
      const co = Math.min(5, M);
      checkNarrow([-1, 0, 1, 3, -3], Int8Array.from({ length: co }, () => randInt(rand, -3, 3)), bias.slice(0, co), wScales.slice(0, co), { zpX: 0, sX: 1, zpY, sY: 1, relu: false });
    }
  });

  it('is exact for accumulators beyond 2^24 (rounded to f32 before the multiply) and at +-2^31 with wrap-around', () => {
    const rand = rng(31);
    for (let trial = 0; trial < 30; trial++) {
      const M = randInt(rand, 1, 40);
      const edge = [2147483647, -2147483648, 2147483600, -2147483600, 16777217, -16777219, 0, 1, -1];
      const bias = Int32Array.from({ length: M }, (_, c) => c < edge.length && trial % 2 ? edge[c]! : randInt(rand, -2147483648, 2147483647));
      const w = Int8Array.from({ length: M }, () => randInt(rand, -127, 127));
      // multipliers from ~2^-31 up to 1: products from near 0 to far beyond the clamp
      const wScales = Float32Array.from({ length: M }, () => Math.fround(2 ** -randInt(rand, 0, 30) * (0.5 + rand())));
      const p = { zpX: randInt(rand, -128, 127), sX: 0.01 + rand() * 0.05, zpY: randInt(rand, -128, 127), sY: 0.5 + rand(), relu: rand() < 0.5 };
      checkDense(Int8Array.of(randInt(rand, -128, 127)), w, bias, wScales, p);
      checkNarrow([randInt(rand, -20, 20), 0, randInt(rand, -20, 20), 1, -1], w.slice(0, 7), bias.slice(0, 7), wScales.slice(0, 7), { ...p, zpX: 0 });
    }
  });

  it('is exact where f32 rounding of large accumulators decides a tie (acc in [2^24, 2^31), product near j + 0.5)', () => {
    const rand = rng(36);
    for (let trial = 0; trial < 20; trial++) {
      const M = 24;
      // m = 2^-e with e in 17..24 and acc = (j + 0.5) * 2^e + small: the f32 conversion of acc (steps of 2..128)
      // moves it onto or off the tie
      const es = Array.from({ length: M }, () => randInt(rand, 17, 24));
      const wScales = Float32Array.from(es, (e) => 2 ** -e);
      const bias = Int32Array.from(es, (e) => Math.max(-2147483648, Math.min(2147483647,
        (randInt(rand, -100, 100) + 0.5) * 2 ** e + randInt(rand, -70, 70))));
      checkDense(Int8Array.of(0), new Int8Array(M), bias, wScales, { zpX: 0, sX: 1, zpY: randInt(rand, -10, 10), sY: 1, relu: false });
    }
  });

  it('converts acc to f32 before the multiply (one rounding of the exact product would differ)', () => {
    const rand = rng(38);
    const M = 19, t = Array.from({ length: M }, () => randInt(rand, 24, 30));
    // even j, m = (2j + 1) * 2^-(t + 1): f32(2^t + d) = 2^t for 0 < d <= 2^(t-25), so the product is the tie
    // j + 0.5 (-> j), while acc * m is above it by more than half an f32 step (-> j + 1 if rounded once)
    const j = Array.from({ length: M }, () => 2 * randInt(rand, 32, 63));
    const wScales = Float32Array.from(j, (v, c) => (2 * v + 1) * 2 ** -(t[c]! + 1));
    const sign = Array.from({ length: M }, (_, c) => (c % 3 ? 1 : -1));
    const bias = Int32Array.from(t, (e, c) => sign[c]! * (2 ** e + randInt(rand, 1, 2 ** (e - 25))));
    const got = checkDense(Int8Array.of(0), new Int8Array(M), bias, wScales, { zpX: 0, sX: 1, zpY: 0, sY: 1, relu: false });
    expect(Array.from(got)).toEqual(j.map((v, c) => sign[c]! * v));
  });

  it('saturates products beyond +-2^22 (and beyond i32) like the plain clamp', () => {
    const rand = rng(37);
    for (let trial = 0; trial < 20; trial++) {
      const M = randInt(rand, 1, 30);
      // large multipliers (sX = 1, sY small): |products| from ~1 to ~1e12, around 2^22 in particular
      const wScales = Float32Array.from({ length: M }, () => Math.fround(2 ** randInt(rand, -10, 14) * (0.5 + rand())));
      const bias = Int32Array.from({ length: M }, () => randInt(rand, -5000, 5000) * (rand() < 0.3 ? 100000 : 1));
      const w = Int8Array.from({ length: M }, () => randInt(rand, -127, 127));
      const p = { zpX: randInt(rand, -128, 127), sX: 1, zpY: [-128, 127, 0, -5][trial % 4]!, sY: 0.25 + rand(), relu: trial % 8 >= 4 };
      checkDense(Int8Array.of(randInt(rand, -128, 127)), w, bias, wScales, p);
      checkNarrow([2, -2, 0, 1, 5], w.slice(0, 6), bias.slice(0, 6), wScales.slice(0, 6), { ...p, zpX: 0 });
    }
  });

  it('8- and 4-channel steps and the one-channel tail are exact with per-channel multipliers, at the zero point extremes, with and without relu', () => {
    const rand = rng(34);
    for (const M of [1, 3, 4, 7, 8, 12, 16, 17, 20, 31, 32, 47, 64]) {
      for (const zpY of [-128, -1, 0, 127]) {
        const bias = Int32Array.from({ length: M }, () => randInt(rand, -60000, 60000));
        const w = Int8Array.from({ length: M }, () => randInt(rand, -127, 127));
        // multipliers spread over ~2 decades, different in every channel
        const wScales = Float32Array.from({ length: M }, () => Math.fround(1e-3 + rand() * 2e-2));
        for (const relu of [false, true]) checkDense(Int8Array.of(randInt(rand, -128, 127)), w, bias, wScales, { zpX: randInt(rand, -128, 127), sX: 0.02, zpY, sY: 0.1, relu });
      }
    }
  });

  it('gives the zero point (clamped at lo) for zero multipliers', () => {
    const M = 9, bias = Int32Array.from({ length: M }, (_, c) => (c - 4) * 1000000);
    for (const zpY of [-128, -3, 90]) {
      for (const relu of [false, true]) {
        const got = checkDense(Int8Array.of(0), new Int8Array(M), bias, new Float32Array(M), { zpX: 0, sX: 1, zpY, sY: 1, relu });
        expect(Array.from(got)).toEqual(new Array(M).fill(zpY));
      }
    }
  });
});
