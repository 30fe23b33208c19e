// `edgevae train --model seq`: trains (or resumes) a sequence VAE and writes into --out the checkpoint,
// the three ONNX graphs (encoder, decoder init, decoder step), vocab.json, history.json and the report.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_CHOICES, backendLine, selectBackend, type BackendChoice } from './backend.js';
import { stderrProgress } from './progress.js';
import type { KlSchedule } from './seq-loss.js';
import { DEFAULT_SEQ_CONFIG, type CellKind, type SeqModelConfig } from './seq-model.js';
import { DEFAULT_SEQ_SETTINGS, SeqTrainer, validateSeqSettings, type SeqTrainSettings } from './seq-train.js';
import { loadSequenceDataset } from './sequence-data.js';
import { usageError } from '../cli/errors.js';

export const SEQ_CHECKPOINT_FILE = 'checkpoint.evck';
export const SEQ_VALUE_OPTIONS = ['cell', 'layers', 'hidden', 'embed', 'kl-schedule', 'word-dropout', 'free-bits', 'max-length'];
export const SEQ_FLAG_OPTIONS = ['bidirectional'];

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
  (--epochs, --batch, --beta, --seed, --backend, --out, --resume, --limit-train, --limit-test,
   --no-export, --no-report as above)`;

interface Args {
  values: Map<string, string>;
  flags: Set<string>;
}

function num(args: Args, name: string, fallback: number, integer: boolean): number {
  const raw = args.values.get(name);
  if (raw === undefined) return fallback;
  const v = Number(raw);
  if (raw.trim() === '' || !Number.isFinite(v) || (integer && !Number.isInteger(v))) {
    throw new Error(`--${name}: expected ${integer ? 'an integer' : 'a number'}, got '${raw}'`);
  }
  return v;
}

function oneOf<T extends string>(args: Args, name: string, choices: readonly T[], fallback: T): T {
  const raw = args.values.get(name) ?? fallback;
  if (!(choices as readonly string[]).includes(raw)) throw new Error(`--${name}: expected ${choices.join(' | ')}, got '${raw}'`);
  return raw as T;
}

export interface SeqRunResult {
  out: string;
  interrupted: boolean;
  trainer: SeqTrainer;
}

export async function trainSeq(args: Args): Promise<SeqRunResult> {
  const dataSource = args.values.get('data') ?? 'words';
  const backend = oneOf<BackendChoice>(args, 'backend', BACKEND_CHOICES, 'auto');
  const out = args.values.get('out') ?? join('runs', `${dataSource.replace(/[^A-Za-z0-9_-]+/g, '_')}-seq`);
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
    layers: num(args, 'layers', DEFAULT_SEQ_CONFIG.layers, true),
    hidden: num(args, 'hidden', DEFAULT_SEQ_CONFIG.hidden, true),
    embed: num(args, 'embed', DEFAULT_SEQ_CONFIG.embed, true),
    latent: num(args, 'latent', DEFAULT_SEQ_CONFIG.latent, true),
  };
  for (const [name, v] of Object.entries(shape)) if (v < 1) throw new Error(`--${name}: must be a positive integer, got ${v}`);
  const maxLength = args.values.has('max-length') ? num(args, 'max-length', 0, true) : undefined;
  if (maxLength !== undefined && maxLength < 1) throw new Error(`--max-length: must be a positive integer, got ${maxLength}`);
  const limitTrain = args.values.has('limit-train') ? num(args, 'limit-train', 0, true) : undefined;
  const limitTest = args.values.has('limit-test') ? num(args, 'limit-test', 0, true) : undefined;
  for (const flag of ['compare-ae', 'ae']) if (args.flags.has(flag)) throw new Error(`--${flag} is for image models, not --model seq`);
  for (const opt of ['widths', 'recon']) if (args.values.has(opt)) throw new Error(`--${opt} is for image models, not --model seq`);

  validateSeqSettings(resume ? { ...settings, epochs: Math.max(1, settings.epochs) } : settings);
  if (resume && !existsSync(checkpointPath)) throw new Error(`--resume: no checkpoint at ${checkpointPath}`);
  if (!resume && existsSync(checkpointPath)) throw new Error(`${checkpointPath} exists: pass --resume to continue that run, or choose another --out`);
  const data = loadSequenceDataset(dataSource, { maxLength, limitTrain, limitTest });
  if (backend === 'webgpu') throw usageError('--backend webgpu trains conv and MLP VAEs; sequence models use auto | cpu | wasm | tensorflow');
  const info = await selectBackend(backend, { webgpu: false });
  process.stderr.write(`${backendLine(info)}\n`);
  process.stderr.write(`data: ${data.name} (${data.kind}), ${data.train.count} train / ${data.test.count} held-out sequences, ${data.vocab.size} tokens, ${data.maxTokens} steps` +
    `${data.dropped ? `; ${data.dropped} longer sequences left out` : ''}\n`);

  let trainer: SeqTrainer;
  if (resume) {
    const fixed = ['cell', 'layers', 'hidden', 'embed', 'latent', 'beta', 'kl-warmup', 'kl-schedule', 'word-dropout', 'free-bits', 'batch', 'lr', 'seed'].filter((k) => args.values.has(k));
    if (args.flags.has('bidirectional')) fixed.push('bidirectional');
    if (fixed.length) process.stderr.write(`--resume: using the checkpoint's settings; ignoring ${fixed.map((k) => `--${k}`).join(', ')}\n`);
    trainer = SeqTrainer.resume(checkpointPath, data, args.values.has('epochs') ? settings.epochs : undefined);
    process.stderr.write(`resuming at epoch ${trainer.epoch + 1}, batch ${trainer.batchInEpoch + 1} (step ${trainer.adam.step})\n`);
  } else {
    const config: SeqModelConfig = {
      kind: 'seq', cell, ...shape, bidirectional: args.flags.has('bidirectional'), vocabSize: data.vocab.size, maxTokens: data.maxTokens,
    };
    trainer = SeqTrainer.create(config, settings, data);
    mkdirSync(out, { recursive: true });
  }
  const cfg = trainer.model.config;
  process.stderr.write(`model: ${cfg.bidirectional ? 'bidirectional ' : ''}${cfg.cell} VAE, ${cfg.layers} x ${cfg.hidden}, embed ${cfg.embed}, latent ${cfg.latent}, ` +
    `${trainer.model.parameterCount()} parameters; ${trainer.settings.epochs} epochs x ${trainer.batchesPerEpoch} batches of ${trainer.settings.batchSize}\n`);

  let stop = false;
  const onSigint = () => {
    if (stop) process.exit(130);
    stop = true;
    process.stderr.write('\nstopping after this batch (Ctrl-C again to quit without saving)\n');
  };
  process.on('SIGINT', onSigint);
  const writeHistory = () => writeFileSync(join(out, 'history.json'), JSON.stringify(trainer.history, null, 2) + '\n');
  let interrupted: boolean;
  try {
    ({ interrupted } = await trainer.run({ checkpointPath, progress: stderrProgress(), shouldStop: () => stop, onEpoch: writeHistory }));
  } finally {
    process.off('SIGINT', onSigint);
  }
  if (interrupted) {
    process.stderr.write(`stopped; continue with: edgevae train --model seq --data ${dataSource} --out ${out} --resume\n`);
    return { out, interrupted, trainer };
  }
  writeHistory();
  writeFileSync(join(out, 'vocab.json'), JSON.stringify({ tokens: data.vocab.tokens, separator: data.separator, kind: data.kind, maxTokens: data.maxTokens }, null, 2) + '\n');
  if (!args.flags.has('no-export')) {
    const { exportSeqOnnx } = await import('./export-seq-onnx.js');
    const files = await exportSeqOnnx(trainer.model, out);
    process.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  if (!args.flags.has('no-report')) {
    const { writeSeqReport } = await import('./seq-report.js');
    const files = await writeSeqReport(trainer.model, data, trainer.history, trainer.settings, out);
    process.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  const last = trainer.history[trainer.history.length - 1];
  if (last) {
    process.stdout.write(`final held-out loss ${last.test.total.toFixed(2)} nats/sequence (recon ${last.test.recon.toFixed(2)}, KL ${last.test.kl.toFixed(2)}), ` +
      `token accuracy ${(100 * last.test.tokenAccuracy).toFixed(1)} %, ${last.test.activeUnits}/${cfg.latent} active units\n`);
  }
  return { out, interrupted, trainer };
}
