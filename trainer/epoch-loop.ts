// The epoch loop both trainers run (train-loop.ts for images, seq-train.ts for sequences): each epoch's data order
// from (seed, epoch), one optimizer step per minibatch with a divergence check and a progress line, a stop after any
// batch (checkpointed), and at the end of an epoch its record, a checkpoint, the epoch line and the onEpoch callback.
// What a step trains on and what an epoch records are the trainer's: they come in as EpochHooks.
// Browser-safe (the training page bundles it).
import { Adam } from './adam.js';
import {
  progressMeta, restoreAdam, restoreProgress, resumedSettings, tensorsUnder, type ProgressMeta, type ResumePoint, type RunProgress,
} from './checkpoint-codec.js';
import { formatDuration, silentProgress, type ProgressSink } from './progress.js';
import { Rng, shuffledIndices } from '../reference/random.js';
import type { RunDefinition } from './run-values.js';

export interface EpochRunOptions<R> {
  /** where to write the checkpoint (every epoch and on stop); none = no checkpoints */
  checkpointPath?: string;
  progress?: ProgressSink;
  /** polled after every batch; true = save and return */
  shouldStop?: () => boolean;
  /** called after each epoch's record is added; the loop waits for a returned promise (the page redraws its charts) */
  onEpoch?: (record: R) => void | Promise<void>;
}

/** The sums over an epoch's batches the loop itself keeps: samples done and seconds spent on them. */
export interface EpochSums {
  count: number;
  seconds: number;
}

/** The settings the loop reads. */
export interface LoopSettings {
  epochs: number;
  batchSize: number;
  seed: number;
}

/**
 * What both trainers keep of a run besides model and optimizer: its position, history and resume points (all
 * checkpointed) and the partial sums of the current epoch; the loop reads their settings and data size.
 */
export abstract class EpochTrainer<P extends EpochSums, R, S extends LoopSettings = LoopSettings> implements RunProgress<P, R> {
  epoch = 0;
  batchInEpoch = 0;
  history: R[] = [];
  /** stored in the checkpoint so --resume can restore the data and limits (and a sequence run's length cap) */
  definition?: RunDefinition;
  resumes: ResumePoint[] = [];
  /** sums over the batches of the current epoch */
  partial: P;
  abstract readonly settings: S;
  abstract readonly data: { name: string; train: { count: number } };
  abstract readonly adam: Adam;
  abstract readonly rng: Rng;

  protected constructor(emptyPartial: () => P) {
    this.partial = emptyPartial();
  }

  get batchesPerEpoch(): number {
    return Math.ceil(this.data.train.count / this.settings.batchSize);
  }

  get done(): boolean {
    return this.epoch >= this.settings.epochs;
  }

  abstract save(path: string): Promise<void>;

  /** A checkpoint's meta: format, model config, settings, dataset, `extra`, training-set size, then the run's progress. */
  protected checkpointMeta<F extends string, C, X extends object>(format: F, config: C, extra: X) {
    return {
      format,
      config,
      settings: this.settings,
      dataset: this.data.name,
      ...extra,
      trainCount: this.data.train.count,
      ...progressMeta(this, this.adam.step, this.rng.state()),
    };
  }
}

/**
 * Continues a run from a decoded checkpoint: its settings (`epochs` may extend them), the model from its `param/`
 * tensors, Adam with its moments, the noise generator and the position; `makeTrainer` puts the parts together.
 */
export function resumeRun<C, S extends LoopSettings & { lr: number }, M extends { params: ConstructorParameters<typeof Adam>[0] },
  P extends EpochSums, R, T extends EpochTrainer<P, R, S>>(
  file: { meta: ProgressMeta<P, R> & { config: C; settings: S }; tensors: Map<string, Float32Array> }, epochs: number | undefined,
  validate: (s: S) => void, makeModel: (config: C, weights: Map<string, Float32Array>) => M,
  makeTrainer: (model: M, adam: Adam, rng: Rng, settings: S) => T,
): T {
  const { meta, tensors } = file;
  const settings = resumedSettings(meta.settings, epochs, validate);
  const model = makeModel(meta.config, tensorsUnder(tensors, 'param/'));
  const adam = new Adam(model.params, { lr: settings.lr });
  restoreAdam(adam, meta.step, tensors);
  const t = makeTrainer(model, adam, Rng.fromState(meta.rng), settings);
  restoreProgress(t, meta);
  return t;
}

