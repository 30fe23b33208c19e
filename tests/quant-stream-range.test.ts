// The streaming percentile of calibrateFast (converter/quantize/stream-range.ts, tail-select.ts) against its
// reference: the tail selection gives the values a full sort puts at those ranks, and a StreamRange gives the
// ranges RangeCollector (keep every strided value, select at the end) gives, for every observation weight.
import { describe, expect, it } from 'vitest';
import { RangeCollector } from '../converter/quantize/calibration.js';
import { StreamRange } from '../converter/quantize/stream-range.js';
import { Tails } from '../converter/quantize/tail-select.js';
import { seededNormal } from './helpers/seeded-data.js';

/** Equal as numbers (the tail selection may return the other zero where zeros of both signs tie). */
const sameNumber = (a: number, b: number) => a === b || (a !== a && b !== b);

describe('Tails (streaming selection of both ends)', () => {
  const kinds: Record<string, (i: number, x: number) => number> = {
    normal: (_i, x) => x,
    relu: (_i, x) => Math.max(0, x),
    'ties, infinities, NaN, zeros': (i, x) => (i % 97 === 0 ? NaN : i % 89 === 0 ? -0 : i % 501 === 0 ? -Infinity : i % 503 === 0 ? Infinity : i % 7 === 0 ? Math.round(x) : x),
    'mostly NaN': (i, x) => (i % 3 === 0 ? x : NaN),
    constant: () => 2.5,
  };
  for (const [name, f] of Object.entries(kinds)) {
    it(`${name}: the values a full sort puts at the low and high ranks`, () => {
      for (const [n, kLow, kHigh, stride] of [[20000, 3, 3, 1], [20000, 40, 9, 1], [30000, 1, 300, 3], [50, 7, 60, 1]] as const) {
        const v = Float32Array.from(seededNormal(n, n + kLow), (x, i) => f(i, x));
        const t = new Tails(kLow, kHigh);
        for (let s = 0; s < n; s += 1000) t.add(v.subarray(s, Math.min(n, s + 1000)), stride);
        const sorted = v.filter((_, j) => (j % 1000) % stride === 0).sort();
        for (let r = 0; r < Math.min(kLow, sorted.length); r++) expect(sameNumber(t.at(r), sorted[r]!), `${name} low ${r}`).toBe(true);
        for (let r = Math.max(0, sorted.length - kHigh); r < sorted.length; r++) expect(sameNumber(t.at(r), sorted[r]!), `${name} high ${r}`).toBe(true);
      }
    });
  }
});

describe('StreamRange', () => {
  it.each(['percentile', 'minmax'] as const)('gives the ranges of RangeCollector for each weight, strided or not (%s)', (method) => {
    const samples = 40;
    for (const size of [300, 60000]) { // 60000 x 40 values: more than calibration keeps, so strided
      const weights = [1, 3];
      const stream = new StreamRange(size, samples, method, weights);
      const refs = weights.map(() => new RangeCollector(samples, method));
      for (let s = 0; s < samples; s += 8) {
        const batch = Float32Array.from({ length: 8 * size }, (_, i) => { const x = Math.sin(i * 0.37 + s) * Math.cos(i * 0.0013); return x * x * (x > 0 ? 3 : -1); });
        stream.add(batch, 8);
        for (let j = 0; j < 8; j++) weights.forEach((w, i) => refs[i]!.observe(0, 'out', 1, batch.subarray(j * size, (j + 1) * size), w));
      }
      weights.forEach((w, i) => {
        const want = refs[i]!.result().tensors.get(1)!;
        const got = stream.range(w);
        expect(sameNumber(got.min, want.min) && sameNumber(got.max, want.max), `size ${size} weight ${w}: ${JSON.stringify(got)} vs ${JSON.stringify(want)}`).toBe(true);
      });
    }
  });

  it('refuses to give a range before every sample was seen', () => {
    const r = new StreamRange(10, 4, 'percentile', [1]);
    r.add(new Float32Array(20), 2);
    expect(() => r.range(1)).toThrow(/observed for 2 of 4 samples/);
  });
});
