// Quantization arithmetic: round trips stay within half a step, zero is exact, f16 rounding, requantization
// with an f32 multiplier, and the TypeScript copy of the runtime sampler (calibration/parity latents) vs the wasm one.
import { describe, it, expect } from 'vitest';
import {
  activationParams, dequantizeValue, fromHalfBits, quantizeBias, quantizeValue, quantizeWeights, requantMultiplier, requantize,
  roundHalfEven, toHalfBits, weightChannelOf,
} from '../reference/quant-arithmetic.js';
import { sampleNormal } from '../reference/sampler.js';
import { WasmRuntime, rng } from './kernels/harness.js';

describe('activation quantize -> dequantize', () => {
  it('stays within half a step inside the calibrated range and represents 0 exactly', () => {
    const rand = rng(3);
    for (let trial = 0; trial < 200; trial++) {
      const lo = -5 * rand() * (trial % 3 === 0 ? 0 : 1), hi = 0.01 + 7 * rand();
      const { scale, zeroPoint } = activationParams(lo, hi);
      expect(zeroPoint).toBeGreaterThanOrEqual(-128);
      expect(zeroPoint).toBeLessThanOrEqual(127);
      expect(dequantizeValue(quantizeValue(0, scale, zeroPoint), scale, zeroPoint)).toBe(0);
      for (let i = 0; i < 50; i++) {
        const x = Math.fround(lo + (hi - lo) * rand());
        const back = dequantizeValue(quantizeValue(x, scale, zeroPoint), scale, zeroPoint);
        expect(Math.abs(back - x)).toBeLessThanOrEqual(scale * 0.5 * (1 + 1e-5) + 1e-7);
      }
      // saturation outside the range, never a wrap-around
      expect(quantizeValue(hi * 10 + 1, scale, zeroPoint)).toBe(127);
      expect(quantizeValue(-1e6, scale, zeroPoint)).toBe(-128);
    }
  });
  it('QUANTIZE rounds half to even like ONNX QuantizeLinear', () => {
    expect([0.5, 1.5, 2.5, -0.5, -1.5].map(roundHalfEven)).toEqual([0, 2, 2, -0, -2]);
    expect(quantizeValue(2.5, 1, 0)).toBe(2);
    expect(quantizeValue(NaN, 0.1, 5)).toBe(5);
  });
});

describe('per-channel symmetric weights', () => {
  it('bound the error by half a channel step and keep -128 unused', () => {
    const rand = rng(4);
    const G = 2, taps = 9, cig = 3, cog = 5;
    const w = Float32Array.from({ length: G * taps * cig * cog }, () => (rand() - 0.5) * (1 + 10 * rand()));
    const { q, scales } = quantizeWeights(w, G * cog, weightChannelOf(w.length, G, cog));
    const channelOf = weightChannelOf(w.length, G, cog);
    for (let i = 0; i < w.length; i++) {
      expect(q[i]).toBeGreaterThanOrEqual(-127);
      expect(Math.abs(q[i]! * scales[channelOf(i)]! - w[i]!)).toBeLessThanOrEqual(scales[channelOf(i)]! / 2 + 1e-7);
    }
    // every channel's largest magnitude maps to +-127
    for (let c = 0; c < G * cog; c++) {
      let m = 0;
      for (let i = 0; i < w.length; i++) if (channelOf(i) === c) m = Math.max(m, Math.abs(q[i]!));
      expect(m).toBe(127);
    }
  });
  it('maps the bias to accumulator units', () => {
    const b = quantizeBias(new Float32Array([0.5, -0.25]), 0.01, new Float32Array([0.1, 0.05]));
    expect(Array.from(b)).toEqual([500, -500]);
  });
});

describe('requantization with an f32 multiplier', () => {
  it('is acc * M rounded to nearest, within f32 precision, for many multipliers and accumulators', () => {
    const rand = rng(5);
    for (let i = 0; i < 2000; i++) {
      const sIn = 1e-3 + rand() * 0.1, sW = 1e-4 + rand() * 0.05, sOut = 1e-3 + rand();
      const m = requantMultiplier(sIn, sW, sOut);
      const M = (Math.fround(sIn) * Math.fround(sW)) / Math.fround(sOut);
      // accumulators up to 2^31, beyond f32's 24-bit integers
      const acc = Math.round((rand() - 0.5) * 2 ** (1 + Math.floor(rand() * 31)));
      const q = requantize(acc, m);
      expect(Number.isInteger(q)).toBe(true);
      // three f32 roundings (acc, m, product), each a relative 2^-24
      expect(Math.abs(q - acc * M)).toBeLessThanOrEqual(0.5 + Math.abs(acc * M) * 3 * 2 ** -24 + 1e-9);
    }
  });
});

describe('f16 encoding', () => {
  it('rounds to nearest even within 2^-11 relative error and keeps exact halves', () => {
    const rand = rng(6);
    for (let i = 0; i < 2000; i++) {
      const v = Math.fround((rand() - 0.5) * 2 ** (Math.floor(rand() * 30) - 15));
      const back = fromHalfBits(toHalfBits(v));
      if (Math.abs(v) >= 2 ** -14) expect(Math.abs(back - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
      else expect(Math.abs(back - v)).toBeLessThanOrEqual(2 ** -25);
    }
    for (const exact of [0, 1, -2, 0.5, 65504, 2 ** -24, 1 + 2 ** -10]) expect(fromHalfBits(toHalfBits(exact))).toBe(exact);
    expect(toHalfBits(1 + 2 ** -11)).toBe(toHalfBits(1)); // tie -> even mantissa
    expect(toHalfBits(1e6)).toBe(0x7c00);
  });
});

describe('latents', () => {
  it('are bit-identical to the runtime sampleNormal', () => {
    const wasm = new WasmRuntime();
    const cases = [[101, 7, 1], [64, 0, 0.5], [3, 4294967295, 1.7], [100_001, 0xdeadbeef, 1], [50_000, 12345, 0.37]] as const;
    for (const [count, seed, t] of cases) {
      const js = sampleNormal(count, seed, t), runtime = wasm.sampleNormal(count, seed, t);
      // compare the bit patterns (also tells -0 from +0); one mismatch fails with its index
      const a = new Uint32Array(js.buffer), b = new Uint32Array(runtime.buffer);
      const firstDiff = a.findIndex((bits, i) => bits !== b[i]);
      expect(firstDiff, `seed ${seed}: first differing value`).toBe(-1);
      expect(a.length).toBe(b.length);
    }
  });
});
