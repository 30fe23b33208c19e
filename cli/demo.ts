// `npm run demo`: the whole path of a model on the shipped default VAE (models/default), written to out/demo/.
// `npm run demo -- --train` first trains a fresh small model (Fashion-MNIST, progress bar), then does the same.
import { existsSync, rmSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parseArgs } from 'node:util';
import { packageRoot } from '../runtime/node.js';
import { runDemo } from './demo/pipeline.js';
import { formatMs, type StepRecord } from './demo/steps.js';

// packageRoot(), not this file's parent: compiled, this file lives in dist/cli/.
const ROOT = packageRoot();
const DEFAULT_TEXT_MODEL = join(ROOT, 'models', 'text', 'words.evae');

const HELP = `usage: npm run demo [-- options]

Converts the default model (models/default) to f32 and int8 .evae files, draws samples, an interpolation,
latent arithmetic and reconstructions with the WebAssembly runtime, checks parity against onnxruntime and
the WASI module under wasmtime, and writes everything to out/demo/index.html. When models/text/words.evae
exists, a text section adds greedy and sampled words and an interpolation from the sequence VAE.

  --train             train a fresh small VAE first (Fashion-MNIST, a few minutes) and use it
  --epochs N          epochs for --train (default 2)
  --limit-train N     training images for --train (default 20000 of 60000)
  --model-dir DIR     use DIR/encoder.onnx and DIR/decoder.onnx instead of models/default
  --out DIR           output folder (default out/demo)
  --parity N          latents for the parity check (default 500; 0 skips it)
  --text-model FILE   sequence model for the text section (default models/text/words.evae, if present)
  -h, --help          this help`;

function positive(raw: string | undefined, name: string, fallback: number, min = 1): number {
  if (raw === undefined) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${raw}'`);
  return n;
}

export async function main(argv: string[]): Promise<number> {
  let opts;
  try {
    const { values } = parseArgs({
      args: argv, strict: true, allowPositionals: false,
      options: {
        train: { type: 'boolean' }, epochs: { type: 'string' }, 'limit-train': { type: 'string' }, 'model-dir': { type: 'string' },
        out: { type: 'string' }, parity: { type: 'string' }, 'text-model': { type: 'string' }, help: { type: 'boolean', short: 'h' },
      },
    });
    if (values.help) { console.log(HELP); return 0; }
    if (values.train && values['model-dir']) throw new Error('--train and --model-dir exclude each other (--train makes its own model)');
    opts = {
      train: values.train ?? false,
      epochs: positive(values.epochs, 'epochs', 2),
      limitTrain: positive(values['limit-train'], 'limit-train', 20000),
      modelDir: resolve(values['model-dir'] ?? join(ROOT, 'models', 'default')),
      out: resolve(values.out ?? join(ROOT, 'out', 'demo')),
      parity: positive(values.parity, 'parity', 500, 0),
      textModel: values['text-model'] === undefined ? undefined : resolve(values['text-model']),
    };
    if (opts.textModel !== undefined && !existsSync(opts.textModel)) throw new Error(`--text-model ${opts.textModel} does not exist`);
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message} (see --help)\n`);
    return 2;
  }
  const start = performance.now();
  try {
    const earlier: StepRecord[] = [];
    let modelDir = opts.modelDir;
    if (opts.train) {
      modelDir = join(opts.out, 'train');
      const t0 = performance.now();
      const cpu0 = process.cpuUsage();
      const code = await trainFresh(modelDir, opts.epochs, opts.limitTrain);
      if (code !== 0) throw new Error(`training stopped with exit code ${code}`);
      const cpu = process.cpuUsage(cpu0);
      const step: StepRecord = {
        title: `train a fresh VAE (${opts.epochs} epochs)`, status: 'ok', ms: performance.now() - t0, cpuMs: (cpu.user + cpu.system) / 1000,
        detail: `${opts.epochs} epochs of ${opts.limitTrain} Fashion-MNIST images; ONNX + report in ${modelDir}`,
      };
      earlier.push(step);
      console.log(`[  ok  ] ${step.title.padEnd(40)} ${formatMs(step.ms).padStart(8)} (cpu ${formatMs(step.cpuMs!)})`);
    } else if (!existsSync(join(modelDir, 'encoder.onnx'))) {
      throw new Error(`no model in ${modelDir} (encoder.onnx is missing). Run "npm run demo -- --train" to train a small one ` +
        'now, or pass --model-dir DIR (a folder with encoder.onnx and decoder.onnx)');
    }
    console.log(`demo: model ${relative(process.cwd(), modelDir) || '.'} -> ${relative(process.cwd(), opts.out) || '.'}`);
    const textModel = opts.textModel ?? (existsSync(DEFAULT_TEXT_MODEL) ? DEFAULT_TEXT_MODEL : undefined);
    const result = await runDemo({
      modelDir, outDir: opts.out, root: ROOT, parityLatents: opts.parity, earlierSteps: earlier,
      sequence: textModel ? { model: textModel } : undefined,
    });
    console.log('');
    for (const n of result.numbers) console.log(`  ${n.label}: ${n.value}`);
    for (const t of result.texts) console.log(`  ${t.title}:\n    ${t.lines.map((l) => l || '(empty)').join(' ')}`);
    console.log(`\nwrote ${result.files.length} files to ${result.outDir} in ${formatMs(performance.now() - start)}; open ${result.indexHtml}`);
    const failed = result.steps.filter((s) => s.status === 'failed');
    if (failed.length) console.log(`${failed.length} check(s) failed: ${failed.map((s) => s.title).join('; ')}`);
    return result.ok ? 0 : 1;
  } catch (e) {
    process.stderr.write(`demo: ${(e as Error).message}\n`);
    if (process.env.EDGEVAE_DEBUG === '1') process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}

/** A fresh run in `dir` (an earlier demo run there is removed: the trainer refuses to overwrite a checkpoint). */
async function trainFresh(dir: string, epochs: number, limitTrain: number): Promise<number> {
  let trainer: typeof import('../trainer/cli.js');
  try {
    trainer = await import('../trainer/cli.js');
  } catch (e) {
    throw new Error(`the trainer (trainer/cli.ts) cannot be loaded: ${(e as Error).message.split('\n')[0]}`);
  }
  rmSync(dir, { recursive: true, force: true });
  console.log(`training a small conv VAE on Fashion-MNIST: ${epochs} epochs of ${limitTrain} images (progress on stderr)`);
  return trainer.runTrain(['--data', 'fashion-mnist', '--model', 'conv', '--epochs', String(epochs), '--limit-train', String(limitTrain), '--limit-test', '2000', '--out', dir]);
}

const invoked = process.argv[1] ? pathToFileURL(resolve(process.argv[1])).href : '';
if (invoked === import.meta.url) {
  main(process.argv.slice(2)).then((code) => { process.exitCode = code; });
}
