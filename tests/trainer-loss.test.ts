// Loss math of the trainer against plain per-element JavaScript and against Monte Carlo estimates.
import * as tf from '@tensorflow/tfjs-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { selectBackend } from '../trainer/backend.js';
import { bernoulliNll, gaussianNll, klStandardNormal, reparameterize, vaeLoss, warmedBeta } from '../trainer/loss.js';
import { VaeModel } from '../trainer/models.js';
import { Rng } from '../reference/random.js';

beforeAll(async () => {
  await selectBackend('cpu', { fastKernels: false });
});

const sigmoid = (v: number) => 1 / (1 + Math.exp(-v));

describe('reconstruction terms', () => {
  it('Bernoulli NLL from logits equals -[x log p + (1-x) log(1-p)] summed per sample', async () => {
    const logits = [0.3, -1.2, 2.5, 0, -0.7, 4.1];
    const x = [1, 0, 0.25, 0.5, 0.9, 0];
    const got = await bernoulliNll(tf.tensor2d(logits, [2, 3]), tf.tensor2d(x, [2, 3])).data();
    for (let n = 0; n < 2; n++) {
      let want = 0;
      for (let k = 0; k < 3; k++) {
        const p = sigmoid(logits[n * 3 + k]);
        const xi = x[n * 3 + k];
        want -= xi * Math.log(p) + (1 - xi) * Math.log(1 - p);
      }
      expect(got[n]).toBeCloseTo(want, 5);
    }
  });

  it('Bernoulli NLL stays finite and exact for saturated logits', async () => {
    // p = sigmoid(±200) rounds to 0/1; the naive formula gives Infinity, the stable one |l| for the wrong label.
    const got = await bernoulliNll(tf.tensor2d([200, -200], [1, 2]), tf.tensor2d([0, 1], [1, 2])).data();
    expect(got[0]).toBeCloseTo(400, 3);
  });

  it('Gaussian NLL equals the log density of N(sigmoid(l), sigma^2) summed per sample', async () => {
    const logits = [0.2, -0.4, 1.5, -2];
    const x = [0.1, 0.6, 0.7, 0.05];
    const sigma = 0.3;
    const got = await gaussianNll(tf.tensor2d(logits, [1, 4]), tf.tensor2d(x, [1, 4]), sigma).data();
    let want = 0;
    for (let k = 0; k < 4; k++) {
      const d = x[k] - sigmoid(logits[k]);
      want += (d * d) / (2 * sigma * sigma) + Math.log(sigma * Math.sqrt(2 * Math.PI));
    }
    expect(got[0]).toBeCloseTo(want, 4);
    expect(() => gaussianNll(tf.tensor2d([0], [1, 1]), tf.tensor2d([0], [1, 1]), 0)).toThrow(/sigma/);
  });
});

describe('KL and reparameterization', () => {
  it('closed-form KL matches a hand computation', async () => {
    const mu = [0.5, -1, 0, 2];
    const lv = [0, 0.5, -1, 0.3];
    const got = await klStandardNormal(tf.tensor2d(mu, [2, 2]), tf.tensor2d(lv, [2, 2])).data();
    for (let n = 0; n < 2; n++) {
      let want = 0;
      for (let k = 0; k < 2; k++) {
        const i = n * 2 + k;
        want += 0.5 * (Math.exp(lv[i]) + mu[i] * mu[i] - 1 - lv[i]);
      }
      expect(got[n]).toBeCloseTo(want, 5);
    }
  });

  it('closed-form KL agrees with a Monte Carlo estimate of E_q[log q(z) - log p(z)]', async () => {
    const mu = [0.7, -0.3, 1.2];
    const lv = [-0.5, 0.4, 0.1];
    const closed = (await klStandardNormal(tf.tensor2d(mu, [1, 3]), tf.tensor2d(lv, [1, 3])).data())[0];
    const rng = new Rng(42);
    const samples = 200_000;
    let sum = 0;
    for (let s = 0; s < samples; s++) {
      for (let k = 0; k < 3; k++) {
        const sd = Math.exp(0.5 * lv[k]);
        const e = rng.normal();
        const z = mu[k] + sd * e;
        // log q - log p for one dimension (the 2*pi terms cancel)
        sum += -0.5 * e * e - Math.log(sd) + 0.5 * z * z;
      }
    }
    const mc = sum / samples;
    expect(Math.abs(mc - closed)).toBeLessThan(0.02 * closed + 0.01);
  });

  it('reparameterize computes mu + exp(logvar / 2) * eps', async () => {
    const got = await reparameterize(tf.tensor2d([1, -2], [1, 2]), tf.tensor2d([0, Math.log(4)], [1, 2]), tf.tensor2d([0.5, -1], [1, 2])).data();
    expect(got[0]).toBeCloseTo(1.5, 6);
    expect(got[1]).toBeCloseTo(-4, 5);
  });

  it('KL warm-up rises linearly to beta', () => {
    expect(warmedBeta(2, 0, 100)).toBe(0);
    expect(warmedBeta(2, 50, 100)).toBe(1);
    expect(warmedBeta(2, 500, 100)).toBe(2);
    expect(warmedBeta(2, 0, 0)).toBe(2);
  });

  it('the ELBO of a model equals its parts computed by hand, and an autoencoder has no KL', async () => {
    const config = { kind: 'mlp' as const, inputShape: [2, 2, 1] as [number, number, number], latent: 2, widths: [3], autoencoder: false };
    const model = VaeModel.create(config, 3);
    const x = tf.tensor4d([0, 0.5, 1, 0.2, 0.9, 0.1, 0.3, 0.7], [2, 2, 2, 1]);
    const eps = tf.tensor2d([0.1, -0.2, 0.3, 1.1], [2, 2]);
    const terms = vaeLoss(model, x, eps, { recon: 'bernoulli', beta: 0.5 });
    const { mu, logvar } = model.encode(x);
    const logits = model.decodeLogits(reparameterize(mu, logvar!, eps));
    const recon = (await tf.mean(bernoulliNll(logits, x)).data())[0];
    const kl = (await tf.mean(klStandardNormal(mu, logvar!)).data())[0];
    expect((await terms.recon.data())[0]).toBeCloseTo(recon, 5);
    expect((await terms.kl.data())[0]).toBeCloseTo(kl, 5);
    expect((await terms.total.data())[0]).toBeCloseTo(recon + kl, 4);
    expect((await terms.objective.data())[0]).toBeCloseTo(recon + 0.5 * kl, 4);
    const ae = VaeModel.create({ ...config, autoencoder: true }, 3);
    const aeTerms = vaeLoss(ae, x, null, { recon: 'bernoulli', beta: 1 });
    expect((await aeTerms.kl.data())[0]).toBe(0);
    expect(ae.encode(x).logvar).toBeNull();
  });
});
