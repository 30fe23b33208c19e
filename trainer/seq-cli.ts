// `edgevae train --model seq`: trains (or resumes) a sequence VAE and writes into --out the checkpoint,
// the three ONNX graphs (encoder, decoder init, decoder step), vocab.json, history.json and the report.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_CHOICES, backendLine, selectBackend, type BackendChoice } from './backend.js';
import { stderrProgress } from './progress.js';
import type { KlSchedule } from './seq-loss.js';
import { DEFAULT_SEQ_CONFIG, type CellKind, type SeqModelConfig } from './seq-model.js';
import { DEFAULT_SEQ_SETTINGS, SeqTrainer, storedSeqRunValues, validateSeqSettings, type SeqCheckpointMeta,
  type SeqTrainSettings } from './seq-train.js';
import { dataSourceKey, givenRunFlags, openRun, resumeCommand, resumingLine, withCtrlC, type RunDefinition } from './run-definition.js';
import { usageError } from '../cli/errors.js';
import { num, oneOf, positive } from '../cli/flag-values.js';
import { loadSequenceDataset } from './sequence-data.js';
import { compareWithBaseline, type BaselineComparison } from './seq-baseline.js';
import { writeFileAtomic } from '../runtime/atomic-write.js';

export const SEQ_CHECKPOINT_FILE = 'checkpoint.evck';
export const SEQ_VALUE_OPTIONS = ['cell', 'layers', 'hidden', 'embed', 'kl-schedule', 'word-dropout', 'free-bits', 'max-length'];
export const SEQ_FLAG_OPTIONS = ['bidirectional', 'baseline-lm'];

export const SEQ_TRAIN_HELP = `sequence VAE (--model seq): writes checkpoint.evck, encoder.onnx (tokens -> mu, logvar),
decoder-init.onnx (z -> state), decoder-step.onnx (token, state, z -> logits, state), vocab.json,
history.json, report.html and samples.txt
  --data SRC          words | fortunes | lines:FILE | midi:FOLDER                    (default words)
  --cell C            lstm | gru                                                     (default lstm)
  --layers N          recurrent layers in encoder and decoder                          (default 1)
  --hidden N          state size                                                     (default 256)
  --embed N           token embedding size                                            (default 64)
  --latent N          latent size                                                      (default 32)
  --bidirectional     bidirectional encoder
  --max-length N      longest sequence kept, in symbols    (default 16 words, 64 fortunes/lines)
  --kl-warmup E       epochs of KL annealing                                            (default 1)
  --kl-schedule S     sigmoid | linear                                            (default sigmoid)
  --word-dropout P    share of decoder input tokens replaced by <unk>               (default 0.3)
  --free-bits X       KL floor per latent dimension, nats                          (default 0.25)
  --lr X              Adam learning rate                                          (default 0.003)
  --baseline-lm       also train a plain language model of the decoder's size (no z) with the
                      same data and steps, and compare its held-out NLL with the VAE's bound
  (--epochs, --batch, --beta, --seed, --backend, --out, --resume, --limit-train, --limit-test,
   --no-export, --no-report as above)`;

interface Args {
  values: Map<string, string>;
  flags: Set<string>;
}

/** Flags that define a sequence run, for the --resume agreement check. */
const SEQ_RUN_FLAGS = [
  'data', 'limit-train', 'limit-test', 'max-length', 'model', 'cell', 'layers', 'hidden', 'embed', 'latent', 'bidirectional',
  'batch', 'seed', 'beta', 'kl-warmup', 'kl-schedule', 'word-dropout', 'free-bits', 'lr',
];




export interface SeqRunResult {
  out: string;
  interrupted: boolean;
  trainer: SeqTrainer;
}

