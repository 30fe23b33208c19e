// The whole path in one test: train a small conv VAE for a few hundred steps on the fast training backend
// (tfjs wasm + our SIMD kernels), check the loss falls, export ONNX, convert to .evae, run it in the wasm
// runtime and compare with the tfjs model itself (an independent engine for our runtime).
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { convert } from '../converter/index.js';
import { EdgeVae } from '../runtime/index.js';
import { readDefaultWasm } from '../runtime/node.js';
import { selectBackend } from '../trainer/backend.js';
import { loadDataset, type Dataset, type ImageSet } from '../data/datasets.js';
import { buildOnnx } from '../trainer/export-onnx.js';
import type { ModelConfig } from '../trainer/models.js';
import { Rng } from '../reference/random.js';
import { DEFAULT_SETTINGS, Trainer } from '../trainer/train.js';

const PER = 28 * 28;
let data: Dataset;
let backend = '';
beforeAll(async () => {
  backend = (await selectBackend('wasm')).description;
  const all = loadDataset('mnist', { limitTrain: 512, limitTest: 64 });
  const slice = (s: ImageSet, n: number): ImageSet => ({ images: s.images.subarray(0, n * PER), labels: s.labels?.subarray(0, n) ?? null, count: n });
  data = { ...all, train: slice(all.train, 512), test: slice(all.test, 64) };
});

// tfjs images are [N,H,W,C] and the runtime's [N,C,H,W]; with C = 1 the memory order is the same.
const maxAbsDiff = (a: Float32Array, b: Float32Array) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

describe('train -> export -> convert -> wasm runtime', () => {
  it('a conv VAE trained for 256 steps runs in the runtime like in tfjs', async () => {
    const config: ModelConfig = { kind: 'conv', inputShape: [28, 28, 1], latent: 4, widths: [8, 16], autoencoder: false };
    const trainer = Trainer.create(config, { ...DEFAULT_SETTINGS, epochs: 16, batchSize: 32, seed: 11 }, data);
    await trainer.run();
    expect(trainer.adam.step).toBe(256);
    const first = trainer.history[0]!;
    const last = trainer.history[trainer.history.length - 1]!;
    console.log(`backend ${backend}: test -ELBO ${first.test.total.toFixed(1)} -> ${last.test.total.toFixed(1)} nats`);
    expect(last.train.total).toBeLessThan(first.train.total - 40);
    expect(last.test.total).toBeLessThan(first.test.total - 20);

    const { encoder, decoder } = buildOnnx(config, await trainer.model.weights());
    const { bytes } = await convert({ encoder, decoder, name: 'e2e' });
    const vae = await EdgeVae.load(bytes, { wasm: readDefaultWasm(), maxBatch: 8 });

    const n = 8;
    const x = data.test.images.slice(0, n * PER);
    const ours = vae.encode(x, n);
    const theirs = trainer.model.encode(tf.tensor4d(x, [n, 28, 28, 1]));
    const mu = (await theirs.mu.data()) as Float32Array;
    const logvar = (await theirs.logvar!.data()) as Float32Array;
    expect(maxAbsDiff(ours.mu, mu)).toBeLessThanOrEqual(1e-4);
    expect(maxAbsDiff(ours.logvar, logvar)).toBeLessThanOrEqual(1e-4);

    const z = new Rng(5).fillNormal(new Float32Array(n * config.latent));
    const image = (await trainer.model.decode(tf.tensor2d(z, [n, config.latent])).data()) as Float32Array;
    const err = maxAbsDiff(vae.decode(z, n), image);
    console.log(`runtime vs tfjs: decoder max |err| ${err.toExponential(2)}`);
    expect(err).toBeLessThanOrEqual(1e-5);
    trainer.dispose();
  });
});
