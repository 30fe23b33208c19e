// The valid models the fuzzers start from: the PyTorch fixtures (tests/fixtures) converted in every
// quantization mode the converter offers, plus a small "op zoo" (and a "spatial zoo" for opcodes 20..25) that reaches the ops and parameter
// combinations the fixtures do not (slice, concat, u8/i8 quantize, grouped/dilated/transposed convs).
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { writeModel, type WTensor } from '../converter/writer.js';
import { Act, BinaryKind, DType, EntryKind, LayoutMode, Op, PadMode, PoolKind, ResizeMode,
  TensorKind } from '../runtime/format-constants.js';
import { Rng } from './rng.js';
import { clipAlpha } from '../runtime/clip-bounds.js';
import { refreshChecksum } from './mutate.js';
import { convertSequence } from '../converter/sequence.js';
import { buildSeqOnnx } from '../trainer/export-seq-onnx.js';
import { seqInitialWeights, type SeqModelConfig } from '../trainer/seq-model.js';

export interface CorpusModel { name: string; bytes: Uint8Array }

const FIXTURES = resolve(import.meta.dirname, '..', 'tests', 'fixtures');

/** Deterministic calibration images in [0, 1) (the int8 encoder needs some; their content does not matter here). */
function calibrationImages(count: number, size: number): Float32Array[] {
  const rng = new Rng(99);
  return Array.from({ length: count }, () => Float32Array.from({ length: size }, () => rng.float()));
}

function randomF32(rng: Rng, n: number, scale: number): Uint8Array {
  return new Uint8Array(Float32Array.from({ length: n }, () => (rng.float() * 2 - 1) * scale).buffer);
}

