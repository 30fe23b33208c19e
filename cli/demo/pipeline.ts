// The demo's pipeline, callable from cli/demo.ts and from tests: ONNX encoder/decoder -> f32 and int8 .evae
// -> pictures from the wasm runtime (samples, interpolation, latent arithmetic, reconstructions) -> parity
// against onnxruntime -> the WASI module under wasmtime -> out/index.html with every number and timing.
import { existsSync, mkdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import { convert } from '../../converter/index.js';
import { inspectModel } from '../../converter/inspect.js';
import { psnr } from '../../converter/quantize/metrics.js';
import { readModel } from '../../runtime/format.js';
import { imageGrid } from '../../runtime/image-grid.js';
import { EdgeVae } from '../../runtime/index.js';
import { readDefaultWasm } from '../../runtime/node.js';
import { encodePng } from '../../runtime/png.js';
import { writeFileAtomic } from '../../runtime/atomic-write.js';
import { makeExampleSets, readExampleSets, writeExampleSets, CALIB_FILE, type ExampleSets } from './example-set.js';
import { demoHtml, type Figure, type NumberRow } from './report-html.js';
import { sequenceSections, type SequenceDemoOptions, type TextSection } from './sequence-section.js';
import { CheckFailed, SkipStep, StepLog, type StepRecord } from './steps.js';
import { checkWasiTools, wasiSample, type WasiSetup } from './wasi-run.js';

export interface DemoOptions {
  /** folder with encoder.onnx and decoder.onnx (+ calib.npy, examples.npy, labels.json, else made from Fashion-MNIST) */
  modelDir: string;
  outDir: string;
  /** package root: build/ and hosts/ are found there */
  root: string;
  /** latents compared by the parity check (0 skips it); default 500 */
  parityLatents?: number;
  python?: string;
  print?: (line: string) => void;
  /** steps that ran before the pipeline (training), shown in the report */
  earlierSteps?: StepRecord[];
  /** a sequence model (.evae) for the text section; none: no text section */
  sequence?: Omit<SequenceDemoOptions, 'wasm'>;
}

export interface DemoResult {
  outDir: string;
  indexHtml: string;
  /** every file written, relative to outDir */
  files: string[];
  steps: StepRecord[];
  numbers: NumberRow[];
  /** the text section's decoded sequences (empty without a sequence model) */
  texts: TextSection[];
  /** true when no check failed */
  ok: boolean;
}

const SAMPLES = 16;
const SEED = 7;
const STRIP = 10;
const SPEED_BATCH = 256;

interface Variant { name: 'f32' | 'int8'; file: string; bytes: Uint8Array; vae?: EdgeVae }

export async function runDemo(o: DemoOptions): Promise<DemoResult> {
  const print = o.print ?? ((line: string) => console.log(line));
  const log = new StepLog(print);
  log.steps.push(...(o.earlierSteps ?? []));
  const out = resolve(o.outDir);
  const encoderOnnx = join(o.modelDir, 'encoder.onnx');
  const decoderOnnx = join(o.modelDir, 'decoder.onnx');
  for (const [what, path] of [['encoder', encoderOnnx], ['decoder', decoderOnnx]]) {
    if (!existsSync(path!)) {
      throw new Error(`the ${what} ${path} is missing: the demo needs ${o.modelDir}/encoder.onnx and decoder.onnx ` +
        '(train a model with "npm run demo -- --train", or pass --model-dir DIR)');
    }
  }
  const wasm = readDefaultWasm();
  mkdirSync(out, { recursive: true });
  const files: string[] = [];
  const numbers: NumberRow[] = [];
  const figures: Figure[] = [];
  const write = (name: string, bytes: Uint8Array | string) => {
    writeFileAtomic(join(out, name), bytes);
    if (!files.includes(name)) files.push(name);
    return join(out, name);
  };

  // Labelled examples and calibration images: shipped beside the model, or made from the dataset.
  let calibPath = join(o.modelDir, CALIB_FILE);
  const sets = (await log.run('image sets (calibration + examples)', () => {
    const shipped = readExampleSets(o.modelDir);
    if (shipped) return { sets: shipped, from: o.modelDir };
    const made = makeExampleSets();
    writeExampleSets(out, made).forEach((f) => files.push(f.slice(out.length + 1)));
    calibPath = join(out, CALIB_FILE);
    return { sets: made, from: `${made.source} (written to ${out})` };
  }, ({ sets: s, from }) => `${s.calib.count} calibration + ${s.examples.count} labelled images from ${from}`))!.sets;

  const f32 = (await log.run('convert ONNX -> f32 .evae', async () => {
    const { bytes, report } = await convert({ encoder: encoderOnnx, decoder: decoderOnnx, name: 'demo' });
    write('model-f32.evae', bytes);
    write('model-f32.txt', inspectModel(bytes) + '\n');
    return { name: 'f32', file: 'model-f32.evae', bytes, notes: report.notes } as Variant & { notes: string[] };
  }, (v) => `${kib(v.bytes.byteLength)}${v.notes.length ? `; ${v.notes.join('; ')}` : ''}`))!;

  const int8 = await log.run('convert ONNX -> int8 .evae (calibrated)', async () => {
    try {
      const { bytes, report } = await convert({ encoder: encoderOnnx, decoder: decoderOnnx, name: 'demo', quant: 'int8', calib: calibPath });
      write('model-int8.evae', bytes);
      write('model-int8.txt', inspectModel(bytes) + '\n');
      const ops = (report.quantization?.entries ?? []).map((e) => `${e.kind} ${e.int8Ops} int8 / ${e.floatOps} float ops`).join(', ');
      return { name: 'int8', file: 'model-int8.evae', bytes, ops } as Variant & { ops: string };
    } catch (e) {
      throw new CheckFailed(`int8 quantization failed: ${(e as Error).message}`);
    }
  }, (v) => `${kib(v.bytes.byteLength)} (encoder calibrated on ${calibPath}, decoder on N(0, I) latents); ${v.ops}`);
  const variants: Variant[] = int8 ? [f32, int8] : [f32];

  await log.run('load both into the wasm runtime', async () => {
    for (const v of variants) v.vae = await EdgeVae.load(v.bytes, { wasm, maxBatch: 64 });
  }, () => variants.map((v) => `${v.name}: arena ${kib(v.vae!.info.sizes.arenaBytesPerSample)}/sample`).join(', '));
  const shape = f32.vae!.info.outputShape!;
  const inputShape = f32.vae!.info.inputShape!;
  if (shape.length !== 3 || (shape[0] !== 1 && shape[0] !== 3)) throw new Error(`the decoder output [${shape}] is not an image ([1|3, H, W]); the demo draws pictures`);
  const per = shape.reduce((p, d) => p * d, 1);
  const grid = (name: string, images: Float32Array, count: number, columns?: number) => {
    write(name, encodePng(imageGrid(images, count, shape, { columns })));
    return name;
  };

  await log.run(`sample ${SAMPLES} images (seed ${SEED})`, () => {
    const results = variants.map((v) => ({ v, ...v.vae!.sample(SAMPLES, { seed: SEED }) }));
    figures.push({
      title: `Samples: ${SAMPLES} latents from the runtime's N(0, I) sampler, seed ${SEED}`,
      images: results.map((r) => ({ file: grid(`samples-${r.v.name}.png`, r.images, SAMPLES), caption: r.v.name })),
    });
    if (results.length === 2) {
      const value = meanPsnr(results[0]!.images, results[1]!.images, per);
      numbers.push({ label: 'samples: int8 vs f32 runtime, mean PSNR', value: `${value.toFixed(2)} dB` });
      return `int8 vs f32: ${value.toFixed(2)} dB`;
    }
    return '';
  }, (d) => d);

  const pick = (label: number, k = 0) => {
    const indices = sets.labels.flatMap((l, i) => (l === label ? [i] : []));
    const i = indices[Math.min(k, indices.length - 1)]!;
    return sets.examples.data.slice(i * per, (i + 1) * per);
  };
  checkExampleShape(sets, inputShape);

  await log.run(`interpolation strip (${STRIP} steps)`, () => {
    const [a, b] = [0, sets.classNames.length - 1];
    const images = variants.map((v) => {
      const { mu } = v.vae!.encode(new Float32Array([...pick(a), ...pick(b)]), 2);
      return { v, images: v.vae!.interpolateImages(mu.slice(0, mu.length / 2), mu.slice(mu.length / 2), STRIP, 'lerp').images };
    });
    figures.push({
      title: `Interpolation: mu of a test "${sets.classNames[a]}" to mu of a test "${sets.classNames[b]}", ${STRIP} steps (lerp)`,
      images: images.map((r) => ({ file: grid(`interpolation-${r.v.name}.png`, r.images, STRIP, STRIP), caption: r.v.name })),
    });
    return `${sets.classNames[a]} -> ${sets.classNames[b]}`;
  }, (d) => d);

  await log.run('latent arithmetic', () => {
    const [from, to] = arithmeticClasses(sets.classNames, sets.labels);
    const n = sets.labels.filter((l) => l === from).length;
    const bases = new Float32Array(n * per);
    for (let k = 0; k < n; k++) bases.set(pick(from, k), k * per);
    const rows = variants.map((v) => {
      const L = v.vae!.info.latentSize;
      const muOf = (label: number) => {
        const count = sets.labels.filter((l) => l === label).length;
        const x = new Float32Array(count * per);
        for (let k = 0; k < count; k++) x.set(pick(label, k), k * per);
        return v.vae!.encode(x, count).mu;
      };
      const baseMu = v.vae!.encode(bases, n).mu;
      const plus = muOf(to), minus = muOf(from);
      const z = new Float32Array(n * L);
      for (let k = 0; k < n; k++) z.set(v.vae!.latentArithmetic({ base: baseMu.slice(k * L, (k + 1) * L), plus, minus }), k * L);
      const images = new Float32Array(3 * n * per);
      images.set(bases, 0);
      images.set(v.vae!.decode(baseMu, n), n * per);
      images.set(v.vae!.decode(z, n), 2 * n * per);
      return { v, images };
    });
    figures.push({
      title: `Latent arithmetic: z = mu(image) + mean mu("${sets.classNames[to]}") - mean mu("${sets.classNames[from]}"). ` +
        'Rows: test images, their reconstructions, the result',
      images: rows.map((r) => ({ file: grid(`arithmetic-${r.v.name}.png`, r.images, 3 * n, n), caption: r.v.name })),
    });
    return `"${sets.classNames[from]}" + ("${sets.classNames[to]}" - "${sets.classNames[from]}") on ${n} images`;
  }, (d) => d);

  await log.run('reconstructions of test images', () => {
    const count = sets.examples.count;
    const recon = variants.map((v) => v.vae!.reconstruct(sets.examples.data, count));
    const firstOfClass = sets.classNames.map((_, k) => sets.labels.indexOf(k)).filter((i) => i >= 0);
    const shown = new Float32Array((1 + recon.length) * firstOfClass.length * per);
    [sets.examples.data, ...recon].forEach((src, row) => firstOfClass.forEach((i, col) => {
      shown.set(src.subarray(i * per, (i + 1) * per), (row * firstOfClass.length + col) * per);
    }));
    figures.push({
      title: `Reconstructions (encode -> decode mu) of test images, one per class. Rows: original, ${variants.map((v) => v.name).join(', ')}`,
      images: [{ file: grid('reconstructions.png', shown, shown.length / per, firstOfClass.length), caption: 'original / ' + variants.map((v) => v.name).join(' / ') }],
    });
    const parts = variants.map((v, k) => {
      const value = meanPsnr(sets.examples.data, recon[k]!, per);
      numbers.push({ label: `reconstruction PSNR vs the test images (${count}), ${v.name}`, value: `${value.toFixed(2)} dB` });
      return `${v.name} ${value.toFixed(2)} dB`;
    });
    return parts.join(', ');
  }, (d) => d);

  await log.run(`decode speed (${SPEED_BATCH} latents, one thread)`, () => {
    return variants.map((v) => {
      const z = v.vae!.sampleLatents(SPEED_BATCH, { seed: 1 });
      v.vae!.decode(z.subarray(0, v.vae!.info.latentSize), 1); // warm-up: compiles the hot paths
      const start = performance.now();
      v.vae!.decode(z, SPEED_BATCH);
      const rate = SPEED_BATCH / ((performance.now() - start) / 1000);
      numbers.push({ label: `decode throughput, ${v.name}`, value: `${Math.round(rate)} images/s` });
      return `${v.name} ${Math.round(rate)} images/s`;
    }).join(', ');
  }, (d) => d);

  const parityN = o.parityLatents ?? 500;
  for (const v of variants) {
    await log.run(`parity ${v.name} vs onnxruntime (float ONNX)`, async () => {
      if (parityN === 0) throw new SkipStep('disabled (--parity 0)');
      const parity = await importParity();
      const path = join(out, v.file);
      const { result, shown } = await parity.compare.runParityCheck({
        model: path, reference: decoderOnnx, encoder: encoderOnnx, images: calibPath,
        n: parityN, minPsnr: v.name === 'f32' ? 60 : 40, seed: 1, layerSamples: v.name === 'f32' ? 0 : 32, show: 12,
      });
      const dir = `parity-${v.name}`;
      mkdirSync(join(out, dir), { recursive: true });
      write(`${dir}/parity.json`, JSON.stringify(result, null, 1) + '\n');
      write(`${dir}/parity.html`, parity.html.parityHtml(result, shown, result.outputShape));
      const d = result.outputs[0]!;
      const verdict = `decoder PSNR mean ${d.psnr!.mean.toFixed(2)} dB, worst ${d.psnr!.worst.toFixed(2)} dB, max|err| ${d.maxAbs.toExponential(2)} ` +
        `over ${result.samples} latents (pass at >= ${result.minPsnr} dB)` +
        (result.encoder ? `; encoder mu error ${(100 * result.encoder.muRelativeToStd).toFixed(2)}% of latent std` : '');
      numbers.push({ label: `parity ${v.name} vs onnxruntime`, value: verdict, link: `${dir}/parity.html` });
      if (!result.pass) throw new CheckFailed(verdict);
      return verdict;
    }, (d) => d);
  }

  await log.run('WASI module under wasmtime = Node PNG', () => {
    const setup: WasiSetup = {
      python: o.python ?? process.env.EDGEVAE_PYTHON ?? 'python3',
      runner: join(o.root, 'hosts', 'wasi', 'run-wasmtime.py'),
      module: join(o.root, 'build', 'edgevae-wasi.wasm'),
    };
    checkWasiTools(setup);
    const png = wasiSample(setup, join(out, f32.file), SAMPLES, SEED);
    write('samples-f32-wasmtime.png', png);
    const node = encodePng(imageGrid(f32.vae!.sample(SAMPLES, { seed: SEED }).images, SAMPLES, shape));
    const same = png.length === node.length && png.every((b, i) => b === node[i]);
    numbers.push({ label: 'WASI (wasmtime) sample PNG vs Node PNG', value: same ? 'byte-identical' : 'DIFFERENT', link: 'samples-f32-wasmtime.png' });
    if (!same) throw new CheckFailed(`samples-f32-wasmtime.png (${png.length} bytes) differs from samples-f32.png (${node.length} bytes)`);
    return `byte-identical (${png.length} bytes, sample --n ${SAMPLES} --seed ${SEED})`;
  }, (d) => d);

  await log.run('inspect: model sizes', () => {
    const parts = variants.map((v) => {
      const info = readModel(v.bytes);
      numbers.push({ label: `model file, ${v.name}`, value: `${kib(info.fileSize)} (weights ${kib(info.constantBytes)}, arena ${kib(info.arenaPerSample)}/sample)`, link: v.file.replace('.evae', '.txt') });
      return `${v.name} ${kib(info.fileSize)}`;
    });
    if (variants.length === 2) {
      numbers.push({ label: 'int8 / f32 file size', value: `${(100 * variants[1]!.bytes.byteLength / variants[0]!.bytes.byteLength).toFixed(1)} %` });
    }
    return parts.join(', ');
  }, (d) => d);

  const texts = o.sequence ? await sequenceSections(log, { ...o.sequence, wasm }) : [];

  const trainingReport = join(resolve(o.modelDir), 'report.html');
  if (existsSync(trainingReport) && trainingReport.startsWith(out + sep)) {
    numbers.push({ label: 'training report (loss curves, trainer-side pictures)', value: trainingReport.slice(out.length + 1), link: trainingReport.slice(out.length + 1) });
  }
  const steps = log.steps;
  const ok = log.failed.length === 0;
  write('summary.json', JSON.stringify({ model: resolve(o.modelDir), ok, steps, numbers, texts, files }, null, 1) + '\n');
  const indexHtml = write('index.html',
    demoHtml({ modelDir: o.modelDir, steps, numbers, figures, texts, textModel: o.sequence?.model, ok }));
  return { outDir: out, indexHtml, files, steps, numbers, texts, ok };
}

function meanPsnr(a: Float32Array, b: Float32Array, per: number): number {
  let sum = 0;
  const n = a.length / per;
  for (let i = 0; i < n; i++) sum += psnr(a.subarray(i * per, (i + 1) * per), b.subarray(i * per, (i + 1) * per));
  return sum / n;
}

function kib(bytes: number): string {
  return bytes >= 1 << 20 ? `${(bytes / (1 << 20)).toFixed(2)} MiB` : `${(bytes / 1024).toFixed(1)} KiB`;
}

function checkExampleShape(sets: ExampleSets, inputShape: number[]): void {
  const want = inputShape.reduce((p, d) => p * d, 1);
  const have = sets.examples.shape.reduce((p, d) => p * d, 1);
  if (want !== have) throw new Error(`the example images are [${sets.examples.shape}] but the encoder takes [${inputShape}]`);
}

/** Sneaker -> Ankle boot when the classes are Fashion-MNIST's (a visible change: the shoe grows a shaft), else the first two classes. */
function arithmeticClasses(names: string[], labels: number[]): [number, number] {
  const from = names.indexOf('Sneaker'), to = names.indexOf('Ankle boot');
  if (from >= 0 && to >= 0 && labels.includes(from) && labels.includes(to)) return [from, to];
  const present = [...new Set(labels)].sort((x, y) => x - y);
  if (present.length < 2) throw new Error('latent arithmetic needs examples of at least two classes');
  return [present[0]!, present[1]!];
}

/** The parity module (parity/, needs onnxruntime-node) if this checkout has it. */
async function importParity() {
  try {
    const [compare, html] = await Promise.all([import('../../parity/compare.js'), import('../../parity/html-report.js')]);
    return { compare, html };
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === 'ERR_MODULE_NOT_FOUND') throw new SkipStep(`the parity check is not available: ${err.message.split('\n')[0]}`);
    throw new CheckFailed(`the parity module does not load: ${err.message.split('\n')[0]}`);
  }
}
