// Importance-weighted NLL bound of a sequence VAE (Burda et al. 2016, "Importance Weighted
// Autoencoders"): -log p(x) <= -log (1/K) sum_k p(x|z_k) p(z_k) / q(z_k|x), z_k ~ q(z|x).
// K = 1 is the one-sample negative ELBO the trainer reports; larger K tightens the bound towards the
// model's NLL, so it is the fair number to hold against a plain language model's exact NLL.
// Tokens counted are those of the training loss and of the LM baseline: symbols and EOS, not PAD.
import * as tf from '@tensorflow/tfjs-core';
import { Rng } from '../reference/random.js';
import { makeDecoderInputs, targetMask } from './seq-loss.js';
import { PAD } from './vocab.js';
import { oneHotRows, type SeqVaeModel } from './seq-model.js';
import type { SequenceSet } from './sequence-data.js';

export interface IwNllResult {
  samples: number;
  /** mean bound per sequence and per target token, nats */
  perSequence: number;
  perToken: number;
  tokens: number;
}

/**
 * Log importance weights [n, K]: log p(x|z_k) + log N(z_k; 0, I) - log q(z_k|x) per sequence and
 * sample, with z_k = mu + exp(logvar / 2) * eps_k and eps [n*K, L] (row i*K + k). The 2 pi terms cancel.
 */
export function logImportanceWeights(model: SeqVaeModel, targets: Int32Array, n: number, eps: Float32Array, K: number): Float32Array {
  const { maxTokens: T, latent: L, vocabSize: V } = model.config;
  if (eps.length !== n * K * L) throw new Error(`importance weights: ${eps.length} noise values for ${n} x ${K} x ${L}`);
  const tensor = tf.tidy(() => {
    const { mu, logvar } = model.encode(targets, n);
    const rep = (t: tf.Tensor2D) => tf.reshape(tf.tile(tf.reshape(t, [n, 1, L]), [1, K, 1]), [n * K, L]) as tf.Tensor2D;
    const e = tf.tensor2d(eps, [n * K, L]);
    const lv = rep(logvar);
    const z = tf.add(rep(mu), tf.mul(tf.exp(tf.mul(lv, 0.5)), e)) as tf.Tensor2D;
    const repeated = new Int32Array(n * K * T);
    for (let i = 0; i < n; i++) for (let k = 0; k < K; k++) repeated.set(targets.subarray(i * T, (i + 1) * T), (i * K + k) * T);
    const logits = model.decodeLogits(z, makeDecoderInputs(repeated, n * K, T, 0, null), n * K);
    const logp = tf.sub(logits, tf.logSumExp(logits, 1, true));
    const picked = tf.mul(tf.sum(tf.mul(logp, oneHotRows(repeated, V)), 1), tf.tensor1d(targetMask(repeated)));
    const logPxGivenZ = tf.sum(tf.reshape(picked, [n * K, T]), 1);
    // log N(z; 0, I) - log N(z; mu, sigma) = sum_j (-z^2 + eps^2 + logvar) / 2
    const logPriorOverQ = tf.mul(0.5, tf.sum(tf.add(tf.sub(tf.square(e), tf.square(z)), lv), 1));
    return tf.reshape(tf.add(logPxGivenZ, logPriorOverQ), [n, K]);
  });
  const out = tensor.dataSync() as Float32Array;
  tensor.dispose();
  return Float32Array.from(out);
}

/** -log mean exp of each row of K values, in float64 (stable: the row maximum is taken out first). */
export function negLogMeanExp(values: Float32Array, n: number, K: number): Float64Array {
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    let max = -Infinity;
    for (let k = 0; k < K; k++) max = Math.max(max, values[i * K + k]);
    let sum = 0;
    for (let k = 0; k < K; k++) sum += Math.exp(values[i * K + k] - max);
    out[i] = -(max + Math.log(sum / K));
  }
  return out;
}

/** The K-sample bound over a whole set, `batch` sequences at a time, noise from `seed`. */
export function importanceWeightedNll(model: SeqVaeModel, set: SequenceSet, K: number, seed: number, batch = 32): IwNllResult {
  if (!Number.isInteger(K) || K < 1) throw new Error(`importance samples must be a positive integer, got ${K}`);
  const { maxTokens: T, latent: L } = model.config;
  const rng = new Rng(seed);
  let total = 0;
  let tokens = 0;
  for (let start = 0; start < set.count; start += batch) {
    const n = Math.min(batch, set.count - start);
    const targets = set.tokens.subarray(start * T, (start + n) * T);
    const w = logImportanceWeights(model, targets, n, rng.fillNormal(new Float32Array(n * K * L)), K);
    for (const x of negLogMeanExp(w, n, K)) total += x;
    for (let i = 0; i < targets.length; i++) if (targets[i] !== PAD) tokens++;
  }
  return { samples: K, perSequence: total / set.count, perToken: total / tokens, tokens };
}