export async function trainSeq(args: Args): Promise<SeqRunResult> {
  const dataFlag = args.values.get('data');
  const backend = oneOf<BackendChoice>(args, 'backend', BACKEND_CHOICES, 'auto');
  const out = args.values.get('out') ?? join('runs', `${(dataFlag ?? 'words').replace(/[^A-Za-z0-9_-]+/g, '_')}-seq`);
  const checkpointPath = join(out, SEQ_CHECKPOINT_FILE);
  const resume = args.flags.has('resume');
  const settings: SeqTrainSettings = {
    epochs: num(args, 'epochs', DEFAULT_SEQ_SETTINGS.epochs, true),
    batchSize: num(args, 'batch', DEFAULT_SEQ_SETTINGS.batchSize, true),
    lr: num(args, 'lr', DEFAULT_SEQ_SETTINGS.lr, false),
    beta: num(args, 'beta', DEFAULT_SEQ_SETTINGS.beta, false),
    klWarmupEpochs: num(args, 'kl-warmup', DEFAULT_SEQ_SETTINGS.klWarmupEpochs, false),
    klSchedule: oneOf<KlSchedule>(args, 'kl-schedule', ['sigmoid', 'linear'], DEFAULT_SEQ_SETTINGS.klSchedule),
    wordDropout: num(args, 'word-dropout', DEFAULT_SEQ_SETTINGS.wordDropout, false),
    freeBits: num(args, 'free-bits', DEFAULT_SEQ_SETTINGS.freeBits, false),
    clipNorm: DEFAULT_SEQ_SETTINGS.clipNorm,
    seed: num(args, 'seed', DEFAULT_SEQ_SETTINGS.seed, true),
  };
  const cell = oneOf<CellKind>(args, 'cell', ['lstm', 'gru'], DEFAULT_SEQ_CONFIG.cell);
  const shape = {
    layers: positive(args, 'layers') ?? DEFAULT_SEQ_CONFIG.layers,
    hidden: positive(args, 'hidden') ?? DEFAULT_SEQ_CONFIG.hidden,
    embed: positive(args, 'embed') ?? DEFAULT_SEQ_CONFIG.embed,
    latent: positive(args, 'latent') ?? DEFAULT_SEQ_CONFIG.latent,
  };
  const maxLength = positive(args, 'max-length');
  const limitTrain = positive(args, 'limit-train');
  const limitTest = positive(args, 'limit-test');
  for (const flag of ['compare-ae', 'ae']) if (args.flags.has(flag)) throw usageError(`--${flag} is for image models, not --model seq`);
  for (const opt of ['widths', 'recon']) if (args.values.has(opt)) throw usageError(`--${opt} is for image models, not --model seq`);
  try {
    validateSeqSettings(resume ? { ...settings, epochs: Math.max(1, settings.epochs) } : settings);
  } catch (e) {
    throw usageError((e as Error).message);
  }

  const stored = openRun<SeqCheckpointMeta>(checkpointPath, out, resume, givenRunFlags(args, SEQ_RUN_FLAGS), 'seq', storedSeqRunValues);
  // A resumed run takes its data, limits and length cap from the checkpoint (older checkpoints: from the flags).
  const definition: RunDefinition = stored?.run ??
    { data: stored ? (dataFlag ?? 'words') : dataSourceKey(dataFlag ?? 'words'), limitTrain, limitTest, maxLength };
  const data =
    loadSequenceDataset(definition.data,
      { maxLength: definition.maxLength, limitTrain: definition.limitTrain, limitTest: definition.limitTest });
  if (backend === 'webgpu') throw usageError(
    '--backend webgpu trains conv and MLP VAEs; sequence models use auto | cpu | wasm | tensorflow');
  const info = await selectBackend(backend, { webgpu: false });
  process.stderr.write(`${backendLine(info)}\n`);
  process.stderr.write(
    `data: ${data.name} (${data.kind}), ${data.train.count} train / ${data.test.count} held-out ` +
      `sequences, ${data.vocab.size} tokens, ${data.maxTokens} steps` +
    `${data.dropped ? `; ${data.dropped} longer sequences left out` : ''}\n`);

  let trainer: SeqTrainer;
  if (resume) {
    trainer = SeqTrainer.resume(checkpointPath, data, args.values.has('epochs') ? settings.epochs : undefined);
    process.stderr.write(resumingLine(trainer, definition));
  } else {
    const config: SeqModelConfig = {
      kind: 'seq', cell, ...shape, bidirectional: args.flags.has('bidirectional'), vocabSize: data.vocab.size, maxTokens: data.maxTokens,
    };
    trainer = SeqTrainer.create(config, settings, data);
    mkdirSync(out, { recursive: true });
  }
  // The effective length cap is stored, so a resumed run builds the same padded sequences.
  trainer.definition = { ...definition, maxLength: data.maxTokens - 1 };
  const cfg = trainer.model.config;
  process.stderr.write(
    `model: ${cfg.bidirectional ? 'bidirectional ' : ''}${cfg.cell} VAE, ${cfg.layers} x ${cfg.hidden}, embed ${cfg.embed}, ` +
      `latent ${cfg.latent}, ` +
    `${trainer.model.parameterCount()} parameters; ${trainer.settings.epochs} epochs x ${trainer.batchesPerEpoch} batches ` +
      `of ${trainer.settings.batchSize}\n`);

  const writeHistory = () => writeFileSync(join(out, 'history.json'), JSON.stringify(trainer.history, null, 2) + '\n');
  const { interrupted } =
    await withCtrlC((shouldStop) => trainer.run({ checkpointPath, progress: stderrProgress(), shouldStop, onEpoch: writeHistory }));
  if (interrupted) {
    process.stderr.write(`stopped; continue with: ${resumeCommand(out)}\n`);
    return { out, interrupted, trainer };
  }
  writeHistory();
  writeFileSync(join(out, 'vocab.json'),
    JSON.stringify({ tokens: data.vocab.tokens, separator: data.separator, kind: data.kind, maxTokens: data.maxTokens }, null, 2) + '\n');
  if (!args.flags.has('no-export')) {
    const { exportSeqOnnx } = await import('./export-seq-onnx.js');
    const files = await exportSeqOnnx(trainer.model, out);
    process.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  let baseline: BaselineComparison | undefined;
  if (args.flags.has('baseline-lm')) {
    process.stderr.write('training the baseline language model (same size, no z, same data and steps)\n');
    const { trainLanguageModel } = await import('./seq-lm.js');
    const lm =
      await trainLanguageModel(
        { cell: cfg.cell, layers: cfg.layers, hidden: cfg.hidden, embed: cfg.embed, vocabSize: cfg.vocabSize, maxTokens: cfg.maxTokens },
      trainer.settings, data, stderrProgress());
    baseline = compareWithBaseline(trainer.history[trainer.history.length - 1], lm);
    writeFileAtomic(join(out, 'baseline-lm.json'), JSON.stringify(baseline, null, 2) + '\n');
    process.stdout.write(
      `held-out NLL per token: VAE bound ${baseline.vaeNllPerToken.toFixed(4)}, LSTM LM ${baseline.lmNllPerToken.toFixed(4)} ` +
      `(VAE ${baseline.gapPercent >= 0 ? '+' : ''}${baseline.gapPercent.toFixed(1)} %)\n`);
  }
  if (!args.flags.has('no-report')) {
    const { writeSeqReport } = await import('./seq-report.js');
    const files = await writeSeqReport(trainer.model, data, trainer.history, trainer.settings, out, baseline);
    process.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  const last = trainer.history[trainer.history.length - 1];
  if (last) {
    process.stdout.write(
      `final held-out loss ${last.test.total.toFixed(2)} nats/sequence (recon ${last.test.recon.toFixed(2)}, ` +
        `KL ${last.test.kl.toFixed(2)}), ` +
      `token accuracy ${(100 * last.test.tokenAccuracy).toFixed(1)} %, ${last.test.activeUnits}/${cfg.latent} active units\n`);
  }
  return { out, interrupted, trainer };
}