/** Decoder z[8] -> [512] and encoder x[16] -> mu[4], logvar[4] using every op code at least once. */
export function opZooBytes(): Uint8Array {
  const rng = new Rng(7);
  const tensors: WTensor[] = [];
  const add = (t: WTensor) => tensors.push(t) - 1;
  const act = (dims: number[], dtype = DType.F32, extra: Partial<WTensor> = {}) =>
    add({ kind: TensorKind.Activation, dtype, dims, ...extra });
  const w = (dims: number[], scale = 0.5) =>
    add({ kind: TensorKind.Constant, dtype: DType.F32, dims, data: randomF32(rng, dims.reduce((p, d) => p * d, 1), scale) });

  const z = act([8]);
  const h = act([48]);
  const hs = act([3, 4, 4]);
  const dw = act([3, 4, 4]);
  const up = act([3, 8, 8]);
  const dil = act([4, 8, 8]);
  const sl = act([2, 8, 8]);
  const cat = act([6, 8, 8]);
  const biased = act([6, 8, 8]);
  const sq = act([6, 8, 8]);
  const q8 = act([6, 8, 8], DType.U8, { scale: 0.05, zeroPoint: 10 });
  const dq8 = act([6, 8, 8]);
  const qi = act([6, 8, 8], DType.I8, { scale: 0.03, zeroPoint: -3 });
  const dqi = act([6, 8, 8]);
  const tr = act([2, 16, 16]);
  const ex = act([2, 16, 16]);
  const gn = act([2, 16, 16]);
  const ln = act([2, 16, 16]);
  const pr = act([2, 16, 16]);
  const out = act([512]);
  const eps = new Uint32Array(Float32Array.of(1e-5).buffer)[0]!;
  const decode = [
    { op: Op.Dense, out: h, a: z, b: w([8, 48]), c: w([48], 0.1), act: Act.Elu, alpha: 0.5 },
    { op: Op.Copy, out: hs, a: h },
    // depthwise: weights [G*KH, KW, Ci/G, Co/G]
    { op: Op.Conv2D, out: dw, a: hs, b: w([9, 3, 1, 1]), c: w([3], 0.1), act: Act.Tanh, params: [3, 3, 1, 1, 1, 1, 1, 1, 3] },
    { op: Op.ResizeNearest, out: up, a: dw, params: [2, 2] },
    { op: Op.Conv2D, out: dil, a: up, b: w([3, 3, 3, 4]), act: Act.LeakyRelu, alpha: 0.1, params: [3, 3, 1, 1, 2, 2, 2, 2, 1] },
    { op: Op.Slice, out: sl, a: dil, params: [4, 1, 2, 64] },
    { op: Op.Concat, out: cat, a: dil, b: sl, params: [4, 2, 64] },
    { op: Op.Binary, out: biased, a: cat, b: w([6], 0.2), act: Act.Relu, params: [BinaryKind.Add, 6] },
    { op: Op.Binary, out: sq, a: biased, b: biased, params: [BinaryKind.Mul, 384] },
    { op: Op.Quantize, out: q8, a: sq },
    { op: Op.Dequantize, out: dq8, a: q8 },
    { op: Op.Quantize, out: qi, a: dq8 },
    { op: Op.Dequantize, out: dqi, a: qi },
    // grouped transposed conv: weights [G*KH, KW, Ci/G, Co/G] = [2*3, 3, 3, 1]
    { op: Op.ConvTranspose, out: tr, a: dqi, b: w([6, 3, 3, 1]), c: w([2], 0.1), act: Act.Softplus, params: [3, 3, 2, 2, 1, 1, 1, 1, 2] },
    { op: Op.Unary, out: ex, a: tr, act: Act.Sigmoid },
    { op: Op.GroupNorm, out: gn, a: ex, b: w([2]), c: w([2], 0.1), act: Act.Silu, params: [2, eps] },
    // rows of 32 floats; clip to [-1, 1] (binary16 0xbc00 / 0x3c00 in the alpha word)
    { op: Op.LayerNorm, out: ln, a: gn, b: w([32]), c: w([32], 0.1), act: Act.Clip, alpha: clipAlpha(0xbc00, 0x3c00), params: [32, eps] },
    { op: Op.Binary, out: pr, a: ln, b: w([2]), act: Act.Gelu, params: [BinaryKind.PRelu, 2] },
    { op: Op.Layout, out, a: pr, params: [LayoutMode.HwcToChw, 2, 16, 16] },
  ];

  const x = act([16]);
  const xs = act([1, 4, 4]);
  const e1 = act([2, 2, 2]);
  const ef = act([8]);
  const ed = act([8]);
  const mu = act([4]);
  const lv = act([4]);
  const encode = [
    { op: Op.Layout, out: xs, a: x, params: [LayoutMode.ChwToHwc, 1, 4, 4] },
    { op: Op.Conv2D, out: e1, a: xs, b: w([3, 3, 1, 2]), c: w([2], 0.1), act: Act.Relu, params: [3, 3, 2, 2, 1, 1, 1, 1, 1] },
    { op: Op.Copy, out: ef, a: e1 },
    { op: Op.Dense, out: ed, a: ef, b: w([8, 8]), act: Act.Exp },
    { op: Op.Slice, out: mu, a: ed, params: [8, 0, 4, 1] },
    { op: Op.Slice, out: lv, a: ed, params: [8, 4, 4, 1] },
  ];
  return writeModel({
    meta: { name: 'op-zoo', producer: 'fuzz/corpus.ts', inputShape: [1, 4, 4], latentSize: 4 },
    tensors,
    entries: [
      { kind: EntryKind.Encode, input: x, outputs: [mu, lv], ops: encode },
      { kind: EntryKind.Decode, input: z, outputs: [out], ops: decode },
    ],
  });
}

