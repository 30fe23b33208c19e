// The training loop: minibatch Adam on the negative ELBO, per-epoch train/test losses, a checkpoint
// after every epoch (and when asked to stop), and exact resumption from any checkpoint.
// Exactness: the data order of epoch e depends only on (seed, e); the noise comes from one seeded
// generator whose state is checkpointed; weights and Adam moments are stored as float32 bit patterns.
// Browser-safe (the training page bundles it): checkpoint files come through `checkpointFiles`, which
// train.ts points at the file system in Node; the steps run on a TrainEngine (train-step.ts).
import { Adam } from './adam.js';
import './register-gradients.js';
import {
  checkSameData, decodeCheckpoint, encodeCheckpoint, trainingTensors,
  type CheckpointFile, type ProgressMeta, type ResumePoint,
} from './checkpoint-codec.js';
import type { Dataset, ImageSet } from '../data/datasets.js';
import { vaeLoss, warmedBeta, type ReconKind } from './loss.js';
import { VaeModel, type ModelConfig } from './models.js';
import { epochOrderSeed, EpochTrainer, resumeRun, runEpochs, type EpochRunOptions } from './epoch-loop.js';
import { Rng } from '../reference/random.js';
import { LocalEngine, type TrainEngine } from './train-step.js';

/** Where checkpoint bytes are read and written (train.ts sets the Node file system). */
export const checkpointFiles = {
  read(path: string): Uint8Array {
    throw new Error(`checkpoint ${path}: no file system here`);
  },
  write(path: string, _bytes: Uint8Array): void {
    throw new Error(`checkpoint ${path}: no file system here`);
  },
};

export interface TrainSettings {
  epochs: number;
  batchSize: number;
  lr: number;
  beta: number;
  /** epochs over which beta rises linearly from 0 (0 = off) */
  klWarmupEpochs: number;
  recon: ReconKind;
  /** Gaussian reconstruction only: fixed pixel standard deviation */
  sigma: number;
  seed: number;
}

export const DEFAULT_SETTINGS: TrainSettings = {
  epochs: 10, batchSize: 128, lr: 1e-3, beta: 1, klWarmupEpochs: 0, recon: 'bernoulli', sigma: 0.1, seed: 1,
};

/** Per-sample means in nats. total = recon + KL (the negative ELBO, whatever beta is). */
export interface LossSummary {
  recon: number;
  kl: number;
  total: number;
}

export interface EpochRecord {
  epoch: number;
  train: LossSummary;
  test: LossSummary;
  /** beta in effect at the end of the epoch */
  beta: number;
  seconds: number;
  imagesPerSecond: number;
}

interface PartialEpoch {
  recon: number;
  kl: number;
  total: number;
  count: number;
  seconds: number;
}

export interface CheckpointMeta extends ProgressMeta<PartialEpoch, EpochRecord> {
  format: 'edgevae-checkpoint';
  config: ModelConfig;
  settings: TrainSettings;
  dataset: string;
  /** training images; a resumed run must see the same set for the data order to repeat */
  trainCount: number;
}

export type { ResumePoint };

export type RunOptions = EpochRunOptions<EpochRecord>;
export { epochOrderSeed };

const EVAL_BATCH = 500;
const EVAL_SEED_OFFSET = 0x7e57;

export function validateSettings(s: TrainSettings): void {
  const positiveInt = (name: string, v: number) => {
    if (!Number.isInteger(v) || v < 1) throw new Error(`${name} must be a positive integer, got ${v}`);
  };
  positiveInt('epochs', s.epochs);
  positiveInt('batch size', s.batchSize);
  if (!(s.lr > 0)) throw new Error(`learning rate must be > 0, got ${s.lr}`);
  if (!(s.beta >= 0)) throw new Error(`beta must be >= 0, got ${s.beta}`);
  if (!(s.klWarmupEpochs >= 0)) throw new Error(`KL warm-up must be >= 0 epochs, got ${s.klWarmupEpochs}`);
  if (s.recon !== 'bernoulli' && s.recon !== 'gaussian') throw new Error(`reconstruction must be bernoulli or gaussian, got ${s.recon}`);
  if (!Number.isFinite(s.seed)) throw new Error(`seed must be a number, got ${s.seed}`);
}

export class Trainer extends EpochTrainer<PartialEpoch, EpochRecord, TrainSettings> {
  /** runs the steps; the local one unless useEngine() swapped in another (e.g. WebGPU in Chromium) */
  engine: TrainEngine;

  private constructor(
    readonly model: VaeModel,
    readonly adam: Adam,
    public rng: Rng,
    public settings: TrainSettings,
    readonly data: Dataset,
  ) {
    super(emptyPartial);
    this.engine = new LocalEngine(model, adam, { recon: settings.recon, sigma: settings.sigma });
  }

  /** Runs the steps on `engine` from now on; it must start from this trainer's weights and optimizer state. */
  useEngine(engine: TrainEngine): void {
    this.engine = engine;
  }

  /** Continues the run stored in `path`; `epochs` may extend it. */
  static resume(path: string, data: Dataset, epochs?: number): Trainer {
    let bytes: Uint8Array;
    try {
      bytes = checkpointFiles.read(path);
    } catch (e) {
      throw new Error(`checkpoint ${path}: cannot read (${(e as Error).message})`);
    }
    return Trainer.fromCheckpoint(decodeCheckpoint<CheckpointMeta>(bytes, path), data, epochs, path);
  }

