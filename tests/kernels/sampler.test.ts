import { describe, it, expect } from 'vitest';
import { WasmRuntime } from './harness.js';

/** The algorithm of docs/format.md "Sampler", written independently in TypeScript with JS Math. */
function referenceNormals(count: number, seed: number, temperature: number): Float64Array {
  let mix = seed >>> 0;
  const splitmix32 = (): number => {
    mix = (mix + 0x9e3779b9) >>> 0;
    let z = mix;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
  const s = [splitmix32(), splitmix32(), splitmix32(), splitmix32()];
  if ((s[0] | s[1] | s[2] | s[3]) === 0) s[0] = 1;
  const rotl = (x: number, k: number): number => ((x << k) | (x >>> (32 - k))) >>> 0;
  const next = (): number => {
    const result = Math.imul(rotl(Math.imul(s[1], 5) >>> 0, 7), 9) >>> 0;
    const t = (s[1] << 9) >>> 0;
    s[2] ^= s[0]; s[3] ^= s[1]; s[1] ^= s[2]; s[0] ^= s[3];
    s[2] ^= t;
    s[3] = rotl(s[3] >>> 0, 11);
    return result;
  };
  const uniform = (): number => ((next() >>> 5) * 67108864 + (next() >>> 6)) / 9007199254740992;
  const out = new Float64Array(count);
  for (let i = 0; i < count; i += 2) {
    const u1 = 1 - uniform();
    const u2 = uniform();
    const r = Math.sqrt(-2 * Math.log(u1)) * temperature;
    out[i] = r * Math.cos(2 * Math.PI * u2);
    if (i + 1 < count) out[i + 1] = r * Math.sin(2 * Math.PI * u2);
  }
  return out;
}

describe('sampleNormal', () => {
  it('is deterministic across instances and prefix-stable; seeds differ', () => {
    const a = new WasmRuntime().sampleNormal(1001, 42, 1);
    const b = new WasmRuntime().sampleNormal(1001, 42, 1);
    const prefix = new WasmRuntime().sampleNormal(7, 42, 1);
    const other = new WasmRuntime().sampleNormal(1001, 43, 1);
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(prefix)).toEqual(Array.from(a.subarray(0, 7)));
    expect(other.filter((v, i) => v === a[i]).length).toBeLessThan(5);
  });

  it('matches the documented algorithm (TypeScript re-implementation, 1e-6 relative)', () => {
    for (const seed of [0, 1, 0xdeadbeef, 2 ** 32 - 1]) {
      const got = new WasmRuntime().sampleNormal(513, seed, 0.8);
      const ref = referenceNormals(513, seed, 0.8);
      for (let i = 0; i < got.length; i++) expect(Math.abs(got[i] - ref[i])).toBeLessThanOrEqual(1e-6 * Math.abs(ref[i]) + 1e-12);
    }
  });

  it('has mean ~0, std ~1 and Gaussian mass within one sigma', () => {
    const n = 200_000;
    const v = new WasmRuntime().sampleNormal(n, 7, 1);
    let sum = 0, sq = 0, within = 0;
    for (const x of v) { sum += x; sq += x * x; if (Math.abs(x) < 1) within++; }
    const mean = sum / n;
    const std = Math.sqrt(sq / n - mean * mean);
    expect(Math.abs(mean)).toBeLessThan(0.01); // 4.5 standard errors
    expect(Math.abs(std - 1)).toBeLessThan(0.01);
    expect(Math.abs(within / n - 0.682689)).toBeLessThan(0.005);
  });

  it('temperature scales the values', () => {
    const rt = new WasmRuntime();
    const one = rt.sampleNormal(999, 5, 1);
    const half = rt.sampleNormal(999, 5, 0.5);
    const warm = rt.sampleNormal(999, 5, 1.7);
    const zero = rt.sampleNormal(999, 5, 0);
    for (let i = 0; i < one.length; i++) {
      expect(half[i]).toBe(one[i] / 2); // scaling by a power of two is exact
      expect(Math.abs(warm[i] - 1.7 * one[i])).toBeLessThanOrEqual(1e-6 * Math.abs(warm[i]) + 1e-12);
      expect(zero[i] === 0).toBe(true);
    }
  });
});
