// `edgevae train`: parses options, picks a backend, trains (or resumes) a VAE, then writes the ONNX
// encoder/decoder and the training report into --out. Ctrl-C saves a checkpoint and stops; running the
// same command with --resume continues exactly where it stopped.
import { mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { BACKEND_CHOICES, backendLine, selectBackend, type BackendChoice, type BackendInfo } from './backend.js';
import { loadDataset } from '../data/datasets.js';
import { defaultConfig, type ModelConfig, type ModelKind, type VaeModel } from './models.js';
import { stderrProgress } from './progress.js';
import { plural } from './plural.js';
import { DEFAULT_SETTINGS, storedRunValues, Trainer, validateSettings, type CheckpointMeta, type TrainSettings } from './train.js';
import { dataSourceKey, givenRunFlags, openRun, resumeCommand, resumingLine, storedRunKind, withCtrlC, type RunDefinition } from './run-definition.js';
import { UserError, usageError } from '../cli/errors.js';
import { num, oneOf, positive } from '../cli/flag-values.js';
import { slowPathNotice } from './slow-path.js';
import { SEQ_FLAG_OPTIONS, SEQ_TRAIN_HELP, SEQ_VALUE_OPTIONS, trainSeq } from './seq-cli.js';

export const CHECKPOINT_FILE = 'checkpoint.evck';

export const TRAIN_HELP = `usage: edgevae train [options]

Trains a variational autoencoder with TensorFlow.js and writes, into --out:
  checkpoint.evck   weights + optimizer state (every epoch; --resume continues from it)
  encoder.onnx      x [N,C,H,W] -> mu [N,L], logvar [N,L]   (autoencoder: mu only)
  decoder.onnx      z [N,L] -> x [N,C,H,W]
  report.html       loss curves, reconstructions, samples, interpolation (+ the same pictures as PNG)
  history.json      per-epoch train/test losses in nats per sample

options:
  --data SRC          fashion-mnist | mnist | folder of IDX or PNG files | IDX file   (default fashion-mnist)
  --model KIND        conv | mlp | seq (sequence VAE, options below)                 (default conv)
  --epochs N          epochs to train (with --resume: the new total)               (default 10)
  --latent N          latent size                                   (default 16 conv, 20 mlp)
  --widths A,B        conv channel widths or mlp hidden sizes       (default 32,64 conv, 400 mlp)
  --beta X            KL weight (beta-VAE)                                           (default 1)
  --kl-warmup E       epochs over which beta rises linearly from 0                    (default 0)
  --ae                plain autoencoder: no sampling, no KL
  --recon KIND        bernoulli | gaussian                                   (default bernoulli)
  --batch N           batch size                                                   (default 128)
  --lr X              Adam learning rate                                          (default 0.001)
  --seed N            seed of initialization, data order and noise                   (default 1)
  --backend B         auto | cpu | wasm | tensorflow | webgpu                     (default auto)
                      webgpu: tfjs-backend-webgpu in headless Chromium (playwright-core), any adapter;
                      auto: tfjs-node-gpu/tfjs-node, else WebGPU on a hardware GPU, else wasm
  --out DIR           output folder                                     (default runs/<data>-<model>)
  --resume            continue the run in --out from its checkpoint: data, limits, model and
                      settings come from it (only --epochs may change; other flags must agree)
  --limit-train N     use only the first N training images (quick runs)
  --limit-test N      use only the first N test images
  --no-export         skip the ONNX files
  --no-report         skip the report
  --compare-ae        also train a plain autoencoder (same settings, not checkpointed) and show
                      its 2-D latent map beside the VAE's in the report (needs --latent 2)
  -h, --help          show this help

${SEQ_TRAIN_HELP}`;

interface ParsedArgs {
  values: Map<string, string>;
  flags: Set<string>;
}

const VALUE_OPTIONS = new Set([
  'data', 'model', 'epochs', 'latent', 'widths', 'beta', 'kl-warmup', 'recon', 'batch', 'lr', 'seed',
  'backend', 'out', 'limit-train', 'limit-test',
]);
const FLAG_OPTIONS = new Set(['ae', 'resume', 'no-export', 'no-report', 'compare-ae', 'help']);
for (const name of SEQ_VALUE_OPTIONS) VALUE_OPTIONS.add(name);
for (const name of SEQ_FLAG_OPTIONS) FLAG_OPTIONS.add(name);

export function parseArgs(argv: string[]): ParsedArgs {
  const values = new Map<string, string>();
  const flags = new Set<string>();
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    if (arg === '-h') {
      flags.add('help');
      continue;
    }
    if (!arg.startsWith('--')) throw usageError(`unexpected argument '${arg}' (options start with --; see --help)`);
    const eq = arg.indexOf('=');
    const name = arg.slice(2, eq >= 0 ? eq : undefined);
    if (FLAG_OPTIONS.has(name)) {
      if (eq >= 0) throw usageError(`--${name} takes no value`);
      flags.add(name);
    } else if (VALUE_OPTIONS.has(name)) {
      const value = eq >= 0 ? arg.slice(eq + 1) : argv[++i];
      if (value === undefined || (eq < 0 && value.startsWith('--'))) throw usageError(`--${name} needs a value`);
      values.set(name, value);
    } else {
      throw usageError(`unknown option '--${name}' (see --help)`);
    }
  }
  return { values, flags };
}



