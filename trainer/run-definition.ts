// What defines a training run beyond the model config and the settings: the data and its limits.
// The checkpoint stores it so `edgevae train --out DIR --resume` needs no other flag, and a flag given
// with --resume that contradicts the stored run is refused instead of silently training something else.
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import type { CheckpointMeta } from './train.js';

export interface RunDefinition {
  /** dataset name (fashion-mnist, mnist) or the absolute path of the data file/folder */
  data: string;
  limitTrain?: number;
  limitTest?: number;
}

/** A data source as stored: named datasets stay names, paths become absolute (resume works from any folder). */
export function dataSourceKey(source: string): string {
  return source !== 'fashion-mnist' && source !== 'mnist' && existsSync(source) ? resolve(source) : source;
}

/** Flags of `edgevae train` that define the run, with the stored value each one must equal. */
function storedValues(meta: CheckpointMeta): Record<string, string | undefined> {
  const { config, settings, run } = meta;
  return {
    ...(run ? { data: run.data, 'limit-train': run.limitTrain?.toString(), 'limit-test': run.limitTest?.toString() } : {}),
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

function sameValue(flag: string, given: string, stored: string | undefined): boolean {
  if (stored === undefined) return false; // e.g. --limit-train given, the run used all images
  if (flag === 'data') return dataSourceKey(given) === stored;
  if (flag === 'model' || flag === 'recon' || flag === 'ae') return given === stored;
  if (flag === 'widths') return given.split(',').map(Number).join(',') === stored;
  return Number(given) === Number(stored);
}

/**
 * "--limit-train 500 (the run has 128)" for every run-defining flag in `given` that differs from the
 * checkpoint. `given` maps flag names to their raw values ('true' for --ae).
 */
export function resumeConflicts(given: Map<string, string>, meta: CheckpointMeta): string[] {
  const stored = storedValues(meta);
  const out: string[] = [];
  for (const [flag, value] of given) {
    if (!Object.hasOwn(stored, flag)) continue;
    if (!sameValue(flag, value, stored[flag])) {
      const was = stored[flag] === undefined ? 'none' : stored[flag];
      out.push(flag === 'ae' ? `--ae (the run is ${meta.config.autoencoder ? 'an autoencoder' : 'a VAE'})` : `--${flag} ${value} (the run has ${was})`);
    }
  }
  return out;
}
