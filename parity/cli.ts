// `edgevae parity`: prints the comparison of a model with its float ONNX reference and writes
// parity.json + parity.html; exit 0 when the mean decoder PSNR reaches --min-psnr, 1 when it does not
// (or the check cannot run), 2 for usage errors.
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { runParityCheck, type ParityOptions, type ParityResult } from './compare.js';
import { parityHtml } from './html-report.js';
import { attachNegativeValues } from '../cli/args.js';

const HELP = `Usage: edgevae parity --model model.evae --reference decoder.onnx [--encoder encoder.onnx] [--n 1000]
                      [--min-psnr 40] [--out DIR] [--seed 1] [--images SRC] [--layer-samples 100]

Runs the model (wasm runtime) and the float ONNX reference (onnxruntime-node) on the same seeded N(0, I)
latents and reports max |error|, RMSE, PSNR and SSIM per output, the worst samples, and how much each layer's
quantization costs alone. With --encoder it also compares mu/logvar on --images (default: the Fashion-MNIST
test split) and the encode -> decode reconstruction BCE. See docs/quantization.md.

  --n N               latents (and images) to compare (default 1000)
  --min-psnr DB       exit 1 unless the mean decoder PSNR reaches DB (default 40)
  --out DIR           write DIR/parity.json and DIR/parity.html
  --seed S            seed of the N(0, I) latents, 0 or more (default 1); the same seed compares the same latents
  --images SRC        encoder check inputs: an IDX file, an image folder, a .npy file, or fashion-mnist
                      (default: the Fashion-MNIST test split); only used with --encoder
  --encoder FILE      float encoder ONNX: also compare mu/logvar and the reconstruction BCE
  --layer-samples N   latents per layer candidate (default 100; 0 skips the per-layer table)`;

function positiveInt(v: string | undefined, name: string, fallback: number, min = 1): number {
  if (v === undefined) return fallback;
  const n = Number(v);
  if (!Number.isInteger(n) || n < min) throw new Error(`--${name} must be an integer >= ${min}, got '${v}'`);
  return n;
}

export function printSummary(r: ParityResult): string {
  const lines = [`parity ${r.model} (${r.quantization}) vs ${r.reference}: ${r.samples} latents, seed ${r.seed}`];
  for (const o of r.outputs) {
    lines.push(`  ${o.name.padEnd(15)} max|err| ${o.maxAbs.toFixed(5)}  RMSE ${o.rmse.toFixed(6)}` +
      (o.psnr ? `  PSNR mean ${o.psnr.mean.toFixed(2)} dB worst ${o.psnr.worst.toFixed(2)} dB` : '') +
      (o.ssim ? `  SSIM mean ${o.ssim.mean.toFixed(5)} worst ${o.ssim.worst.toFixed(5)}` : ''));
  }
  if (r.encoder) {
    lines.push(`  encoder: mean |mu - mu_ref| ${r.encoder.muMeanAbs.toFixed(5)} = ${(100 * r.encoder.muRelativeToStd).toFixed(3)}% of latent std; ` +
      `BCE ${r.encoder.bceModel.toFixed(3)} vs ${r.encoder.bceReference.toFixed(3)} (${(100 * r.encoder.bceRelative).toFixed(3)}%)`);
  }
  for (const l of (r.layers ?? []).slice(0, 5)) lines.push(`  layer ${l.entry}#${l.op} ${l.name} (${l.kind} alone): ${l.psnrDb.toFixed(2)} dB`);
  lines.push(`${r.pass ? 'PASS' : 'FAIL'}: mean PSNR ${r.outputs[0]!.psnr!.mean.toFixed(2)} dB ${r.pass ? '>=' : '<'} ${r.minPsnr} dB`);
  return lines.join('\n');
}

export async function runParity(argv: string[]): Promise<number> {
  let opts: ParityOptions;
  let out: string | undefined;
  let missing: string | undefined;
  try {
    const options = {
      model: { type: 'string' }, reference: { type: 'string' }, encoder: { type: 'string' }, n: { type: 'string' },
      'min-psnr': { type: 'string' }, out: { type: 'string' }, seed: { type: 'string' }, images: { type: 'string' },
      'layer-samples': { type: 'string' }, help: { type: 'boolean', short: 'h' },
    } as const;
    const { values } = parseArgs({ args: attachNegativeValues(argv, options), strict: true, allowPositionals: false, options });
    if (values.help) { console.log(HELP); return 0; }
    for (const f of ['model', 'reference'] as const) if (!values[f]) throw new Error(`missing --${f}`);
    const minPsnr = values['min-psnr'] === undefined ? 40 : Number(values['min-psnr']);
    if (!Number.isFinite(minPsnr)) throw new Error(`--min-psnr must be a number, got '${values['min-psnr']}'`);
    opts = {
      model: values.model!, reference: values.reference!, encoder: values.encoder, images: values.images,
      n: positiveInt(values.n, 'n', 1000), minPsnr, seed: positiveInt(values.seed, 'seed', 1, 0),
      layerSamples: positiveInt(values['layer-samples'], 'layer-samples', 100, 0), show: 24,
    };
    out = values.out;
    // A missing file is not a usage mistake: exit 1 (after all flags were checked).
    const absent = (['model', 'reference', 'encoder'] as const).find((f) => values[f] !== undefined && !existsSync(values[f]!));
    if (absent) missing = `--${absent} ${values[absent]} does not exist`;
  } catch (e) {
    const message = (e as Error).message.replace(/\. To specify a positional argument.*$/s, '');
    process.stderr.write(`edgevae parity: ${message} (see "edgevae parity --help")\n`);
    return 2;
  }
  if (missing) {
    process.stderr.write(`edgevae parity: ${missing}\n`);
    return 1;
  }
  try {
    const { result, shown } = await runParityCheck(opts);
    console.log(printSummary(result));
    if (out) {
      mkdirSync(out, { recursive: true });
      writeFileSync(join(out, 'parity.json'), JSON.stringify(result, null, 1));
      writeFileSync(join(out, 'parity.html'), parityHtml(result, shown, result.outputShape));
      console.log(`wrote ${join(out, 'parity.json')} and ${join(out, 'parity.html')}`);
    }
    return result.pass ? 0 : 1;
  } catch (e) {
    process.stderr.write(`edgevae parity: ${(e as Error).message.split('\n')[0]}\n`);
    if (process.env.EDGEVAE_DEBUG === '1') process.stderr.write(`${(e as Error).stack}\n`);
    return 1;
  }
}
