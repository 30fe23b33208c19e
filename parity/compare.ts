// The parity check behind `edgevae parity`: runs an .evae model in the wasm runtime and the float ONNX
// reference in onnxruntime-node (independent of this project's code) on the same seeded N(0, I) latents
// (and, with an encoder, the same images), and measures the error per output, per sample and per layer.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { Engine } from '../runtime/engine.js';
import { readDefaultWasm } from '../runtime/node.js';
import { readModel } from '../runtime/format.js';
import { EntryKind } from '../runtime/format-constants.js';
import { convert } from '../converter/index.js';
import { readEditable } from '../converter/quantize/editable-model.js';
import type { CalibMethod } from '../converter/quantize/calibration.js';
import { calibrateFast } from '../converter/quantize/calibration-wasm.js';
import { eligibleOps, toF16, toInt8, toInt8Weights } from '../converter/quantize/transform.js';
import { latentBatch } from '../reference/sampler.js';
import { runMany } from '../converter/quantize/evaluate.js';
import { decoderCalibrationLatents } from '../converter/quantize/index.js';
import { loadCalibrationImages } from '../converter/quantize/calibration-data.js';
import { maxAbsError, mean, meanSquaredError, psnr } from '../converter/quantize/metrics.js';
import { ssim } from './ssim.js';
import type { ShownSample } from './html-report.js';

export interface ParityOptions {
  model: string;
  /** float decoder ONNX */
  reference: string;
  /** float encoder ONNX (enables the encoder checks) */
  encoder?: string;
  /** images for the encoder checks (default fashion-mnist test split) */
  images?: string;
  n: number;
  minPsnr: number;
  seed: number;
  /** per-layer error: latents per candidate (0 = skip) */
  layerSamples: number;
  /** worst samples kept for the HTML report */
  show: number;
}

export interface Summary { mean: number; worst: number; median: number }
export interface OutputStats { name: string; samples: number; maxAbs: number; rmse: number; psnr?: Summary; ssim?: Summary }
export interface LayerError { entry: 'encode' | 'decode'; op: number; name: string; kind: string; psnrDb: number }
export interface EncoderStats { samples: number; muMeanAbs: number; latentStd: number; muRelativeToStd: number; bceModel: number; bceReference: number; bceRelative: number }
export interface ParityResult {
  model: string; reference: string; quantization: string; samples: number; seed: number; minPsnr: number; pass: boolean;
  outputShape: number[]; outputs: OutputStats[]; encoder?: EncoderStats; layers?: LayerError[];
  perSample: { psnr: number[]; ssim: number[] };
}

const summary = (v: number[]): Summary => {
  const s = [...v].sort((a, b) => a - b);
  return { mean: mean(v), worst: s[0] ?? NaN, median: s[Math.floor(s.length / 2)] ?? NaN };
};

/** The batch size an ONNX input fixes in its graph (an export without dynamic shapes), or undefined when it is free. */
export function fixedBatch(shape: unknown): number | undefined {
  const first = Array.isArray(shape) ? shape[0] : undefined;
  return typeof first === 'number' && first > 0 ? first : undefined;
}

async function ortRun(path: string, inputs: Float32Array[], chunk = 256): Promise<Float32Array[][]> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const size = inputs[0]!.length;
  const meta = session.inputMetadata?.[0];
  const declared = meta && 'shape' in meta && Array.isArray(meta.shape) ? meta.shape : undefined;
  // A graph exported with a fixed batch (often 1) only accepts exactly that many samples per run:
  // run it in batches of that size and zero-pad the last one.
  const fixed = fixedBatch(declared);
  const step = fixed ?? chunk;
  const outs: Float32Array[][] = session.outputNames.map(() => []);
  for (let start = 0; start < inputs.length; start += step) {
    const part = inputs.slice(start, start + step);
    const rows = fixed ?? part.length;
    const packed = new Float32Array(rows * size);
    part.forEach((x, i) => packed.set(x, i * size));
    const dims = declared && declared.length > 2 ? [rows, ...(declared.slice(1) as number[])] : [rows, size];
    const res = await session.run({ [session.inputNames[0]!]: new ort.Tensor('float32', packed, dims) });
    session.outputNames.forEach((name, k) => {
      const data = res[name]!.data as Float32Array;
      const per = data.length / rows;
      for (let i = 0; i < part.length; i++) outs[k]!.push(Float32Array.from(data.subarray(i * per, (i + 1) * per)));
    });
  }
  await session.release();
  return outs;
}

