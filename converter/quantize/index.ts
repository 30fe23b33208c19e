// Public quantization API: a float .evae -> its f16, int8-weights, int8 or mixed variant, with a report of
// what was chosen. Works on the file produced by the converter (converter/index.ts calls it for --quant).
import { EntryKind, FLAG_RELU_U7 } from '../../runtime/format-constants.js';
import { readModel } from '../../runtime/format.js';
import { readEditable, writeEditable, type EditableModel } from './editable-model.js';
import type { CalibMethod, Calibration } from './calibration.js';
import { calibrateFast } from './calibration-wasm.js';
import { cloneModel, eligibleOps, toF16, toInt8, toInt8Recurrent, toInt8Weights } from './transform.js';
import { latentBatch } from '../../reference/sampler.js';
import { runMany } from './evaluate.js';
import { replanArena } from './replan.js';
import { mean, psnr } from './metrics.js';

export type QuantMode = 'f32' | 'f16' | 'int8-weights' | 'int8' | 'int8-relaxed' | 'mixed';
export const QUANT_MODES: readonly QuantMode[] = ['f32', 'f16', 'int8-weights', 'int8', 'int8-relaxed', 'mixed'];

export interface QuantizeOptions {
  mode: QuantMode;
  /** encoder calibration images (ONNX order); needed for int8/mixed encoders */
  images?: Float32Array[];
  /** where the images came from (metadata) */
  imageSource?: string;
  method?: CalibMethod;
  /** random N(0, I) calibration latents for the decoder (default 256) */
  latents?: number;
  /** mixed: mean PSNR (dB) the decoder (images, peak 1) and encoder (mu, peak = its range) must reach */
  targetPsnr?: number;
  /** mixed: samples used to score candidates (default 128) */
  evalSamples?: number;
  seed?: number;
}

export interface LayerChoice { op: number; name: string; psnrAloneDb: number; int8: boolean }
export interface EntryQuantReport {
  kind: 'encode' | 'decode';
  int8Ops: number;
  floatOps: number;
  /** mixed: score of the final choice and per-layer sensitivities (worst first) */
  psnrDb?: number;
  layers?: LayerChoice[];
}
export interface QuantizeReport { mode: QuantMode; method?: CalibMethod; entries: EntryQuantReport[]; notes: string[] }

const KIND_NAME = ['encode', 'decode', 'seq-encode', 'seq-init', 'seq-step'] as const;
/**
 * Temperature of the second half of the decoder's random calibration latents: rare large latents of N(0, I)
 * would otherwise exceed the calibrated ranges and clip (the worst-sample PSNR suffers far more than the mean gains).
 */
export const TAIL_TEMPERATURE = 1.5;
/** Percentile ranges (0.01% / 99.99%) gave better mean and worst-case PSNR than min/max in our measurements. */
export const DEFAULT_CALIB_METHOD: CalibMethod = 'percentile';

export async function quantizeModel(floatBytes: Uint8Array, opts: QuantizeOptions): Promise<{ bytes: Uint8Array; report: QuantizeReport }> {
  const src = readEditable(floatBytes);
  const report: QuantizeReport = { mode: opts.mode, entries: [], notes: [] };
  let out: EditableModel;
  const meta: Record<string, unknown> = { quantization: opts.mode };
  if (opts.mode === 'f32') return { bytes: floatBytes, report };
  if (opts.mode === 'f16') out = toF16(src);
  else if (opts.mode === 'int8-weights') out = toInt8Weights(src);
  else if (opts.mode === 'int8' && src.entries.some((e) => e.kind === EntryKind.SeqStep)) out = toInt8Recurrent(src);
  else {
    const method = opts.method ?? DEFAULT_CALIB_METHOD;
    report.method = method;
    // int8-relaxed: relu results as 7 bits (0..127), flagged in the header for the relaxed-SIMD runtime
    const relu7 = opts.mode === 'int8-relaxed';
    if (relu7) meta.activationBits = { relu: 7, other: 8 };
    out = nameOps(cloneModel(src));
    const calibInfo: Record<string, unknown> = { method, rounding: 'requantization: f32 multiplier, round half to even; QUANTIZE: round half to even' };
    for (const kind of [EntryKind.Encode, EntryKind.Decode]) {
      const e = out.entries.find((x) => x.kind === kind);
      if (!e) continue;
      const samples = await calibrationSamples(src, kind, opts, calibInfo);
      const calib = await calibrateFast(out, kind, samples, method);
      const all = eligibleOps(out, e);
      let chosen = new Set(all);
      const entryReport: EntryQuantReport = { kind: KIND_NAME[kind] as 'encode' | 'decode', int8Ops: 0, floatOps: 0 };
      if (opts.mode === 'mixed') {
        const r = await chooseMixed(out, kind, all, calib, opts);
        chosen = r.chosen;
        entryReport.psnrDb = r.psnrDb;
        entryReport.layers = r.layers;
        const kept = r.layers.filter((l) => !l.int8).map((l) => `${l.name} (${l.psnrAloneDb.toFixed(1)} dB alone)`);
        report.notes.push(`${KIND_NAME[kind]}: mixed kept in float: ${kept.length ? kept.join(', ') : 'nothing'}`);
        if (r.psnrDb < (opts.targetPsnr ?? 40)) report.notes.push(`${KIND_NAME[kind]}: even all-float layers miss the target (${r.psnrDb.toFixed(1)} dB)`);
      }
      out = toInt8(out, kind, chosen, calib, relu7);
      entryReport.int8Ops = chosen.size;
      entryReport.floatOps = all.length - chosen.size;
      report.entries.push(entryReport);
    }
    meta.calibration = calibInfo;
    if (opts.mode === 'mixed') meta.mixed = report.entries.map((r) => ({ entry: r.kind, psnrDb: r.psnrDb, floatLayers: r.layers?.filter((l) => !l.int8).map((l) => l.name) }));
  }
  out.meta = { ...out.meta, ...meta };
  out.flags = opts.mode === 'int8-relaxed' ? FLAG_RELU_U7 : 0;
  syncLayerNames(out);
  replanArena(out);
  const bytes = writeEditable(out);
  // Never return a file the loaders refuse (e.g. infinite weights give infinite per-channel scales).
  try {
    readModel(bytes);
  } catch (e) {
    throw new Error(`the ${opts.mode} model would not pass validation (non-finite or extreme weights?): ${(e as Error).message}`);
  }
  return { bytes, report };
}

