// The baseline a sequence VAE is measured against: a plain LSTM/GRU language model of the same size
// (same embedding, layers and state size as the VAE's decoder, no z: zero initial state, the token
// embedding alone as input), trained on the same data with the same batches, steps, learning rate and
// gradient clip. Its held-out NLL per token is an exact likelihood, which the VAE's negative ELBO per
// token bounds from above; the gap says what the latent code costs (or, below the LM, gains).
// Token dropout is a VAE defence against posterior collapse, so the LM trains without it.
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from './adam.js';
import './register-gradients.js';
import type { ParamSpec } from './models.js';
import { formatDuration, silentProgress, type ProgressSink } from './progress.js';
import { shuffledIndices } from '../reference/random.js';
import { makeDecoderInputs, targetMask } from './seq-loss.js';
import { gates, oneHotRows, recurrentInitialWeights, recurrentLayer, zeroState, type CellKind } from './seq-model.js';
import { clipByGlobalNorm, type SeqTrainSettings } from './seq-train.js';
import type { SequenceDataset, SequenceSet } from './sequence-data.js';
import { epochOrderSeed } from './train.js';

export interface SeqLmConfig {
  cell: CellKind;
  layers: number;
  hidden: number;
  embed: number;
  vocabSize: number;
  maxTokens: number;
}

export interface SeqLmEpoch {
  epoch: number;
  /** mean NLL per target token (symbols and EOS), nats */
  trainNllPerToken: number;
  testNllPerToken: number;
  /** held-out NLL per sequence, nats */
  testNllPerSequence: number;
  /** teacher-forced argmax accuracy on the held-out set */
  testTokenAccuracy: number;
  seconds: number;
}

export interface SeqLmResult {
  config: SeqLmConfig;
  parameters: number;
  steps: number;
  history: SeqLmEpoch[];
}

const EVAL_BATCH = 256;
let variableCounter = 0;

export function lmParamSpecs(c: SeqLmConfig): ParamSpec[] {
  const G = gates(c.cell) * c.hidden;
  const specs: ParamSpec[] = [{ name: 'embed', shape: [c.vocabSize, c.embed], fanIn: 1, fanOut: c.embed, isBias: false }];
  const add = (name: string, shape: number[], fanIn: number, fanOut: number, isBias = false) =>
    specs.push({ name, shape, fanIn, fanOut, isBias });
  for (let l = 0; l < c.layers; l++) {
    const inSize = l === 0 ? c.embed : c.hidden;
    add(`lm.l${l}.wx`, [inSize, G], inSize, G);
    add(`lm.l${l}.wh`, [c.hidden, G], c.hidden, G);
    add(`lm.l${l}.bx`, [G], inSize, G, true);
    add(`lm.l${l}.bh`, [G], c.hidden, G, true);
  }
  add('lm.out.w', [c.hidden, c.vocabSize], c.hidden, c.vocabSize);
  add('lm.out.b', [c.vocabSize], c.hidden, c.vocabSize, true);
  return specs;
}

export class SeqLanguageModel {
  readonly specs: ParamSpec[];
  readonly params = new Map<string, tf.Variable>();

  constructor(readonly config: SeqLmConfig, seed: number) {
    this.specs = lmParamSpecs(config);
    for (const [name, values] of recurrentInitialWeights(this.specs, config.cell, config.hidden, seed)) {
      const spec = this.specs.find((s) => s.name === name)!;
      this.params.set(name, tf.variable(tf.tensor(values, spec.shape), true, `seqlm_${name}_${++variableCounter}`));
    }
  }

  private p(name: string): tf.Variable {
    const v = this.params.get(name);
    if (!v) throw new Error(`language model: no parameter '${name}'`);
    return v;
  }

  parameterCount(): number {
    return this.specs.reduce((sum, s) => sum + s.shape.reduce((a, b) => a * b, 1), 0);
  }

  /** Teacher-forced logits [n*T, V] for decoder inputs (BOS, then the targets shifted right). */
  logits(inputs: Int32Array, n: number): tf.Tensor2D {
    const { maxTokens: T, embed: E, hidden: H } = this.config;
    let x = tf.reshape(tf.matMul(oneHotRows(inputs, this.config.vocabSize), this.p('embed') as tf.Tensor2D), [n, T, E]) as tf.Tensor3D;
    for (let l = 0; l < this.config.layers; l++) {
      x = recurrentLayer(this.config, (name) => this.p(name), `lm.l${l}`, x, zeroState(this.config, n), false).outputs;
    }
    return tf.add(tf.matMul(tf.reshape(x, [n * T, H]), this.p('lm.out.w') as tf.Tensor2D), this.p('lm.out.b'));
  }

  /** Summed NLL over target tokens (a scalar) and the per-token argmax hits [n*T]. */
  nll(targets: Int32Array, n: number): { sum: tf.Scalar; correct: tf.Tensor1D } {
    return tf.tidy(() => {
      const V = this.config.vocabSize;
      const logits = this.logits(makeDecoderInputs(targets, n, this.config.maxTokens, 0, null), n);
      const logp = tf.sub(logits, tf.logSumExp(logits, 1, true));
      const mask = tf.tensor1d(targetMask(targets));
      const picked = tf.sum(tf.mul(logp, oneHotRows(targets, V)), 1);
      const sum = tf.neg(tf.sum(tf.mul(picked, mask))) as tf.Scalar;
      const correct = tf.mul(tf.cast(tf.equal(tf.argMax(logits, 1), tf.tensor1d(targets, 'int32')), 'float32'), mask) as tf.Tensor1D;
      return { sum, correct };
    });
  }

