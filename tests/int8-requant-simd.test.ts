// The SIMD requantization of the integer kernels (assembly/kernels/int8/requantize.ts, 4 channels at a time
// through u64 lanes) against the BigInt reference (converter/quantize/reference-kernels.ts) on the inputs
// where a shortcut would break: accumulators at and around +-2^31 (including i32 wrap-around), exact .5 ties
// and multipliers whose shift is outside the SIMD range (scalar fallback).
import { describe, it, expect, beforeAll } from 'vitest';
import { rng, randInt } from './kernels/harness.js';
import { buildInt8Kernels, putInto, type Int8Kernels } from './helpers/int8-kernels.js';
import * as ref from '../converter/quantize/reference-kernels.js';


let k: Int8Kernels;

beforeAll(() => {
  k = buildInt8Kernels();
  expect(k.init()).toBe(1);
});

const put = (a: Int8Array | Int32Array | Float32Array): number => putInto(k, a);

/** Dense K=1 (so the accumulator is (x - zpX) * w + bias, chosen by the bias) vs the reference, every channel. */
function check(x: Int8Array, w: Int8Array, bias: Int32Array, wScales: Float32Array, p: { zpX: number; sX: number; zpY: number; sY: number; relu: boolean }): void {
  const M = w.length, yp = k.alloc(M);
  k.denseI8(put(x), p.zpX, p.sX, put(w), put(wScales), put(bias), yp, p.zpY, p.sY, p.relu ? 1 : 0, 1, M, 1);
  const want = ref.denseI8(x, w, { ...p, sX: Math.fround(p.sX), sY: Math.fround(p.sY), wScales, bias }, 1, M);
  expect(Array.from(new Int8Array(k.memory.buffer, yp, M))).toEqual(Array.from(want));
}

describe('SIMD requantization', () => {
  it('is exact for accumulators near +-2^31, with wrap-around', () => {
    const rand = rng(31);
    for (let trial = 0; trial < 30; trial++) {
      const M = randInt(rand, 1, 40);
      const edge = [2147483647, -2147483648, 2147483600, -2147483600, 0, 1, -1];
      const bias = Int32Array.from({ length: M }, (_, c) => c < edge.length && trial % 2 ? edge[c]! : randInt(rand, -2147483648, 2147483647));
      const w = Int8Array.from({ length: M }, () => randInt(rand, -127, 127));
      // tiny multipliers: shifts from 32 up to 62, the whole SIMD range
      const wScales = Float32Array.from({ length: M }, () => Math.fround(2 ** -(randInt(rand, 0, 30)) * (0.5 + rand())));
      check(Int8Array.of(randInt(rand, -128, 127)), w, bias, wScales, { zpX: randInt(rand, -128, 127), sX: 0.01 + rand() * 0.05, zpY: randInt(rand, -128, 127), sY: 0.5 + rand(), relu: rand() < 0.5 });
    }
  });

  it('rounds exact ties half away from zero', () => {
    const rand = rng(32);
    for (let trial = 0; trial < 20; trial++) {
      const M = randInt(rand, 4, 24);
      // sX = sY = 1 and wScale = 2^-e: M = 2^-e exactly (mult 2^30, shift 30 + e); acc = (2j + 1) * 2^(e-1) is a tie
      const es = Array.from({ length: M }, () => randInt(rand, 2, 12));
      const wScales = Float32Array.from(es, (e) => 2 ** -e);
      const bias = Int32Array.from(es, (e) => (2 * randInt(rand, -150, 150) + 1) * 2 ** (e - 1));
      check(Int8Array.of(5), new Int8Array(M), bias, wScales, { zpX: 5, sX: 1, zpY: randInt(rand, -20, 20), sY: 1, relu: false });
    }
  });

  it('falls back to the scalar path for large multipliers (shift < 32)', () => {
    const rand = rng(33);
    for (let trial = 0; trial < 20; trial++) {
      const M = randInt(rand, 1, 20);
      const wScales = Float32Array.from({ length: M }, () => Math.fround(0.001 + rand() * 4));
      const bias = Int32Array.from({ length: M }, () => randInt(rand, -400, 400));
      const w = Int8Array.from({ length: M }, () => randInt(rand, -127, 127));
      check(Int8Array.of(randInt(rand, -128, 127)), w, bias, wScales, { zpX: randInt(rand, -128, 127), sX: 0.5, zpY: randInt(rand, -128, 127), sY: 0.3, relu: rand() < 0.5 });
    }
  });

  it('16-channel steps and their scalar tail are exact at the zero point extremes, with and without relu', () => {
    const rand = rng(34);
    for (const M of [16, 17, 20, 31, 32, 47, 64]) {
      for (const zpY of [-128, -1, 0, 127]) {
        const bias = Int32Array.from({ length: M }, () => randInt(rand, -60000, 60000));
        const w = Int8Array.from({ length: M }, () => randInt(rand, -127, 127));
        const wScales = Float32Array.from({ length: M }, () => Math.fround(1e-3 + rand() * 2e-2));
        for (const relu of [false, true]) check(Int8Array.of(randInt(rand, -128, 127)), w, bias, wScales, { zpX: randInt(rand, -128, 127), sX: 0.02, zpY, sY: 0.1, relu });
      }
    }
  });

  it('is exact where the magnitude crosses the last outputs before the clamp (the input cap of the SIMD path)', () => {
    const rand = rng(35);
    for (let trial = 0; trial < 24; trial++) {
      const M = 16;
      // multipliers across the SIMD shift range; accumulators where |acc| * M is near 254.5, 255.5 and 256.5
      const wScales = Float32Array.from({ length: M }, () => Math.fround(2 ** -randInt(rand, 0, 20) * (0.5 + rand())));
      const sX = 0.02, sY = 0.3, real = Array.from(wScales, (w) => (Math.fround(sX) * w) / Math.fround(sY));
      const bias = Int32Array.from(real, (m, c) => {
        const v = Math.round((254.5 + (c % 3) + (rand() - 0.5) * 0.02) / m) + randInt(rand, -2, 2);
        return Math.min(2147483647, v) * (c & 4 ? -1 : 1);
      });
      const zpY = [-128, 127, 0, -5][trial % 4]!;
      check(Int8Array.of(3), new Int8Array(M), bias, wScales, { zpX: 3, sX, zpY, sY, relu: trial % 8 >= 4 });
    }
  });
});
