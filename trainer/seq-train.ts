// Training loop of sequence VAEs: minibatch Adam on the negative ELBO with KL annealing, token
// dropout and free bits; per-epoch KL, reconstruction token accuracy and active latent units on the
// held-out set; checkpoints after every epoch and on Ctrl-C, with exact resumption (the machinery of
// train.ts: epoch data order from (seed, epoch), one checkpointed noise generator, float32 state).
import * as tf from '@tensorflow/tfjs-core';
import { Adam } from './adam.js';
import './register-gradients.js';
import { loadCheckpoint, saveCheckpoint, trainingTensors } from './checkpoint.js';
import { checkSameData, type ProgressMeta } from './checkpoint-codec.js';
import { EpochTrainer, resumeRun, runEpochs, type EpochRunOptions } from './epoch-loop.js';
import { Rng } from '../reference/random.js';
import { annealedBeta, makeDecoderInputs, seqVaeLoss, type KlSchedule } from './seq-loss.js';
import { SeqVaeModel, type SeqModelConfig } from './seq-model.js';
import type { SequenceDataset, SequenceSet } from './sequence-data.js';
import { runValues } from './run-values.js';

export interface SeqTrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  beta: number;
  /** epochs over which beta rises from 0 (0 = off) */
  klWarmupEpochs: number;
  klSchedule: KlSchedule;
  /** probability of replacing a decoder input token by UNK */
  wordDropout: number;
  /** per-dimension KL floor in nats (0 = off) */
  freeBits: number;
  /** global gradient-norm clip (0 = off) */
  clipNorm: number;
  seed: number;
}

export const DEFAULT_SEQ_SETTINGS: SeqTrainSettings = {
  epochs: 10, batchSize: 128, lr: 3e-3, beta: 1, klWarmupEpochs: 1, klSchedule: 'sigmoid', wordDropout: 0.3, freeBits: 0.25, clipNorm: 5, seed: 1,
};

/** A latent dimension is active when the variance of its mean over the data exceeds this (Burda et al. 2016). */
export const ACTIVE_UNIT_THRESHOLD = 0.01;

export interface SeqEvalSummary {
  /** nats per sequence */
  recon: number;
  kl: number;
  total: number;
  /** negative ELBO per target token (symbols + EOS), nats */
  nllPerToken: number;
  /** teacher-forced argmax accuracy decoding from mu */
  tokenAccuracy: number;
  activeUnits: number;
  /** mean KL per latent dimension */
  klPerDim: number[];
}

export interface SeqEpochRecord {
  epoch: number;
  train: { recon: number; kl: number; total: number; tokenAccuracy: number };
  test: SeqEvalSummary;
  beta: number;
  seconds: number;
  sequencesPerSecond: number;
}

interface PartialEpoch {
  recon: number;
  kl: number;
  correct: number;
  tokens: number;
  count: number;
  seconds: number;
}

export interface SeqCheckpointMeta extends ProgressMeta<PartialEpoch, SeqEpochRecord> {
  format: 'edgevae-seq-checkpoint';
  config: SeqModelConfig;
  settings: SeqTrainSettings;
  dataset: string;
  /** vocabulary symbols (without the specials): a resumed run must use the same ids */
  symbols: string[];
  separator: string;
  trainCount: number;
}

/** The flag values a sequence checkpoint stands for (the --resume agreement check). */
export function storedSeqRunValues(meta: SeqCheckpointMeta): Record<string, string | undefined> {
  const { config, settings, run } = meta;
  return {
    ...runValues(run),
    model: 'seq',
    cell: config.cell,
    layers: String(config.layers),
    hidden: String(config.hidden),
    embed: String(config.embed),
    latent: String(config.latent),
    bidirectional: String(config.bidirectional),
    batch: String(settings.batchSize),
    seed: String(settings.seed),
    beta: String(settings.beta),
    'kl-warmup': String(settings.klWarmupEpochs),
    'kl-schedule': settings.klSchedule,
    'word-dropout': String(settings.wordDropout),
    'free-bits': String(settings.freeBits),
    lr: String(settings.lr),
  };
}

