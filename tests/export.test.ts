// ONNX export parity: the exported encoder/decoder, run by onnxruntime-node (an independent engine),
// must reproduce the tfjs model's outputs within 1e-5 after a few training steps.
import * as tf from '@tensorflow/tfjs-core';
import * as ort from 'onnxruntime-node';
import pkg from 'onnx-proto';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../trainer/backend.js';
import type { Dataset } from '../data/datasets.js';
import { buildOnnx, convHwioToOihw, deconvHwoiToIohw, denseColsHwcToChw, denseRowsHwcToChw, IR_VERSION, OPSET } from '../trainer/export-onnx.js';
import { initialWeights, type ModelConfig } from '../trainer/models.js';
import { Rng } from '../reference/random.js';
import { Trainer } from '../trainer/train.js';

const { onnx } = pkg;

function syntheticData(shape: [number, number, number], count: number, seed: number): Dataset {
  const rng = new Rng(seed);
  const per = shape[0] * shape[1] * shape[2];
  const make = (n: number) => ({ images: Float32Array.from({ length: n * per }, () => rng.uniform()), labels: null, count: n });
  return { name: 'synthetic', shape, train: make(count), test: make(8) };
}

function nhwcToNchw(x: Float32Array, n: number, h: number, w: number, c: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let b = 0; b < n; b++) for (let y = 0; y < h; y++) for (let xx = 0; xx < w; xx++) for (let ch = 0; ch < c; ch++) {
    out[((b * c + ch) * h + y) * w + xx] = x[((b * h + y) * w + xx) * c + ch];
  }
  return out;
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i] - b[i]));
  return m;
}

async function parity(config: ModelConfig): Promise<{ enc: number; dec: number; outputs: string[] }> {
  const [H, W, C] = config.inputShape;
  const data = syntheticData(config.inputShape, 32, 3);
  const trainer = Trainer.create(config, { epochs: 2, batchSize: 16, lr: 3e-3, beta: 1, klWarmupEpochs: 0, recon: 'bernoulli', sigma: 0.1, seed: 5 }, data);
  await trainer.run();
  const { encoder, decoder } = buildOnnx(config, await trainer.model.weights());
  const n = 3;
  const xs = data.test.images.subarray(0, n * H * W * C);
  const encSession = await ort.InferenceSession.create(encoder);
  const decSession = await ort.InferenceSession.create(decoder);
  const encOut = await encSession.run({ x: new ort.Tensor('float32', nhwcToNchw(xs, n, H, W, C), [n, C, H, W]) });
  const { mu, logvar } = trainer.model.encode(tf.tensor4d(xs, [n, H, W, C]));
  let enc = maxAbsDiff(encOut.mu.data as Float32Array, (await mu.data()) as Float32Array);
  if (logvar) enc = Math.max(enc, maxAbsDiff(encOut.logvar.data as Float32Array, (await logvar.data()) as Float32Array));
  const z = new Rng(9).fillNormal(new Float32Array(n * config.latent));
  const decOut = await decSession.run({ z: new ort.Tensor('float32', z, [n, config.latent]) });
  const img = (await trainer.model.decode(tf.tensor2d(z, [n, config.latent])).data()) as Float32Array;
  expect(decOut.x.dims).toEqual([n, C, H, W]);
  const dec = maxAbsDiff(decOut.x.data as Float32Array, nhwcToNchw(img, n, H, W, C));
  trainer.dispose();
  return { enc, dec, outputs: [...encSession.outputNames] };
}

describe('ONNX export', () => {
  beforeAll(async () => {
    await selectBackend('cpu', { fastKernels: false });
  });

  it('conv VAE 28x28x1 matches onnxruntime within 1e-5', async () => {
    const r = await parity({ kind: 'conv', inputShape: [28, 28, 1], latent: 4, widths: [4, 8], autoencoder: false });
    expect(r.outputs).toEqual(['mu', 'logvar']);
    expect(r.enc).toBeLessThanOrEqual(1e-5);
    expect(r.dec).toBeLessThanOrEqual(1e-5);
  });

  it('conv VAE on RGB 16x12 (channel permutation of the dense layers) matches', async () => {
    const r = await parity({ kind: 'conv', inputShape: [16, 12, 3], latent: 3, widths: [4, 6], autoencoder: false });
    expect(r.enc).toBeLessThanOrEqual(1e-5);
    expect(r.dec).toBeLessThanOrEqual(1e-5);
  });

  it('MLP autoencoder on RGB 8x8 matches, with a single mu output', async () => {
    const r = await parity({ kind: 'mlp', inputShape: [8, 8, 3], latent: 5, widths: [16], autoencoder: true });
    expect(r.outputs).toEqual(['mu']);
    expect(r.enc).toBeLessThanOrEqual(1e-5);
    expect(r.dec).toBeLessThanOrEqual(1e-5);
  });

  it('writes opset 13, IR 7 and a symbolic batch dimension', () => {
    const config: ModelConfig = { kind: 'mlp', inputShape: [4, 4, 1], latent: 2, widths: [3], autoencoder: false };
    const { encoder } = buildOnnx(config, initialWeights(config, 1));
    const m = onnx.ModelProto.decode(encoder);
    expect(Number(m.irVersion)).toBe(IR_VERSION);
    expect(Number(m.opsetImport[0].version)).toBe(OPSET);
    expect(m.graph!.input![0].type!.tensorType!.shape!.dim![0].dimParam).toBe('N');
  });

  it('layout converters agree with index formulas written out per element', () => {
    const [kh, kw, ci, co] = [3, 2, 4, 5];
    const w = Float32Array.from({ length: kh * kw * ci * co }, (_, i) => i);
    const oihw = convHwioToOihw(w, kh, kw, ci, co);
    const iohw = deconvHwoiToIohw(w, kh, kw, ci, co); // here tf layout [kh, kw, out=ci, in=co]
    for (let y = 0; y < kh; y++) for (let x = 0; x < kw; x++) for (let a = 0; a < ci; a++) for (let b = 0; b < co; b++) {
      const src = w[y * kw * ci * co + x * ci * co + a * co + b];
      expect(oihw[b * ci * kh * kw + a * kh * kw + y * kw + x]).toBe(src);
      expect(iohw[b * ci * kh * kw + a * kh * kw + y * kw + x]).toBe(src);
    }
    // Dense rows: ONNX row (c, y, x) must be tfjs row (y, x, c).
    const [h, wd, c, m] = [2, 3, 4, 2];
    const dense = Float32Array.from({ length: h * wd * c * m }, (_, i) => i);
    const rows = denseRowsHwcToChw(dense, m, h, wd, c);
    const cols = denseColsHwcToChw(dense.subarray(0, h * wd * c), 1, h, wd, c);
    for (let ch = 0; ch < c; ch++) for (let y = 0; y < h; y++) for (let x = 0; x < wd; x++) {
      const onnxIndex = ch * h * wd + y * wd + x;
      const tfIndex = (y * wd + x) * c + ch;
      for (let j = 0; j < m; j++) expect(rows[onnxIndex * m + j]).toBe(dense[tfIndex * m + j]);
      expect(cols[onnxIndex]).toBe(dense[tfIndex]);
    }
  });
});