/** Gives every op the layer name the converter recorded in the metadata, so inserted ops can be named after it. */
function nameOps(m: EditableModel): EditableModel {
  const layers = (m.meta.layers ?? {}) as Record<string, string[]>;
  for (const e of m.entries) e.ops.forEach((op, i) => { op.name ??= layers[KIND_NAME[e.kind]]?.[i] ?? `op${i}`; });
  return m;
}

function syncLayerNames(m: EditableModel): void {
  const layers: Record<string, string[]> = {};
  for (const e of m.entries) layers[KIND_NAME[e.kind]] = e.ops.map((op) => op.name ?? '');
  if (m.meta.layers) m.meta.layers = layers;
}

/** n seeded calibration latents of size L: the first half N(0, I), the rest N(0, TAIL_TEMPERATURE^2 I). */
export function decoderCalibrationLatents(n: number, L: number, seed: number): Float32Array[] {
  const wide = latentBatch(n - Math.ceil(n / 2), L, seed + 2).map((z) => z.map((v) => v * TAIL_TEMPERATURE));
  return [...latentBatch(Math.ceil(n / 2), L, seed), ...wide];
}

/** Encoder: the calibration images. Decoder: seeded N(0, I) latents plus the float encoder's mu of those images. */
async function calibrationSamples(src: EditableModel, kind: EntryKind, opts: QuantizeOptions, info: Record<string, unknown>): Promise<Float32Array[]> {
  const images = opts.images ?? [];
  if (kind === EntryKind.Encode) {
    if (images.length === 0) throw new Error(`--quant ${opts.mode} quantizes the encoder's activations and needs calibration images (--calib: an IDX file, an image folder, a .npy file or "fashion-mnist")`);
    info.encoder = { images: images.length, source: opts.imageSource ?? 'images' };
    return images;
  }
  const dec = src.entries.find((e) => e.kind === EntryKind.Decode)!;
  const L = src.tensors[dec.input]!.dims.reduce((p, d) => p * d, 1);
  const random = decoderCalibrationLatents(opts.latents ?? 256, L, opts.seed ?? 1234);
  let encoded: Float32Array[] = [];
  const enc = src.entries.find((e) => e.kind === EntryKind.Encode);
  // mu of each image from the float encoder (the runtime's kernels; the interpreter if it refuses the model)
  if (enc && images.length) encoded = (await runMany(src, EntryKind.Encode, images)).outputs[0]!;
  info.decoder = { randomLatents: random.length, tailTemperature: TAIL_TEMPERATURE, encodedImages: encoded.length, seed: opts.seed ?? 1234 };
  return [...random, ...encoded];
}

async function chooseMixed(m: EditableModel, kind: EntryKind, all: number[], calib: Calibration, opts: QuantizeOptions) {
  const target = opts.targetPsnr ?? 40;
  const n = opts.evalSamples ?? 128;
  const e = m.entries.find((x) => x.kind === kind)!;
  let inputs: Float32Array[];
  if (kind === EntryKind.Decode) inputs = latentBatch(n, m.tensors[e.input]!.dims.reduce((p, d) => p * d, 1), (opts.seed ?? 1234) + 1);
  else inputs = (opts.images ?? []).slice(0, n);
  const ref = (await runMany(m, kind, inputs)).outputs[0]!;
  let peak = 1;
  if (kind === EntryKind.Encode) {
    let lo = Infinity, hi = -Infinity;
    for (const v of ref) for (const x of v) { lo = Math.min(lo, x); hi = Math.max(hi, x); }
    peak = Math.max(hi - lo, 1e-6);
  }
  const score = async (set: Set<number>) => {
    const outs = (await runMany(toInt8(m, kind, set, calib), kind, inputs)).outputs[0]!;
    return mean(outs.map((o, i) => psnr(ref[i]!, o, peak)));
  };
  const layers: LayerChoice[] = [];
  for (const op of all) layers.push({ op, name: e.ops[op]!.name ?? `op${op}`, psnrAloneDb: await score(new Set([op])), int8: true });
  layers.sort((a, b) => a.psnrAloneDb - b.psnrAloneDb);
  const chosen = new Set(all);
  let current = await score(chosen);
  for (const l of layers) {
    if (current >= target) break;
    chosen.delete(l.op);
    l.int8 = false;
    current = chosen.size ? await score(chosen) : 100;
  }
  return { chosen, psnrDb: current, layers };
}
