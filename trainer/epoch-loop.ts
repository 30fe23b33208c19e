// The epoch loop both trainers run (train-loop.ts for images, seq-train.ts for sequences): each epoch's data order
// from (seed, epoch), one optimizer step per minibatch with a divergence check and a progress line, a stop after any
// batch (checkpointed), and at the end of an epoch its record, a checkpoint, the epoch line and the onEpoch callback.
// What a step trains on and what an epoch records are the trainer's: they come in as EpochHooks.
// Browser-safe (the training page bundles it).
import type { RunProgress } from './checkpoint-codec.js';
import { formatDuration, silentProgress, type ProgressSink } from './progress.js';
import { shuffledIndices } from '../reference/random.js';

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

/** The trainer as the loop sees it: position, history, settings, checkpointing. */
export interface EpochTrainer<P extends EpochSums, R> extends RunProgress<P, R> {
  readonly settings: { epochs: number; batchSize: number; seed: number };
  readonly data: { train: { count: number } };
  readonly batchesPerEpoch: number;
  readonly adam: { step: number };
  save(path: string): Promise<void>;
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