async function runEvae(engine: Engine, kind: 'encode' | 'decode', inputs: Float32Array[]): Promise<Float32Array[][]> {
  const size = inputs[0]!.length;
  const packed = new Float32Array(inputs.length * size);
  inputs.forEach((x, i) => packed.set(x, i * size));
  return engine.run(kind, packed, inputs.length).map((o) => {
    const per = o.length / inputs.length;
    return inputs.map((_, i) => o.slice(i * per, (i + 1) * per));
  });
}

function outputStats(name: string, ref: Float32Array[], got: Float32Array[], shape: number[] | null, perSample?: ParityResult['perSample']): OutputStats {
  let maxAbs = 0, se = 0, count = 0;
  const ps: number[] = [], ss: number[] = [];
  ref.forEach((r, i) => {
    maxAbs = Math.max(maxAbs, maxAbsError(r, got[i]!));
    se += meanSquaredError(r, got[i]!) * r.length;
    count += r.length;
    ps.push(psnr(r, got[i]!));
    if (shape) ss.push(ssim(r, got[i]!, shape));
  });
  if (perSample) { perSample.psnr = ps; perSample.ssim = ss; }
  return { name, samples: ref.length, maxAbs, rmse: Math.sqrt(se / Math.max(1, count)), psnr: summary(ps), ssim: shape ? summary(ss) : undefined };
}

const bce = (x: Float32Array, p: Float32Array) => {
  let s = 0;
  for (let i = 0; i < x.length; i++) { const q = Math.min(1 - 1e-7, Math.max(1e-7, p[i]!)); s -= x[i]! * Math.log(q) + (1 - x[i]!) * Math.log(1 - q); }
  return s;
};

