import { describe, expect, it } from 'vitest';
import { interpolateLatents, latentArithmetic, meanLatent } from '../runtime/latent.js';
import { seededValues } from './format-fixtures.js';

const norm = (v: Float32Array) => Math.sqrt(v.reduce((s, x) => s + x * x, 0));
const angle = (a: Float32Array, b: Float32Array) => Math.acos(Math.min(1, a.reduce((s, x, i) => s + x * b[i], 0) / (norm(a) * norm(b))));

describe('latent helpers', () => {
  const L = 16;
  const zA = seededValues(L, 1, 2), zB = seededValues(L, 2, 2);

  it('lerp steps are evenly spaced on the segment', () => {
    const z = interpolateLatents(zA, zB, 5, 'lerp');
    for (let s = 0; s < 5; s++) {
      for (let i = 0; i < L; i++) expect(z[s * L + i]).toBeCloseTo(zA[i] + (s / 4) * (zB[i] - zA[i]), 5);
    }
  });

  it('slerp turns by equal angles and moves the norm linearly', () => {
    const steps = 7;
    const z = interpolateLatents(zA, zB, steps, 'slerp');
    const at = (s: number) => z.subarray(s * L, (s + 1) * L);
    const total = angle(zA, zB);
    for (let s = 0; s < steps; s++) {
      const t = s / (steps - 1);
      expect(angle(zA, at(s))).toBeCloseTo(t * total, 4);
      expect(norm(at(s))).toBeCloseTo((1 - t) * norm(zA) + t * norm(zB), 4);
    }
  });

  it('slerp falls back to lerp for parallel or zero vectors', () => {
    const twice = zA.map((v) => 2 * v);
    expect(Array.from(interpolateLatents(zA, twice, 3, 'slerp'))).toEqual(Array.from(interpolateLatents(zA, twice, 3, 'lerp')));
    const zero = new Float32Array(L);
    expect(Array.from(interpolateLatents(zero, zB, 3, 'slerp'))).toEqual(Array.from(interpolateLatents(zero, zB, 3, 'lerp')));
  });

  it('mean and arithmetic accept flat or array sets', () => {
    const flat = seededValues(3 * L, 3);
    const asArray = [0, 1, 2].map((k) => flat.slice(k * L, (k + 1) * L));
    expect(Array.from(meanLatent('s', flat, L))).toEqual(Array.from(meanLatent('s', asArray, L)));
    const z = latentArithmetic(zA, L, flat);
    for (let i = 0; i < L; i++) expect(z[i]).toBeCloseTo(zA[i] + (flat[i] + flat[L + i] + flat[2 * L + i]) / 3, 6);
    expect(Array.from(latentArithmetic(zA, L))).toEqual(Array.from(zA));
    const nan = zA.slice();
    nan[3] = Number.NaN;
    expect(() => latentArithmetic(nan, L)).toThrow('base[3] is NaN, latents must be finite');
    expect(() => meanLatent('plus', [zA, new Float32Array(3)], L)).toThrow('plus[1] has 3 values, expected the latent size 16');
  });
});