const EVAL_BATCH = 256;
const EVAL_SEED_OFFSET = 0x7e57;

export function validateSeqSettings(s: SeqTrainSettings): void {
  for (const [name, v] of [['epochs', s.epochs], ['batch size', s.batchSize]] as const) {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  }
  if (!(s.lr > 0)) throw new Error(`learning rate must be > 0, got ${s.lr}`);
  if (!(s.beta >= 0)) throw new Error(`beta must be >= 0, got ${s.beta}`);
  if (!(s.klWarmupEpochs >= 0)) throw new Error(`KL warm-up must be >= 0 epochs, got ${s.klWarmupEpochs}`);
  if (s.klSchedule !== 'linear' && s.klSchedule !== 'sigmoid') throw new Error(`KL schedule must be linear or sigmoid, got ${String(s.klSchedule)}`);
  if (!(s.wordDropout >= 0 && s.wordDropout < 1)) throw new Error(`word dropout must be in [0, 1), got ${s.wordDropout}`);
  if (!(s.freeBits >= 0)) throw new Error(`free bits must be >= 0 nats, got ${s.freeBits}`);
  if (!(s.clipNorm >= 0)) throw new Error(`gradient clip must be >= 0, got ${s.clipNorm}`);
  if (!Number.isFinite(s.seed)) throw new Error(`seed must be a number, got ${s.seed}`);
}

function checkData(config: SeqModelConfig, data: SequenceDataset): void {
  if (config.vocabSize !== data.vocab.size || config.maxTokens !== data.maxTokens) {
    throw new Error(`model expects ${config.vocabSize} tokens x ${config.maxTokens} steps but data '${data.name}' has ${data.vocab.size} x ${data.maxTokens}`);
  }
}

export class SeqTrainer extends EpochTrainer<PartialEpoch, SeqEpochRecord, SeqTrainSettings> {
  private constructor(
    readonly model: SeqVaeModel,
    readonly adam: Adam,
    public rng: Rng,
    public settings: SeqTrainSettings,
    readonly data: SequenceDataset,
  ) {
    super(emptyPartial);
  }

  static create(config: SeqModelConfig, settings: SeqTrainSettings, data: SequenceDataset): SeqTrainer {
    validateSeqSettings(settings);
    checkData(config, data);
    const model = SeqVaeModel.create(config, settings.seed);
    return new SeqTrainer(model, new Adam(model.params, { lr: settings.lr }), new Rng(settings.seed), settings, data);
  }

  static resume(path: string, data: SequenceDataset, epochs?: number): SeqTrainer {
    const file = loadCheckpoint<SeqCheckpointMeta>(path);
    const { meta } = file;
    if (meta.format !== 'edgevae-seq-checkpoint') throw new Error(`checkpoint ${path}: not a sequence-model checkpoint`);
    checkSameData(path, meta, data.name, data.train.count, 'sequences');
    if (meta.symbols.join('\u0000') !== data.vocab.symbols.join('\u0000')) throw new Error(`checkpoint ${path}: the vocabulary of '${data.name}' changed since the checkpoint`);
    checkData(meta.config, data);
    return resumeRun(file, epochs, validateSeqSettings, (config, weights) => new SeqVaeModel(config, weights),
      (model, adam, rng, settings) => new SeqTrainer(model, adam, rng, settings, data));
  }

  get warmupSteps(): number {
    return Math.round(this.settings.klWarmupEpochs * this.batchesPerEpoch);
  }

  beta(): number {
    return annealedBeta(this.settings.beta, this.adam.step, this.warmupSteps, this.settings.klSchedule);
  }