/** Decoder z[8] -> [256] through the spatial and attention ops (PAD, RESIZE, POOL, MATMUL, SOFTMAX, TRANSPOSE). */
export function spatialZooBytes(): Uint8Array {
  const rng = new Rng(11);
  const tensors: WTensor[] = [];
  const add = (t: WTensor) => tensors.push(t) - 1;
  const act = (dims: number[]) => add({ kind: TensorKind.Activation, dtype: DType.F32, dims });
  const bits = (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0]!;
  const axis = (p: number, m: number, d: number, q: number) => [p, m, d, q].map(bits);
  const z = act([8]);
  const h = act([48]);
  const img = act([3, 4, 4]);
  const padded = act([3, 6, 7]);
  const big = act([3, 9, 10]);
  const near = act([3, 7, 5]);
  const pooled = act([3, 4, 3]);
  const flat = act([36]);
  const scores = act([48]);
  const probs = act([48]);
  const mixed = act([36]);
  const moved = act([36]);
  const out = act([256]);
  const dense = add({ kind: TensorKind.Constant, dtype: DType.F32, dims: [8, 48], data: randomF32(rng, 8 * 48, 0.5) });
  const tail = add({ kind: TensorKind.Constant, dtype: DType.F32, dims: [36, 256], data: randomF32(rng, 36 * 256, 0.3) });
  const decode = [
    { op: Op.Dense, out: h, a: z, b: dense },
    { op: Op.Copy, out: img, a: h },
    { op: Op.Pad, out: padded, a: img, params: [PadMode.Reflect, 1, 2, 0] },
    { op: Op.Resize, out: big, a: padded, params: [ResizeMode.Linear, ...axis(0.5, 1, 1.5, 0.5), ...axis(0, 6, 9, 0)] },
    { op: Op.Resize, out: near, a: big, params: [ResizeMode.RoundPreferCeil, ...axis(0.5, 1, 0.75, 0.5), ...axis(0, 1, 0.5, 0)] },
    { op: Op.Pool, out: pooled, a: near, params: [PoolKind.AvgIncludePad, 3, 3, 2, 2, 1, 1, 1, 1] },
    { op: Op.Copy, out: flat, a: pooled },
    { op: Op.MatMul, out: scores, a: flat, b: flat, params: [3, 4, 3, 4] },
    { op: Op.Softmax, out: probs, a: scores, params: [4] },
    { op: Op.MatMul, out: mixed, a: probs, b: flat, params: [3, 4, 4, 3] },
    { op: Op.Transpose, out: moved, a: mixed, params: [3, 2, 2, 3, 2, 0, 3, 1] },
    { op: Op.Dense, out, a: moved, b: tail, act: Act.Sigmoid },
  ];
  return writeModel(
    { meta: { name: 'spatial-zoo', producer: 'fuzz/corpus.ts' }, tensors,
      entries: [{ kind: EntryKind.Decode, input: z, outputs: [out], ops: decode }] });
}

async function convertFixture(name: string): Promise<Uint8Array> {
  const { bytes } =
    await convert({ encoder: join(FIXTURES, `${name}.encoder.op13.onnx`), decoder: join(FIXTURES, `${name}.decoder.op13.onnx`), name });
  return pinCreatedDate(bytes);
}

/** Token ids [6] -> EMBEDDING [6,4] -> LOG_SOFTMAX (rows of 4) -> ARG_MAX: the sequence ops an ONNX-converted step graph rarely has. */
export function tokenZooBytes(): Uint8Array {
  const rng = new Rng(13);
  const tensors: WTensor[] = [];
  const add = (t: WTensor) => tensors.push(t) - 1;
  const act = (dims: number[]) => add({ kind: TensorKind.Activation, dtype: DType.F32, dims });
  const ids = act([6]);
  const emb = act([24]);
  const logp = act([24]);
  const best = act([6]);
  const table = add({ kind: TensorKind.Constant, dtype: DType.F32, dims: [5, 4], data: randomF32(rng, 20, 2) });
  const decode = [
    { op: Op.Embedding, out: emb, a: ids, b: table },
    { op: Op.LogSoftmax, out: logp, a: emb, params: [4] },
    { op: Op.ArgMax, out: best, a: logp, params: [4] },
  ];
  return writeModel(
    { meta: { name: 'token-zoo', producer: 'fuzz/corpus.ts' }, tensors,
      entries: [{ kind: EntryKind.Decode, input: ids, outputs: [best], ops: decode }] });
}

