// Calibration through the wasm runtime (converter/quantize/calibration-wasm.ts) observes what the interpreter
// observes: the same tensors and ops, ranges equal up to f32-vs-f64 accumulation; the radix select gives exactly
// the values a full sort would; repeated observations counted once with a weight give the same percentiles.
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert } from '../converter/index.js';
import { EntryKind } from '../runtime/format-constants.js';
import { calibrate, RangeCollector, sortedAt, type Calibration } from '../converter/quantize/calibration.js';
import { calibrateFast } from '../converter/quantize/calibration-wasm.js';
import { readEditable } from '../converter/quantize/editable-model.js';
import { decoderCalibrationLatents } from '../converter/quantize/index.js';
import { seededNormal, seededUniform } from './helpers/seeded-data.js';
import { ZOO_DIR } from './helpers/zoo.js';

describe('sortedAt (radix select)', () => {
  it('gives the values Float32Array sort puts at those indices, with NaN, -0, +0, infinities and repeats', () => {
    for (const seed of [1, 2, 3]) {
      const v = Float32Array.from(seededNormal(5000, seed), (x, i) => (i % 97 === 0 ? NaN : i % 89 === 0 ? -0 : i % 83 === 0 ? 0 : i % 501 === 0 ? -Infinity : i % 7 === 0 ? Math.round(x) : x));
      v[10] = Infinity;
      const sorted = Float32Array.from(v).sort();
      const ks = [0, 1, 17, 2499, 2500, 4000, 4900, 4947, 4948, 4999];
      const got = sortedAt(v, ks);
      ks.forEach((k, i) => expect(Object.is(got[i], sorted[k]), `k=${k}: ${got[i]} vs ${sorted[k]}`).toBe(true));
    }
  });
});

describe('RangeCollector', () => {
  it('values seen r times per sample, added once with weight r, give the same percentiles as r separate adds', () => {
    const a = new RangeCollector(20, 'percentile'), b = new RangeCollector(20, 'percentile');
    for (let s = 0; s < 20; s++) {
      const v = seededUniform(333, 100 + s).map((x) => x * x * 10 - 3);
      for (let r = 0; r < 3; r++) a.observe(0, 'in', 5, v);
      b.observe(0, 'in', 5, v, 3);
    }
    expect(b.result().tensors.get(5)).toEqual(a.result().tensors.get(5));
  });
});

function expectClose(fast: Calibration, ref: Calibration) {
  for (const key of ['tensors', 'preActivation'] as const) {
    expect([...fast[key].keys()].sort((x, y) => x - y)).toEqual([...ref[key].keys()].sort((x, y) => x - y));
    for (const [k, r] of ref[key]) {
      const f = fast[key].get(k)!;
      const tol = 1e-5 * Math.max(1, r.max - r.min);
      expect(Math.abs(f.min - r.min), `${key} ${k} min`).toBeLessThanOrEqual(tol);
      expect(Math.abs(f.max - r.max), `${key} ${k} max`).toBeLessThanOrEqual(tol);
    }
  }
}

describe('calibrateFast vs the interpreter', () => {
  it.each(['percentile', 'minmax'] as const)('decoder with fused activations (%s)', async (method) => {
    const m = readEditable((await convert({ decoder: join(ZOO_DIR, 'vanilla.decoder.ts13.onnx') })).bytes);
    const samples = decoderCalibrationLatents(24, 16, 1234);
    expectClose(await calibrateFast(m, EntryKind.Decode, samples, method), calibrate(m, EntryKind.Decode, samples, method));
  });

  it('encoder (residual adds, one output split into halves)', async () => {
    const m = readEditable((await convert({ encoder: join(ZOO_DIR, 'taesd.encoder.dynamo20.onnx') })).bytes);
    const images = Array.from({ length: 9 }, (_, i) => seededUniform(3 * 32 * 32, 50 + i));
    expectClose(await calibrateFast(m, EntryKind.Encode, images, 'percentile'), calibrate(m, EntryKind.Encode, images, 'percentile'));
  });
});