  async save(path: string): Promise<void> {
    const tensors = await trainingTensors(await this.model.weights(), this.adam);
    const meta: SeqCheckpointMeta = this.checkpointMeta('edgevae-seq-checkpoint', this.model.config, {
      symbols: this.data.vocab.symbols,
      separator: this.data.separator,
    });
    saveCheckpoint(path, meta, tensors);
  }

  async run(opts: EpochRunOptions<SeqEpochRecord> = {}): Promise<{ interrupted: boolean }> {
    const T = this.data.maxTokens;
    const vars = this.model.variables();
    const names = this.model.specs.map((s) => s.name);
    const batch = new Int32Array(this.settings.batchSize * T);
    return runEpochs(this, {
      unit: 'seq',
      step: (order, start, size) => {
        for (let i = 0; i < size; i++) {
          const src = order[start + i];
          batch.set(this.data.train.tokens.subarray(src * T, (src + 1) * T), i * T);
        }
        return this.step(batch.subarray(0, size * T), size, this.beta(), vars, names);
      },
      accumulate: (p, r, size) => {
        p.recon += r.recon * size;
        p.kl += r.kl * size;
        p.correct += r.correct;
        p.tokens += r.tokens;
      },
      progressTail: (p) =>
        `loss ${((p.recon + p.kl) / p.count).toFixed(2)} KL ${(p.kl / p.count).toFixed(2)} acc ${(p.correct / p.tokens).toFixed(3)}`,
      record: async (p) => ({
        epoch: this.epoch + 1,
        train: { recon: p.recon / p.count, kl: p.kl / p.count, total: (p.recon + p.kl) / p.count, tokenAccuracy: p.correct / p.tokens },
        test: await this.evaluate(this.data.test),
        beta: this.beta(),
        seconds: p.seconds,
        sequencesPerSecond: p.count / p.seconds,
      }),
      emptyPartial,
      formatEpoch: formatSeqEpoch,
    }, opts);
  }

  private async step(targets: Int32Array, size: number, beta: number, vars: tf.Variable[], names: string[]) {
    const T = this.data.maxTokens;
    const L = this.model.config.latent;
    const inputs = makeDecoderInputs(targets, size, T, this.settings.wordDropout, this.rng);
    const eps = tf.tensor2d(this.rng.fillNormal(new Float32Array(size * L)), [size, L]);
    let kept: tf.Tensor[] = [];
    const { value, grads } = tf.variableGrads(() => {
      const terms = seqVaeLoss(this.model, targets, inputs, size, eps, { beta, freeBits: this.settings.freeBits, dropout: this.settings.wordDropout });
      kept = [tf.keep(terms.recon), tf.keep(terms.kl), tf.keep(tf.sum(terms.correct))];
      tf.dispose([terms.klPerDim, terms.mu]);
      return terms.objective;
    }, vars);
    const byName = new Map<string, tf.Tensor>();
    vars.forEach((v, i) => byName.set(names[i], grads[v.name]));
    const clipped = this.settings.clipNorm > 0 ? clipByGlobalNorm(byName, this.settings.clipNorm) : byName;
    this.adam.apply(clipped);
    const [recon, kl, correct] = await Promise.all(kept.map((t) => t.data()));
    tf.dispose([eps, value, ...Object.values(grads), ...kept]);
    if (clipped !== byName) tf.dispose([...clipped.values()]);
    let tokens = 0;
    for (let i = 0; i < targets.length; i++) if (targets[i] !== 0) tokens++;
    return { recon: recon[0], kl: kl[0], correct: correct[0], tokens };
  }

