// Loss of a sequence VAE on one batch, per sequence in nats:
//   recon = sum over target tokens (symbols and EOS, not PAD) of -log p(token | z, previous tokens)
//   KL    = KL(q(z|x) || N(0, I)) summed over latent dimensions
// and the training objective recon + beta * KL', where KL' applies free bits (Kingma et al. 2016):
// each dimension's batch-mean KL counts as at least `freeBits` nats, so the optimizer gains nothing by
// pushing a dimension's KL below it (a defence against posterior collapse).
// Posterior-collapse defences that act on the inputs (token dropout) and on beta (annealing) live in
// makeDecoderInputs and annealedBeta.
import * as tf from '@tensorflow/tfjs-core';
import { reparameterize } from './loss.js';
import type { Rng } from '../reference/random.js';
import type { SeqVaeModel } from './seq-model.js';
import { BOS, PAD, UNK } from './vocab.js';

export type KlSchedule = 'linear' | 'sigmoid';

/**
 * KL weight at optimizer step `step` with a warm-up of `warmupSteps` (0 = constant beta):
 * linear rises from 0 to beta; sigmoid is Bowman et al.'s logistic curve centred at half the warm-up.
 */
export function annealedBeta(beta: number, step: number, warmupSteps: number, schedule: KlSchedule): number {
  if (warmupSteps <= 0) return beta;
  if (schedule === 'linear') return beta * Math.min(1, step / warmupSteps);
  if (step >= warmupSteps) return beta;
  return beta / (1 + Math.exp(-(10 / warmupSteps) * (step - warmupSteps / 2)));
}

/**
 * Decoder inputs for teacher forcing: BOS followed by the targets shifted right by one. With
 * probability `dropout` each input token after BOS becomes UNK (Bowman et al.'s word dropout), so the
 * decoder must lean on z. PAD stays PAD.
 */
export function makeDecoderInputs(targets: Int32Array, n: number, T: number, dropout: number, rng: Rng | null): Int32Array {
  const inputs = new Int32Array(n * T);
  for (let i = 0; i < n; i++) {
    inputs[i * T] = BOS;
    for (let t = 1; t < T; t++) {
      const tok = targets[i * T + t - 1];
      inputs[i * T + t] = tok !== PAD && dropout > 0 && rng && rng.uniform() < dropout ? UNK : tok;
    }
  }
  return inputs;
}

/** 1 where the target is a symbol or EOS, 0 on padding: [n*T]. */
export function targetMask(targets: Int32Array): Float32Array {
  return Float32Array.from(targets, (t) => (t === PAD ? 0 : 1));
}

export interface SeqLossTerms {
  /** batch means per sequence, nats */
  recon: tf.Scalar;
  kl: tf.Scalar;
  objective: tf.Scalar;
  /** [N, L] per-sequence, per-dimension KL */
  klPerDim: tf.Tensor2D;
  mu: tf.Tensor2D;
  /** [N*T] 1 where the argmax prediction equals the target */
  correct: tf.Tensor1D;
}

export interface SeqLossOptions {
  beta: number;
  freeBits: number;
  dropout: number;
}

/**
 * targets: n rows of T ids. eps [n, L] = null decodes from mu (no sampling; reconstruction accuracy).
 * `inputs` are the decoder inputs (makeDecoderInputs).
 */
export function seqVaeLoss(model: SeqVaeModel, targets: Int32Array, inputs: Int32Array, n: number, eps: tf.Tensor2D | null, opts: SeqLossOptions): SeqLossTerms {
  return tf.tidy(() => {
    const V = model.config.vocabSize;
    const { mu, logvar } = model.encode(targets, n);
    const z = eps ? reparameterize(mu, logvar, eps) : mu;
    const logits = model.decodeLogits(z, inputs, n);
    const logp = tf.sub(logits, tf.logSumExp(logits, 1, true));
    const target = tf.tensor2d(oneHot(targets, V), [targets.length, V]);
    const mask = tf.tensor1d(targetMask(targets));
    const nllPerToken = tf.mul(tf.neg(tf.sum(tf.mul(logp, target), 1)), mask);
    const recon = tf.div(tf.sum(nllPerToken), n) as tf.Scalar;
    const klPerDim = tf.mul(-0.5, tf.sub(tf.sub(tf.add(1, logvar), tf.square(mu)), tf.exp(logvar))) as tf.Tensor2D;
    const kl = tf.div(tf.sum(klPerDim), n) as tf.Scalar;
    const klTerm = opts.freeBits > 0 ? tf.sum(tf.maximum(tf.mean(klPerDim, 0), opts.freeBits)) : kl;
    const objective = tf.add(recon, tf.mul(opts.beta, klTerm)) as tf.Scalar;
    const predicted = tf.argMax(logits, 1);
    const correct = tf.mul(tf.cast(tf.equal(predicted, tf.tensor1d(targets, 'int32')), 'float32'), mask) as tf.Tensor1D;
    return { recon, kl, objective, klPerDim, mu, correct };
  });
}

function oneHot(ids: Int32Array, V: number): Float32Array {
  const out = new Float32Array(ids.length * V);
  for (let i = 0; i < ids.length; i++) out[i * V + ids[i]] = 1;
  return out;
}