/** A small sequence VAE (seq-encode, seq-init, seq-step entries) as the converter makes it from the trainer's graphs. */
async function sequenceModelBytes(config: SeqModelConfig): Promise<Uint8Array> {
  const g = buildSeqOnnx(config, seqInitialWeights(config, 5));
  const tokens = ['<pad>', '<bos>', '<eos>', '<unk>', ...'abcdefgh'.slice(0, config.vocabSize - 4)];
  const { bytes } = await convertSequence({ ...g, vocab: { tokens, separator: '', maxTokens: config.maxTokens } });
  return pinCreatedDate(bytes);
}

/**
 * The converter stamps metadata.created with the current time; a fixed date (same length, so no offset
 * moves) makes the corpus, and with it every seeded case, identical from run to run.
 */
export function pinCreatedDate(bytes: Uint8Array): Uint8Array {
  const out = bytes.slice();
  const v = new DataView(out.buffer);
  const [metaOffset, metaLength] = [v.getUint32(20, true), v.getUint32(24, true)];
  const meta = new TextDecoder().decode(out.subarray(metaOffset, metaOffset + metaLength));
  const pinned = meta.replace(/"created":"[0-9T:.\-]+Z"/, (m) => m.replace(/\d/g, '0'));
  out.set(new TextEncoder().encode(pinned), metaOffset);
  refreshChecksum(out);
  return out;
}

/**
 * Builds the corpus. `full` adds the larger conv fixture (0.9 MB): the CI test leaves it out to keep the
 * per-case CRC and run time small.
 */
export async function buildCorpus({ full = false }: { full?: boolean } = {}): Promise<CorpusModel[]> {
  const models: CorpusModel[] = [];
  const zoo = opZooBytes();
  models.push({ name: 'op-zoo f32', bytes: zoo });
  models.push({ name: 'op-zoo f16', bytes: (await quantizeModel(zoo, { mode: 'f16' })).bytes });
  models.push({ name: 'spatial-zoo f32', bytes: spatialZooBytes() });
  models.push({ name: 'token-zoo f32', bytes: tokenZooBytes() });
  const lstm =
    await sequenceModelBytes(
      { kind: 'seq', cell: 'lstm', layers: 1, hidden: 6, latent: 3, embed: 4, bidirectional: true, vocabSize: 8, maxTokens: 6 });
  const gru =
    await sequenceModelBytes(
      { kind: 'seq', cell: 'gru', layers: 2, hidden: 5, latent: 3, embed: 4, bidirectional: false, vocabSize: 7, maxTokens: 5 });
  models.push({ name: 'seq-lstm f32', bytes: lstm });
  models.push({ name: 'seq-gru f32', bytes: gru });
  models.push({ name: 'seq-lstm int8-weights', bytes: pinCreatedDate((await quantizeModel(lstm, { mode: 'int8-weights' })).bytes) });
  models.push({ name: 'seq-gru f16', bytes: pinCreatedDate((await quantizeModel(gru, { mode: 'f16' })).bytes) });
  // int8: LSTM/GRU rows quantized per step (parameter word 14), i8 W and R repacked into panels at load
  models.push({ name: 'seq-lstm int8', bytes: pinCreatedDate((await quantizeModel(lstm, { mode: 'int8' })).bytes) });
  models.push({ name: 'seq-gru int8', bytes: pinCreatedDate((await quantizeModel(gru, { mode: 'int8' })).bytes) });
  const images = calibrationImages(8, 784);
  for (const fixture of full ? ['mixed', 'bn', 'conv'] : ['mixed', 'bn']) {
    if (!existsSync(join(FIXTURES, `${fixture}.encoder.op13.onnx`))) throw new Error(
      `fuzz corpus: fixture ${fixture} is missing in ${FIXTURES}`);
    const f32 = await convertFixture(fixture);
    models.push({ name: `${fixture} f32`, bytes: f32 });
    for (const mode of ['f16', 'int8-weights', 'int8'] as const) {
      models.push({ name: `${fixture} ${mode}`, bytes: (await quantizeModel(f32, { mode, images, latents: 8 })).bytes });
    }
  }
  return models;
}
