// Negative ELBO of a VAE, per sample, in nats:
//   -ELBO(x) = E_q[-log p(x|z)] + KL(q(z|x) || N(0, I))
// estimated with one reparameterized sample z = mu + exp(logvar / 2) * eps.
import * as tf from '@tensorflow/tfjs-core';
import type { VaeModel } from './models.js';

export type ReconKind = 'bernoulli' | 'gaussian';

/**
 * Bernoulli negative log-likelihood summed over pixels, from logits l:
 *   -[x log s(l) + (1-x) log(1-s(l))] = max(l,0) - x*l + log(1 + exp(-|l|))
 * which never evaluates log(0) or exp of a large positive number.
 * logits and x: [N, ...]; returns [N].
 */
export function bernoulliNll(logits: tf.Tensor, x: tf.Tensor): tf.Tensor1D {
  return tf.tidy(() => {
    const perPixel = tf.add(
      tf.sub(tf.relu(logits), tf.mul(x, logits)),
      tf.log1p(tf.exp(tf.neg(tf.abs(logits)))),
    );
    return tf.sum(tf.reshape(perPixel, [logits.shape[0], -1]), 1) as tf.Tensor1D;
  });
}

/**
 * Gaussian negative log-likelihood with mean sigmoid(logits) and fixed standard deviation sigma,
 * summed over pixels: 0.5 * ((x - mean) / sigma)^2 + log(sigma) + 0.5 * log(2 pi).
 */
export function gaussianNll(logits: tf.Tensor, x: tf.Tensor, sigma: number): tf.Tensor1D {
  if (!(sigma > 0)) throw new Error(`gaussian reconstruction: sigma must be > 0, got ${sigma}`);
  return tf.tidy(() => {
    const d = tf.div(tf.sub(x, tf.sigmoid(logits)), sigma);
    const perPixel = tf.add(tf.mul(0.5, tf.square(d)), Math.log(sigma) + 0.5 * Math.log(2 * Math.PI));
    return tf.sum(tf.reshape(perPixel, [logits.shape[0], -1]), 1) as tf.Tensor1D;
  });
}

/** Closed-form KL(N(mu, exp(logvar)) || N(0, I)) = -0.5 * sum(1 + logvar - mu^2 - exp(logvar)); returns [N]. */
export function klStandardNormal(mu: tf.Tensor2D, logvar: tf.Tensor2D): tf.Tensor1D {
  return tf.tidy(() => tf.mul(-0.5, tf.sum(tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar)), 1)) as tf.Tensor1D);
}

/** z = mu + exp(0.5 * logvar) * eps, eps ~ N(0, I) supplied by the caller (so it comes from a seeded generator). */
export function reparameterize(mu: tf.Tensor2D, logvar: tf.Tensor2D, eps: tf.Tensor2D): tf.Tensor2D {
  return tf.tidy(() => tf.add(mu, tf.mul(tf.exp(tf.mul(0.5, logvar)), eps)));
}

export interface LossOptions {
  recon: ReconKind;
  /** Weight of the KL term in the training objective (beta-VAE; the reported ELBO always uses 1). */
  beta: number;
  sigma?: number;
}

export interface LossTerms {
  /** Batch means of the per-sample values, in nats. */
  recon: tf.Scalar;
  kl: tf.Scalar;
  /** recon + KL: the negative ELBO. */
  total: tf.Scalar;
  /** recon + beta * KL: what the optimizer minimizes. */
  objective: tf.Scalar;
}

/**
 * One-sample estimate of the loss on batch x [N, H, W, C]. eps [N, L] is ignored for an autoencoder
 * (z = mu, KL = 0).
 */
export function vaeLoss(model: VaeModel, x: tf.Tensor4D, eps: tf.Tensor2D | null, opts: LossOptions): LossTerms {
  return tf.tidy(() => {
    const { mu, logvar } = model.encode(x);
    let z = mu;
    let kl: tf.Scalar = tf.scalar(0);
    if (logvar) {
      if (!eps) throw new Error('vaeLoss: a VAE needs eps noise for the reparameterization');
      z = reparameterize(mu, logvar, eps);
      kl = tf.mean(klStandardNormal(mu, logvar));
    }
    const logits = model.decodeLogits(z);
    const nll = opts.recon === 'gaussian' ? gaussianNll(logits, x, opts.sigma ?? 0.1) : bernoulliNll(logits, x);
    const recon = tf.mean(nll) as tf.Scalar;
    return {
      recon,
      kl,
      total: tf.add(recon, kl) as tf.Scalar,
      objective: tf.add(recon, tf.mul(opts.beta, kl)) as tf.Scalar,
    };
  });
}

/** Linear KL warm-up: beta grows from 0 to `beta` over `warmupSteps` optimizer steps (0 = no warm-up). */
export function warmedBeta(beta: number, step: number, warmupSteps: number): number {
  if (warmupSteps <= 0) return beta;
  return beta * Math.min(1, step / warmupSteps);
}
