// One optimizer step and one evaluation batch of the VAE, as an engine the training loop drives.
// The local engine runs them on the active tfjs backend; a remote engine (trainer/webgpu) runs this same
// local engine inside Chromium and ships batches in and weights out. Browser-safe: tfjs-core only.
import * as tf from '@tensorflow/tfjs-core';
import type { Adam } from './adam.js';
import { vaeLoss, type ReconKind } from './loss.js';
import './register-gradients.js';
import type { VaeModel } from './models.js';

export interface LossOptions {
  recon: ReconKind;
  sigma: number;
}

/** Mean reconstruction and KL terms of one batch, in nats per sample. */
export type BatchLoss = [recon: number, kl: number];

export interface TrainEngine {
  /** One Adam step on `size` images (NHWC floats); `eps` is the N(0, I) noise (null for an autoencoder). */
  step(batch: Float32Array, size: number, eps: Float32Array | null, beta: number): Promise<BatchLoss>;
  /** The loss of `size` images without a step (beta 1). */
  evaluate(batch: Float32Array, size: number, eps: Float32Array | null): Promise<BatchLoss>;
  /** Copies weights, Adam moments and step into the trainer's model and optimizer (no-op when they are the same). */
  pull(): Promise<void>;
  dispose(): Promise<void> | void;
}

/** Runs steps on the tfjs backend active in this process, updating `model` and `adam` in place. */
export class LocalEngine implements TrainEngine {
  private readonly vars: tf.Variable[];
  private readonly names: string[];

  constructor(readonly model: VaeModel, readonly adam: Adam, readonly loss: LossOptions) {
    this.vars = model.variables();
    this.names = model.specs.map((s) => s.name);
  }

  async step(batch: Float32Array, size: number, eps: Float32Array | null, beta: number): Promise<BatchLoss> {
    const [H, W, C] = this.model.config.inputShape;
    const L = this.model.config.latent;
    const x = tf.tensor4d(batch.subarray(0, size * H * W * C), [size, H, W, C]);
    const noise = eps ? tf.tensor2d(eps.subarray(0, size * L), [size, L]) : null;
    let kept: tf.Scalar[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const terms = vaeLoss(this.model, x, noise, { ...this.loss, beta });
      kept = [tf.keep(terms.recon), tf.keep(terms.kl)];
      return terms.objective;
    }, this.vars);
    const byName = new Map<string, tf.Tensor>();
    this.vars.forEach((v, i) => byName.set(this.names[i], grads[v.name]));
    this.adam.apply(byName);
    const [recon, kl] = await Promise.all(kept.map((t) => t.data()));
    tf.dispose([x, value, ...Object.values(grads), ...kept]);
    if (noise) noise.dispose();
    return [recon[0], kl[0]];
  }

  async evaluate(batch: Float32Array, size: number, eps: Float32Array | null): Promise<BatchLoss> {
    const [H, W, C] = this.model.config.inputShape;
    const L = this.model.config.latent;
    const [r, k] = tf.tidy(() => {
      const x = tf.tensor4d(batch.subarray(0, size * H * W * C), [size, H, W, C]);
      const terms = vaeLoss(this.model, x, eps ? tf.tensor2d(eps.subarray(0, size * L), [size, L]) : null, { ...this.loss, beta: 1 });
      return [terms.recon, terms.kl];
    });
    const [recon, kl] = await Promise.all([r.data(), k.data()]);
    tf.dispose([r, k]);
    return [recon[0], kl[0]];
  }

  async pull(): Promise<void> {}

  dispose(): void {}
}
