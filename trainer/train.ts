// The training loop for Node: train-loop.ts (browser-safe) with checkpoints read from and written to disk.
import { readFileSync } from 'node:fs';
import { writeFileAtomic } from '../runtime/atomic-write.js';
import { checkpointFiles, type CheckpointMeta } from './train-loop.js';
import { runValues } from './run-values.js';

checkpointFiles.read = (path) => readFileSync(path);
checkpointFiles.write = (path, bytes) => writeFileAtomic(path, bytes);

export * from './train-loop.js';

/** The flag values an image checkpoint stands for (the --resume agreement check). */
export function storedRunValues(meta: CheckpointMeta): Record<string, string | undefined> {
  const { config, settings, run } = meta;
  return {
    ...runValues(run),
    model: config.kind,
    widths: config.widths.join(','),
    latent: String(config.latent),
    batch: String(settings.batchSize),
    seed: String(settings.seed),
    beta: String(settings.beta),
    'kl-warmup': String(settings.klWarmupEpochs),
    recon: settings.recon,
    lr: String(settings.lr),
    ae: String(config.autoencoder),
  };
}