export interface EpochHooks<P extends EpochSums, S extends { recon: number; kl: number }, R> {
  /** shown as `<unit>/s` in the progress line */
  unit: string;
  /** One optimizer step on the training samples order[start .. start + size). */
  step(order: Uint32Array, start: number, size: number): Promise<S>;
  /** Adds a step's results to the partial sums (count and seconds are the loop's). */
  accumulate(p: P, s: S, size: number): void;
  /** The progress line after its ETA. */
  progressTail(p: P): string;
  /** The record of the epoch that just ended (evaluates on the test set). */
  record(p: P): Promise<R>;
  emptyPartial(): P;
  formatEpoch(r: R, epochs: number): string;
  /** Runs before every return (the image trainer pulls its weights back from the engine). */
  settle?(): Promise<void>;
}

/** Seed of epoch e's data order: a hash of (seed, e), so resuming only needs e. */
export function epochOrderSeed(seed: number, epoch: number): number {
  let h = Math.imul((seed >>> 0) ^ 0x9e3779b9, 0x85ebca6b) >>> 0;
  h = Math.imul(h ^ (epoch + 1), 0xc2b2ae35) >>> 0;
  return (h ^ (h >>> 16)) >>> 0;
}

/** Lets timers and signal handlers (Ctrl-C) run: tensor reads may resolve as microtasks only. */
const yieldToEventLoop: () => Promise<void> = typeof setImmediate === 'function'
  ? () => new Promise((resolve) => setImmediate(resolve))
  : () => new Promise((resolve) => setTimeout(resolve, 0));

/** Trains until settings.epochs are done or shouldStop() says so. Returns whether it was stopped early. */
export async function runEpochs<P extends EpochSums, S extends { recon: number; kl: number }, R>(
  t: EpochTrainer<P, R>, hooks: EpochHooks<P, S, R>, opts: EpochRunOptions<R>,
): Promise<{ interrupted: boolean }> {
  const progress = opts.progress ?? silentProgress;
  const { batchSize, epochs } = t.settings;
  const n = t.data.train.count;
  const finish = async (interrupted: boolean) => {
    await hooks.settle?.();
    return { interrupted };
  };
  while (t.epoch < epochs) {
    const order = shuffledIndices(n, epochOrderSeed(t.settings.seed, t.epoch));
    for (let b = t.batchInEpoch; b < t.batchesPerEpoch; b++) {
      const t0 = performance.now();
      const start = b * batchSize;
      const size = Math.min(batchSize, n - start);
      const s = await hooks.step(order, start, size);
      if (!Number.isFinite(s.recon) || !Number.isFinite(s.kl)) {
        throw new Error(`training diverged at epoch ${t.epoch + 1}, step ${t.adam.step}: loss is ${s.recon + s.kl}`);
      }
      const p = t.partial;
      hooks.accumulate(p, s, size);
      p.count += size;
      p.seconds += (performance.now() - t0) / 1000;
      t.batchInEpoch = b + 1;
      await yieldToEventLoop();
      const rate = p.count / p.seconds;
      const eta = formatDuration((n - p.count) / rate);
      progress.update(p.count, n, `epoch ${t.epoch + 1}/${epochs} ${rate.toFixed(0)} ${hooks.unit}/s ETA ${eta} ${hooks.progressTail(p)}`);
      if (opts.shouldStop?.() && t.batchInEpoch < t.batchesPerEpoch) {
        if (opts.checkpointPath) await t.save(opts.checkpointPath);
        progress.line(
          `stopped in epoch ${t.epoch + 1} after ` +
            `batch ${t.batchInEpoch}/${t.batchesPerEpoch}${opts.checkpointPath ? `; checkpoint ${opts.checkpointPath}` : ''}`);
        return finish(true);
      }
    }
    const record = await hooks.record(t.partial);
    t.history.push(record);
    t.epoch += 1;
    t.batchInEpoch = 0;
    t.partial = hooks.emptyPartial();
    if (opts.checkpointPath) await t.save(opts.checkpointPath);
    progress.line(hooks.formatEpoch(record, epochs));
    await opts.onEpoch?.(record);
    if (opts.shouldStop?.() && t.epoch < epochs) return finish(true);
  }
  return finish(false);
}