  /** Continues the run stored in a decoded checkpoint; `epochs` may extend it. */
  static fromCheckpoint(file: CheckpointFile<CheckpointMeta>, data: Dataset, epochs?: number, path = '<checkpoint>'): Trainer {
    const { meta } = file;
    if (meta.format !== 'edgevae-checkpoint') throw new Error(`checkpoint ${path}: not a training checkpoint`);
    checkSameData(path, meta, data.name, data.train.count, 'images');
    checkShape(meta.config, data);
    return resumeRun(file, epochs, validateSettings, (config, weights) => new VaeModel(config, weights),
      (model, adam, rng, settings) => new Trainer(model, adam, rng, settings, data));
  }

  static create(config: ModelConfig, settings: TrainSettings, data: Dataset): Trainer {
    validateSettings(settings);
    checkShape(config, data);
    const model = VaeModel.create(config, settings.seed);
    return new Trainer(model, new Adam(model.params, { lr: settings.lr }), new Rng(settings.seed), settings, data);
  }

  async save(path: string): Promise<void> {
    checkpointFiles.write(path, await this.checkpoint());
  }

  /** The run's state as checkpoint bytes (weights, Adam, position, RNG, history). */
  async checkpoint(): Promise<Uint8Array> {
    await this.engine.pull();
    const tensors = await trainingTensors(await this.model.weights(), this.adam);
    const meta: CheckpointMeta = this.checkpointMeta('edgevae-checkpoint', this.model.config, {});
    return encodeCheckpoint(meta, tensors);
  }

  /** Trains until settings.epochs are done or shouldStop() says so. Returns whether it was stopped early. */
  async run(opts: RunOptions = {}): Promise<{ interrupted: boolean }> {
    const per = pixelsPer(this.data);
    const L = this.model.config.latent;
    const warmupSteps = Math.round(this.settings.klWarmupEpochs * this.batchesPerEpoch);
    const batchBuf = new Float32Array(this.settings.batchSize * per);
    return runEpochs(this, {
      unit: 'img',
      step: async (order, start, size) => {
        for (let i = 0; i < size; i++) {
          const src = order[start + i];
          batchBuf.set(this.data.train.images.subarray(src * per, (src + 1) * per), i * per);
        }
        const beta = warmedBeta(this.settings.beta, this.adam.step, warmupSteps);
        const eps = this.model.config.autoencoder ? null : this.rng.fillNormal(new Float32Array(size * L));
        const [recon, kl] = await this.engine.step(batchBuf, size, eps, beta);
        return { recon, kl };
      },
      accumulate: (p, { recon, kl }, size) => {
        p.recon += recon * size;
        p.kl += kl * size;
        p.total += (recon + kl) * size;
      },
      progressTail: (p) => `loss ${(p.total / p.count).toFixed(2)}`,
      record: async (p) => ({
        epoch: this.epoch + 1,
        train: { recon: p.recon / p.count, kl: p.kl / p.count, total: p.total / p.count },
        test: await this.evaluate(this.data.test),
        beta: warmedBeta(this.settings.beta, this.adam.step, warmupSteps),
        seconds: p.seconds,
        imagesPerSecond: p.count / p.seconds,
      }),
      emptyPartial,
      formatEpoch,
      settle: () => this.engine.pull(),
    }, opts);
  }

  /** One-sample ELBO estimate over a whole set, with noise from a fixed seed (comparable across epochs). */
  async evaluate(set: ImageSet): Promise<LossSummary> {
    const [H, W, C] = this.data.shape;
    const per = H * W * C;
    const L = this.model.config.latent;
    const rng = new Rng(this.settings.seed + EVAL_SEED_OFFSET);
    let recon = 0;
    let kl = 0;
    for (let start = 0; start < set.count; start += EVAL_BATCH) {
      const size = Math.min(EVAL_BATCH, set.count - start);
      const eps = this.model.config.autoencoder ? null : rng.fillNormal(new Float32Array(size * L));
      const [r, k] = await this.engine.evaluate(set.images.subarray(start * per, (start + size) * per), size, eps);
      recon += r * size;
      kl += k * size;
    }
    return { recon: recon / set.count, kl: kl / set.count, total: (recon + kl) / set.count };
  }

  dispose(): void {
    this.model.dispose();
    this.adam.dispose();
  }
}

export function formatEpoch(r: EpochRecord, epochs: number): string {
  const f = (s: LossSummary) => `${s.total.toFixed(2)} (recon ${s.recon.toFixed(2)} kl ${s.kl.toFixed(2)})`;
  return `epoch ${r.epoch}/${epochs} train ${f(r.train)} test ${f(r.test)} nats ` +
    `| ${r.seconds.toFixed(1)} s, ${r.imagesPerSecond.toFixed(0)} img/s`;
}

function emptyPartial(): PartialEpoch {
  return { recon: 0, kl: 0, total: 0, count: 0, seconds: 0 };
}

function pixelsPer(data: Dataset): number {
  return data.shape[0] * data.shape[1] * data.shape[2];
}

function checkShape(config: ModelConfig, data: Dataset): void {
  if (config.inputShape.join('x') !== data.shape.join('x')) {
    throw new Error(`model expects images ${config.inputShape.join('x')} (HxWxC) but dataset '${data.name}' has ${data.shape.join('x')}`);
  }
}