export interface TrainRunResult {
  out: string;
  interrupted: boolean;
  trainer: Trainer;
}

/** Entry point of `edgevae train`. Returns the process exit code (0 also for a clean Ctrl-C stop). */
export async function runTrain(argv: string[]): Promise<number> {
  let args: ParsedArgs;
  try {
    args = parseArgs(argv);
  } catch (e) {
    process.stderr.write(`edgevae train: ${(e as Error).message}\n`);
    return e instanceof UserError ? e.exitCode : 2;
  }
  if (args.flags.has('help')) {
    process.stdout.write(TRAIN_HELP + '\n');
    return 0;
  }
  try {
    const result = isSeqRun(args) ? await trainSeq(args) : await train(args);
    return result.interrupted ? 130 : 0;
  } catch (e) {
    process.stderr.write(`edgevae train: ${(e as Error).message.split('\n')[0]}\n`);
    return e instanceof UserError ? e.exitCode : 1;
  }
}

const MODEL_KINDS = ['conv', 'mlp', 'seq'] as const;

/** --model seq, or --resume of a sequence run's --out without --model. */
function isSeqRun(args: ParsedArgs): boolean {
  const model = args.values.get('model');
  if (model !== undefined && !(MODEL_KINDS as readonly string[]).includes(model)) throw usageError(
    `--model: expected ${MODEL_KINDS.join(' | ')}, got '${model}'`);
  if (model !== undefined) return model === 'seq';
  const out = args.values.get('out');
  return args.flags.has('resume') && out !== undefined && storedRunKind(join(out, CHECKPOINT_FILE)) === 'seq';
}

/** Flags that define a run, as given ('true' for --ae), for the --resume agreement check. */
const RUN_FLAGS =
  ['data', 'limit-train', 'limit-test', 'model', 'widths', 'latent', 'batch', 'seed', 'beta', 'kl-warmup', 'recon', 'lr', 'ae'];

async function train(args: ParsedArgs): Promise<TrainRunResult> {
  const kind = oneOf<ModelKind>(args, 'model', ['conv', 'mlp'], 'conv');
  const backend = oneOf<BackendChoice>(args, 'backend', BACKEND_CHOICES, 'auto');
  const resume = args.flags.has('resume');
  const out = args.values.get('out') ??
    join('runs', `${(args.values.get('data') ?? 'fashion-mnist').replace(/[^A-Za-z0-9_-]+/g, '_')}-${kind}`);
  const checkpointPath = join(out, CHECKPOINT_FILE);
  const settings: TrainSettings = {
    epochs: num(args, 'epochs', DEFAULT_SETTINGS.epochs, true),
    batchSize: num(args, 'batch', DEFAULT_SETTINGS.batchSize, true),
    lr: num(args, 'lr', DEFAULT_SETTINGS.lr, false),
    beta: num(args, 'beta', DEFAULT_SETTINGS.beta, false),
    klWarmupEpochs: num(args, 'kl-warmup', DEFAULT_SETTINGS.klWarmupEpochs, false),
    recon: oneOf(args, 'recon', ['bernoulli', 'gaussian'] as const, DEFAULT_SETTINGS.recon),
    sigma: DEFAULT_SETTINGS.sigma,
    seed: num(args, 'seed', DEFAULT_SETTINGS.seed, true),
  };
  const widths = args.values.get('widths')?.split(',').map((w) => Number(w));
  if (widths && !widths.every((w) => Number.isInteger(w) && w >= 1)) {
    throw usageError(`--widths: expected positive integers separated by commas, got '${args.values.get('widths')}'`);
  }
  const latent = args.values.has('latent') ? num(args, 'latent', 0, true) : undefined;
  if (latent !== undefined && latent < 1) throw usageError(`--latent: expected a positive integer, got '${latent}'`);

  // Check cheap things before the slow backend start and data loading.
  try {
    validateSettings(resume ? { ...settings, epochs: Math.max(1, settings.epochs) } : settings);
  } catch (e) {
    throw usageError((e as Error).message);
  }
  if (args.flags.has('compare-ae') && !resume && (args.flags.has('ae') || (latent ?? defaultConfig(kind, [1, 1, 1]).latent) !== 2)) {
    throw usageError('--compare-ae needs a VAE with --latent 2');
  }
  const seqOnly = [...SEQ_VALUE_OPTIONS.filter((o) => args.values.has(o)), ...SEQ_FLAG_OPTIONS.filter((o) => args.flags.has(o))];
  if (seqOnly.length) {
    throw usageError(
      `${seqOnly.map((o) => `--${o}`).join(', ')} ${seqOnly.length > 1 ? 'are' : 'is'} only for --model seq (sequence VAEs), not ` +
        `image models`);
  }
  let definition: RunDefinition =
    { data: dataSourceKey(args.values.get('data') ?? 'fashion-mnist'), limitTrain: positive(args, 'limit-train'), limitTest: positive(args, 'limit-test') };
  const stored = openRun<CheckpointMeta>(checkpointPath, out, resume, givenRunFlags(args, RUN_FLAGS), 'image', storedRunValues);
  const resumedKind: ModelKind | undefined = stored?.config.kind;
  // Checkpoints from before the run definition was stored: the flags (or defaults) define the data.
  if (stored) definition = stored.run ?? { ...definition, data: args.values.get('data') ?? 'fashion-mnist' };
  const info = await selectBackend(backend);
  try {
    return await trainOn(info, args, { out, checkpointPath, resume, settings, definition, kind, resumedKind, latent, widths });
  } finally {
    await info.session?.close();
  }
}