  /**
   * Held-out summary: one-sample ELBO with noise from a fixed seed (comparable across epochs),
   * teacher-forced token accuracy decoding from mu, active units from the variance of mu.
   */
  async evaluate(set: SequenceSet): Promise<SeqEvalSummary> {
    const T = this.data.maxTokens;
    const L = this.model.config.latent;
    const rng = new Rng(this.settings.seed + EVAL_SEED_OFFSET);
    let recon = 0;
    let kl = 0;
    let correct = 0;
    let tokens = 0;
    const klDims = new Float64Array(L);
    const muSum = new Float64Array(L);
    const muSq = new Float64Array(L);
    for (let start = 0; start < set.count; start += EVAL_BATCH) {
      const size = Math.min(EVAL_BATCH, set.count - start);
      const targets = set.tokens.subarray(start * T, (start + size) * T);
      const inputs = makeDecoderInputs(targets, size, T, 0, null);
      const eps = tf.tensor2d(rng.fillNormal(new Float32Array(size * L)), [size, L]);
      const opts = { beta: 1, freeBits: 0, dropout: 0 };
      const sampled = seqVaeLoss(this.model, targets, inputs, size, eps, opts);
      const fromMu = seqVaeLoss(this.model, targets, inputs, size, null, opts);
      recon += (await sampled.recon.data())[0] * size;
      kl += (await sampled.kl.data())[0] * size;
      const c = (await fromMu.correct.data()) as Float32Array;
      for (let i = 0; i < c.length; i++) correct += c[i];
      for (let i = 0; i < targets.length; i++) if (targets[i] !== 0) tokens++;
      const kd = (await sampled.klPerDim.data()) as Float32Array;
      const mu = (await sampled.mu.data()) as Float32Array;
      for (let i = 0; i < size; i++) for (let j = 0; j < L; j++) {
        klDims[j] += kd[i * L + j];
        muSum[j] += mu[i * L + j];
        muSq[j] += mu[i * L + j] ** 2;
      }
      tf.dispose([eps, ...Object.values(sampled), ...Object.values(fromMu)]);
    }
    const n = set.count;
    let active = 0;
    for (let j = 0; j < L; j++) if (muSq[j] / n - (muSum[j] / n) ** 2 > ACTIVE_UNIT_THRESHOLD) active++;
    return {
      recon: recon / n,
      kl: kl / n,
      total: (recon + kl) / n,
      nllPerToken: (recon + kl) / tokens,
      tokenAccuracy: correct / tokens,
      activeUnits: active,
      klPerDim: Array.from(klDims, (x) => x / n),
    };
  }

  dispose(): void {
    this.model.dispose();
    this.adam.dispose();
  }
}

/** Scales all gradients by min(1, maxNorm / ||g||) with ||g|| the norm of all of them together. */
export function clipByGlobalNorm(grads: Map<string, tf.Tensor>, maxNorm: number): Map<string, tf.Tensor> {
  const scale = tf.tidy(() => {
    const sq = tf.addN([...grads.values()].map((g) => tf.sum(tf.square(g))));
    return tf.div(maxNorm, tf.maximum(tf.sqrt(sq), maxNorm));
  });
  const out = new Map<string, tf.Tensor>();
  for (const [name, g] of grads) out.set(name, tf.mul(g, scale));
  scale.dispose();
  return out;
}

export function formatSeqEpoch(r: SeqEpochRecord, epochs: number): string {
  const t = r.test;
  return `epoch ${r.epoch}/${epochs} train ${r.train.total.toFixed(2)} (KL ${r.train.kl.toFixed(2)}, acc ${r.train.tokenAccuracy.toFixed(3)}) ` +
    `test ${t.total.toFixed(2)} nats/seq (recon ${t.recon.toFixed(2)} KL ${t.kl.toFixed(2)}, ${t.nllPerToken.toFixed(3)} nats/token) ` +
    `acc ${t.tokenAccuracy.toFixed(3)} active ${t.activeUnits}/${t.klPerDim.length} beta ${r.beta.toFixed(3)} | ${r.seconds.toFixed(1)} s, ${r.sequencesPerSecond.toFixed(0)} seq/s`;
}

function emptyPartial(): PartialEpoch {
  return { recon: 0, kl: 0, correct: 0, tokens: 0, count: 0, seconds: 0 };
}
