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
});