  dispose(): void {
    for (const v of this.params.values()) v.dispose();
    this.params.clear();
  }
}

function countTokens(targets: Int32Array): number {
  let k = 0;
  for (let i = 0; i < targets.length; i++) if (targets[i] !== 0) k++;
  return k;
}

async function evaluateLm(model: SeqLanguageModel, set: SequenceSet, T: number): Promise<{ perToken: number; perSequence: number;
  accuracy: number }> {
  let nll = 0;
  let correct = 0;
  let tokens = 0;
  for (let start = 0; start < set.count; start += EVAL_BATCH) {
    const size = Math.min(EVAL_BATCH, set.count - start);
    const targets = set.tokens.subarray(start * T, (start + size) * T);
    const r = model.nll(targets, size);
    nll += (await r.sum.data())[0];
    const c = (await r.correct.data()) as Float32Array;
    for (let i = 0; i < c.length; i++) correct += c[i];
    tokens += countTokens(targets);
    tf.dispose([r.sum, r.correct]);
  }
  return { perToken: nll / tokens, perSequence: nll / set.count, accuracy: correct / tokens };
}

/**
 * Trains the baseline with the VAE's settings (epochs, batch, lr, clip, seed: the same data order per
 * epoch) and reports held-out NLL after every epoch.
 */
export async function trainLanguageModel(config: SeqLmConfig, settings: SeqTrainSettings, data: SequenceDataset, progress: ProgressSink =
  silentProgress): Promise<SeqLmResult> {
  const model = new SeqLanguageModel(config, settings.seed);
  const adam = new Adam(model.params, { lr: settings.lr });
  const T = data.maxTokens;
  const n = data.train.count;
  const { batchSize, epochs } = settings;
  const perEpoch = Math.ceil(n / batchSize);
  const names = model.specs.map((s) => s.name);
  const vars = names.map((name) => model.params.get(name)!);
  const batch = new Int32Array(batchSize * T);
  const history: SeqLmEpoch[] = [];
  try {
    for (let epoch = 0; epoch < epochs; epoch++) {
      const order = shuffledIndices(n, epochOrderSeed(settings.seed, epoch));
      let nll = 0;
      let tokens = 0;
      let seconds = 0;
      for (let b = 0; b < perEpoch; b++) {
        const t0 = performance.now();
        const size = Math.min(batchSize, n - b * batchSize);
        for (let i = 0; i < size; i++) {
          const src = order[b * batchSize + i];
          batch.set(data.train.tokens.subarray(src * T, (src + 1) * T), i * T);
        }
        const targets = batch.subarray(0, size * T);
        let kept: tf.Scalar | null = null;
        const { value, grads } = tf.variableGrads(() => {
          const r = model.nll(targets, size);
          kept = tf.keep(r.sum);
          r.correct.dispose();
          return tf.div(r.sum, size) as tf.Scalar;
        }, vars);
        const byName = new Map<string, tf.Tensor>();
        vars.forEach((v, i) => byName.set(names[i], grads[v.name]));
        const clipped = settings.clipNorm > 0 ? clipByGlobalNorm(byName, settings.clipNorm) : byName;
        adam.apply(clipped);
        const sum = (await kept!.data())[0];
        tf.dispose([value, kept!, ...Object.values(grads)]);
        if (clipped !== byName) tf.dispose([...clipped.values()]);
        if (!Number.isFinite(sum)) throw new Error(`language model diverged at epoch ${epoch + 1}, step ${adam.step}`);
        nll += sum;
        tokens += countTokens(targets);
        seconds += (performance.now() - t0) / 1000;
        await new Promise((resolve) => setImmediate(resolve));
        const done = Math.min(n, (b + 1) * batchSize);
        progress.update(done, n,
          `LM epoch ${epoch + 1}/${epochs} ${(done / seconds).toFixed(0)} seq/s ` +
            `ETA ${formatDuration((n - done) / (done / seconds))} ${(nll / tokens).toFixed(3)} nats/token`);
      }
      const test = await evaluateLm(model, data.test, T);
      const record: SeqLmEpoch = {
        epoch: epoch + 1, trainNllPerToken: nll / tokens, testNllPerToken: test.perToken, testNllPerSequence: test.perSequence,
        testTokenAccuracy: test.accuracy, seconds,
      };
      history.push(record);
      progress.line(
        `LM epoch ${epoch + 1}/${epochs} train ${record.trainNllPerToken.toFixed(3)} ` +
          `test ${record.testNllPerToken.toFixed(3)} nats/token ` +
        `(${record.testNllPerSequence.toFixed(2)} nats/seq) acc ${record.testTokenAccuracy.toFixed(3)} | ${seconds.toFixed(1)} s`);
    }
    return { config, parameters: model.parameterCount(), steps: adam.step, history };
  } finally {
    model.dispose();
    adam.dispose();
  }
}
