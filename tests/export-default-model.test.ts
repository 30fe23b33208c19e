// The shipped default model (models/default, see its README): its ONNX files, run by onnxruntime-node,
// must reach the target negative ELBO on the Fashion-MNIST test set and have the documented interface.
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { FASHION_MNIST_DIR, loadDataset } from '../data/datasets.js';
import { Rng } from '../reference/random.js';

const DIR = join(import.meta.dirname, '..', 'models', 'default');
const TARGET_NATS = 244.0;

describe('default model', () => {
  it.skipIf(!existsSync(FASHION_MNIST_DIR) && !process.env.CI)(`test-set negative ELBO <= ${TARGET_NATS} nats with onnxruntime`, async () => {
    const enc = await ort.InferenceSession.create(readFileSync(join(DIR, 'encoder.onnx')));
    const dec = await ort.InferenceSession.create(readFileSync(join(DIR, 'decoder.onnx')));
    expect([...enc.inputNames, ...enc.outputNames]).toEqual(['x', 'mu', 'logvar']);
    expect([...dec.inputNames, ...dec.outputNames]).toEqual(['z', 'x']);
    const { test } = loadDataset('fashion-mnist');
    const n = test.count;
    const L = 16;
    const e = await enc.run({ x: new ort.Tensor('float32', test.images, [n, 1, 28, 28]) });
    const mu = e.mu.data as Float32Array;
    const lv = e.logvar.data as Float32Array;
    expect(e.mu.dims).toEqual([n, L]);
    const rng = new Rng(2024);
    const z = new Float32Array(n * L);
    let kl = 0;
    for (let i = 0; i < n * L; i++) {
      z[i] = mu[i] + Math.exp(0.5 * lv[i]) * rng.normal();
      kl += 0.5 * (Math.exp(lv[i]) + mu[i] * mu[i] - 1 - lv[i]);
    }
    const p = (await dec.run({ z: new ort.Tensor('float32', z, [n, L]) })).x.data as Float32Array;
    let nll = 0;
    for (let i = 0; i < p.length; i++) {
      // The decoder outputs probabilities; clamp so a saturated pixel costs at most -log(1e-7).
      const q = Math.min(Math.max(p[i], 1e-7), 1 - 1e-7);
      nll -= test.images[i] * Math.log(q) + (1 - test.images[i]) * Math.log(1 - q);
    }
    const negElbo = (nll + kl) / n;
    expect(negElbo).toBeGreaterThan(150); // far below any VAE of this size: would mean the metric is broken
    expect(negElbo).toBeLessThanOrEqual(TARGET_NATS);
  });
});