export async function runParityCheck(o: ParityOptions): Promise<{ result: ParityResult; shown: ShownSample[] }> {
  const bytes = readFileSync(o.model);
  const info = readModel(bytes);
  const meta = info.metadata as { quantization?: string; latentSize?: number; decoder?: { outputShape?: number[] }; encoder?: { inputShape?: number[] }; calibration?: { method?: CalibMethod } };
  const dec = info.entries.find((e) => e.kind === 'decode');
  if (!dec) throw new Error(`${o.model} has no decoder entry to compare`);
  const L = info.tensors[dec.input]!.elements;
  const outCount = info.tensors[dec.outputs[0]!]!.elements;
  const declared = meta.decoder?.outputShape;
  const shape = declared && declared.length === 3 ? declared : Number.isInteger(Math.sqrt(outCount)) ? [1, Math.sqrt(outCount), Math.sqrt(outCount)] : null;

  const engine = await Engine.create(readDefaultWasm());
  await engine.load(bytes, 64);
  const latents = latentBatch(o.n, L, o.seed);
  const ref = (await ortRun(o.reference, latents))[0]!;
  if (ref[0]!.length !== outCount) throw new Error(`reference ${o.reference} outputs ${ref[0]!.length} values per sample, the model ${outCount}`);
  const got = (await runEvae(engine, 'decode', latents))[0]!;
  const perSample = { psnr: [] as number[], ssim: [] as number[] };
  const outputs = [outputStats('decoder image', ref, got, shape, perSample)];

  let encoder: EncoderStats | undefined;
  if (o.encoder && info.entries.some((e) => e.kind === 'encode')) {
    const inShape = meta.encoder?.inputShape ?? [info.tensors[info.entries.find((e) => e.kind === 'encode')!.input]!.elements];
    const images = loadCalibrationImages(o.images ?? 'fashion-mnist', inShape, o.n, 'test').images;
    const refEnc = await ortRun(o.encoder, images);
    let refMu = refEnc[0]!, refLogvar = refEnc[1];
    if (!refLogvar) { // one output of 2L values: mu and logvar halves
      refLogvar = refMu.map((v) => v.slice(L));
      refMu = refMu.map((v) => v.slice(0, L));
    }
    const [mu, logvar] = await runEvae(engine, 'encode', images);
    outputs.push(outputStats('encoder mu', refMu, mu!, null), outputStats('encoder logvar', refLogvar, logvar!, null));
    let absSum = 0;
    refMu.forEach((r, i) => { for (let k = 0; k < L; k++) absSum += Math.abs(r[k]! - mu![i]![k]!); });
    const muMeanAbs = absSum / (refMu.length * L);
    let stdSum = 0;
    for (let k = 0; k < L; k++) {
      const m = mean(refMu.map((r) => r[k]!));
      stdSum += Math.sqrt(mean(refMu.map((r) => (r[k]! - m) ** 2)));
    }
    const latentStd = stdSum / L;
    const recRef = (await ortRun(o.reference, refMu))[0]!;
    const recModel = (await runEvae(engine, 'decode', mu!))[0]!;
    const bceReference = mean(images.map((x, i) => bce(x, recRef[i]!)));
    const bceModel = mean(images.map((x, i) => bce(x, recModel[i]!)));
    encoder = { samples: images.length, muMeanAbs, latentStd, muRelativeToStd: muMeanAbs / latentStd, bceModel, bceReference, bceRelative: Math.abs(bceModel - bceReference) / bceReference };
  }

  const quantization = meta.quantization ?? 'f32';
  const layers = o.layerSamples > 0 && quantization !== 'f32' ? await perLayer(o, quantization, meta.calibration?.method ?? 'percentile') : undefined;
  const meanPsnr = outputs[0]!.psnr!.mean;
  const result: ParityResult = {
    model: o.model, reference: o.reference, quantization, samples: o.n, seed: o.seed, minPsnr: o.minPsnr, pass: meanPsnr >= o.minPsnr,
    outputShape: shape ?? [outCount], outputs, encoder, layers, perSample,
  };
  const order = perSample.psnr.map((p, i) => i).sort((a, b) => perSample.psnr[a]! - perSample.psnr[b]!).slice(0, o.show);
  const shown = order.map((i) => ({ index: i, psnr: perSample.psnr[i]!, ssim: perSample.ssim[i] ?? NaN, maxAbs: maxAbsError(ref[i]!, got[i]!), ref: ref[i]!, model: got[i]! }));
  return { result, shown };
}

/**
 * Which layer's quantization costs most: the reference ONNX converted to float, then each quantizable decoder
 * layer quantized alone (scheme of the model under test) and compared with the float conversion.
 */
async function perLayer(o: ParityOptions, scheme: string, method: CalibMethod): Promise<LayerError[]> {
  const float = readEditable((await convert({ decoder: o.reference })).bytes);
  const e = float.entries.find((x) => x.kind === EntryKind.Decode)!;
  const names = ((float.meta.layers ?? {}) as Record<string, string[]>).decode ?? [];
  const L = float.tensors[e.input]!.dims.reduce((p, d) => p * d, 1);
  const inputs = latentBatch(o.layerSamples, L, o.seed + 7);
  const ref = (await runMany(float, EntryKind.Decode, inputs)).outputs[0]!;
  const calib = scheme === 'int8' || scheme === 'mixed' ? await calibrateFast(float, EntryKind.Decode, decoderCalibrationLatents(256, L, 1234), method) : undefined;
  const out: LayerError[] = [];
  for (const op of eligibleOps(float, e)) {
    const only = (k: EntryKind, i: number) => k === EntryKind.Decode && i === op;
    const variant = calib ? toInt8(float, EntryKind.Decode, new Set([op]), calib)
      : scheme === 'f16' ? toF16(float, only) : toInt8Weights(float, only);
    const outs = (await runMany(variant, EntryKind.Decode, inputs)).outputs[0]!;
    out.push({ entry: 'decode', op, name: names[op] ?? `op${op}`, kind: calib ? 'int8' : scheme, psnrDb: mean(outs.map((v, i) => psnr(ref[i]!, v))) });
  }
  return out.sort((a, b) => a.psnrDb - b.psnrDb);
}
