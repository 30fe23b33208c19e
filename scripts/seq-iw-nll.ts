// Importance-weighted NLL bound of a trained sequence VAE on its held-out set (trainer/seq-iw-nll.ts):
//   tsx scripts/seq-iw-nll.ts RUN_DIR [--samples K] [--seed N] [--limit-test N]
// RUN_DIR holds the checkpoint.evck of `edgevae train --model seq`; the data, limits and length cap come
// from it, so the held-out set is the one the run's baseline-lm.json was measured on.
import { join } from 'node:path';
import { selectBackend } from '../trainer/backend.js';
import { loadCheckpoint, tensorsUnder } from '../trainer/checkpoint.js';
import { SEQ_CHECKPOINT_FILE } from '../trainer/seq-cli.js';
import { importanceWeightedNll } from '../trainer/seq-iw-nll.js';
import { SeqVaeModel } from '../trainer/seq-model.js';
import type { SeqCheckpointMeta } from '../trainer/seq-train.js';
import { loadSequenceDataset } from '../trainer/sequence-data.js';

function fail(message: string): never {
  process.stderr.write(`seq-iw-nll: ${message}\n`);
  process.exit(2);
}

const args = process.argv.slice(2);
const dir = args.find((a, i) => !a.startsWith('--') && !args[i - 1]?.startsWith('--'));
if (!dir) fail('usage: tsx scripts/seq-iw-nll.ts RUN_DIR [--samples K] [--seed N] [--limit-test N]');
const option = (name: string, fallback: number): number => {
  const i = args.indexOf(`--${name}`);
  if (i < 0) return fallback;
  const v = Number(args[i + 1]);
  if (!Number.isInteger(v) || v < 1) fail(`--${name} needs a positive integer, got '${args[i + 1] ?? ''}'`);
  return v;
};
const samples = option('samples', 10);
const seed = option('seed', 1);
const limitTest = args.includes('--limit-test') ? option('limit-test', 0) : undefined;

const { meta, tensors } = loadCheckpoint<SeqCheckpointMeta>(join(dir, SEQ_CHECKPOINT_FILE));
if (meta.format !== 'edgevae-seq-checkpoint') fail(`${dir}: not a sequence-model checkpoint`);
// (checkpoints older than the stored run definition: the named dataset, the length cap from the model)
const source = meta.run?.data ?? meta.dataset;
const data = loadSequenceDataset(source, { maxLength: meta.config.maxTokens - 1, limitTest: limitTest ?? meta.run?.limitTest });
if (data.vocab.symbols.join('\u0000') !== meta.symbols.join('\u0000')) {
  fail(`${dir}: the vocabulary of '${source}' changed since the checkpoint`);
}
await selectBackend('wasm', { fastKernels: true });
const model = new SeqVaeModel(meta.config, tensorsUnder(tensors, 'param/'));
const t0 = performance.now();
const r = importanceWeightedNll(model, data.test, samples, seed);
process.stdout.write(
  `${dir}: ${data.test.count} held-out sequences, ${r.tokens} tokens, K = ${samples}: ` +
    `${r.perSequence.toFixed(3)} nats/sequence, ${r.perToken.toFixed(4)} nats/token ` +
    `(${((performance.now() - t0) / 1000).toFixed(0)} s)\n`);
