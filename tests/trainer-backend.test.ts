// Backend choice: the pure backends train, unknown names and a missing native TensorFlow fail clearly.
import { createRequire } from 'node:module';
import * as tf from '@tensorflow/tfjs-core';
import { describe, expect, it } from 'vitest';
import { selectBackend } from '../trainer/backend.js';
import { formatDuration, renderBar } from '../trainer/progress.js';
import { DEFAULT_SETTINGS, Trainer } from '../trainer/train.js';
import type { Dataset } from '../data/datasets.js';
import { Rng } from '../reference/random.js';

function installed(pkg: string): boolean {
  try {
    createRequire(import.meta.url).resolve(pkg);
    return true;
  } catch {
    return false;
  }
}

const rng = new Rng(2);
const random = (n: number) => ({ images: Float32Array.from({ length: n * 64 }, () => rng.uniform()), labels: null, count: n });
const data: Dataset = { name: 'random', shape: [8, 8, 1], train: random(32), test: random(8) };

describe('backend selection', () => {
  for (const name of ['cpu', 'wasm'] as const) {
    // The backends' own kernels only (the optional SIMD kernels are tested in their own files);
    // plain wasm has no Conv2DBackpropFilter, so an MLP.
    it(`'${name}' activates that backend and trains a small MLP VAE`, async () => {
      const info = await selectBackend(name, { fastKernels: false });
      expect(info.name).toBe(name);
      expect(tf.getBackend()).toBe(name);
      const t = Trainer.create({ kind: 'mlp', inputShape: [8, 8, 1], latent: 2, widths: [8], autoencoder: false }, { ...DEFAULT_SETTINGS, epochs: 1, batchSize: 16 }, data);
      await t.run();
      expect(Number.isFinite(t.history[0].test.total)).toBe(true);
      t.dispose();
    });
  }

  it('rejects unknown backends by name', async () => {
    await expect(selectBackend('gpu' as never)).rejects.toThrow(/unknown backend 'gpu'/);
  });

  it.runIf(!installed('@tensorflow/tfjs-node') && !installed('@tensorflow/tfjs-node-gpu'))(
    "'tensorflow' without tfjs-node installed says which packages are missing",
    async () => {
      await expect(selectBackend('tensorflow')).rejects.toThrow(/@tensorflow\/tfjs-node-gpu nor @tensorflow\/tfjs-node is installed/);
    },
  );
});

describe('progress text', () => {
  it('formats durations and bars', () => {
    expect(formatDuration(65)).toBe('01:05');
    expect(formatDuration(3725)).toBe('1:02:05');
    expect(formatDuration(Infinity)).toBe('--:--');
    expect(renderBar(1, 4, 8)).toBe('[##......]');
  });
});