interface RunPlan {
  out: string;
  checkpointPath: string;
  resume: boolean;
  settings: TrainSettings;
  definition: RunDefinition;
  kind: ModelKind;
  resumedKind?: ModelKind;
  latent?: number;
  widths?: number[];
}

async function trainOn(info: BackendInfo, args: ParsedArgs, plan: RunPlan): Promise<TrainRunResult> {
  const { out, checkpointPath, resume, settings, definition, kind, resumedKind, latent, widths } = plan;
  process.stderr.write(`${backendLine(info)}\n`);
  const slow = slowPathNotice(info, resumedKind ?? kind);
  if (slow) process.stderr.write(`edgevae train: ${slow}\n`);
  const data = loadDataset(definition.data, { limitTrain: definition.limitTrain, limitTest: definition.limitTest });
  process.stderr.write(`data: ${data.name} ${data.shape.join('x')}, ${data.train.count} train / ${data.test.count} test images\n`);

  let trainer: Trainer;
  if (resume) {
    trainer = Trainer.resume(checkpointPath, data, args.values.has('epochs') ? settings.epochs : undefined);
    process.stderr.write(resumingLine(trainer, definition));
  } else {
    const base = defaultConfig(kind, data.shape, latent);
    const config: ModelConfig = {
      ...base,
      widths: widths ?? base.widths,
      autoencoder: args.flags.has('ae'),
    };
    trainer = Trainer.create(config, settings, data);
    mkdirSync(out, { recursive: true });
  }
  trainer.definition = definition;
  if (info.session) trainer.useEngine(
    await info.session.engine(trainer.model, trainer.adam, { recon: trainer.settings.recon, sigma: trainer.settings.sigma }));
  const cfg = trainer.model.config;
  process.stderr.write(
    `model: ${cfg.kind}${cfg.autoencoder ? ' autoencoder' : ' VAE'} widths [${cfg.widths}] latent ${cfg.latent}, ` +
      `${trainer.model.parameterCount()} parameters; ${plural(trainer.settings.epochs, 'epoch')} x ${trainer.batchesPerEpoch} batches ` +
        `of ${trainer.settings.batchSize}\n`,
  );

  const { interrupted } = await withCtrlC((shouldStop) => trainer.run({
    checkpointPath,
    progress: stderrProgress(),
    shouldStop,
    onEpoch: () => writeFileSync(join(out, 'history.json'), JSON.stringify(trainer.history, null, 2) + '\n'),
  }));
  if (interrupted) {
    process.stderr.write(`stopped; continue with: ${resumeCommand(out)}\n`);
    return { out, interrupted, trainer };
  }
  writeFileSync(join(out, 'history.json'), JSON.stringify(trainer.history, null, 2) + '\n');
  if (!args.flags.has('no-export')) {
    const { exportOnnx } = await import('./export-onnx.js');
    const files = await exportOnnx(trainer.model, out);
    process.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  if (!args.flags.has('no-report')) {
    const { writeReport } = await import('./report.js');
    let companion: { label: string; model: VaeModel } | undefined;
    if (args.flags.has('compare-ae')) {
      if (cfg.latent !== 2 || cfg.autoencoder) throw new Error('--compare-ae needs a VAE with --latent 2');
      process.stderr.write('training the comparison autoencoder\n');
      const ae = Trainer.create({ ...cfg, autoencoder: true }, trainer.settings, data);
      await ae.run({ progress: stderrProgress() });
      companion = { label: 'plain autoencoder (same settings)', model: ae.model };
    }
    const files =
      await writeReport(
        { model: trainer.model, data, history: trainer.history, settings: trainer.settings, companion, resumes: trainer.resumes }, out);
    process.stderr.write(`wrote ${files.join(', ')}\n`);
  }
  const last = trainer.history[trainer.history.length - 1];
  if (last) process.stdout.write(
    `final test loss ${last.test.total.toFixed(2)} nats (recon ${last.test.recon.toFixed(2)}, KL ${last.test.kl.toFixed(2)})\n`);
  return { out, interrupted, trainer };
}

/** The name cli/edgevae.ts looks for in plugin modules. */
export const main = runTrain;
