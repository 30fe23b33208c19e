// Rewrites a float model into its quantized variants:
//   f16           dense/conv weights and biases stored as IEEE half (computed in f32)
//   int8-weights  per-output-channel symmetric i8 weights (the runtime dequantizes them once at load); f32 activations and bias
//   int8          the chosen dense/conv ops run on i8 activations with i8 weights and i32 bias; QUANTIZE and
//                 DEQUANTIZE ops are inserted where int8 and float parts meet; relu (the clamp at the output
//                 zero point) and leaky relu (a slope in the requantization) stay fused; other fused
//                 activations run in f32 after a DEQUANTIZE; a nearest resize of an int8 value stays int8
import { Act, DType, EntryKind, Op, RECURRENT_INT8_ACTIVATIONS, TensorKind } from '../../runtime/format-constants.js';
import { ConvWord, OpWord } from '../../format/layout.js';
import type { WEntry, WOp, WTensor } from '../writer.js';
import {
  addActivation, addConstant, bytesOf, constantF32, type EditableModel,
} from './editable-model.js';
import { activationParams, quantizeBias, quantizeWeights, roundHalfAway, toHalfBits, weightChannelOf,
  type QuantParams } from '../../reference/quant-arithmetic.js';
import type { Calibration, Range } from './calibration.js';
import { MAX_QUANT_CHANNELS } from './limits.js';
import { clipBounds } from '../../runtime/clip-bounds.js';

const COMPUTE_OPS = new Set<number>([Op.Dense, Op.Conv2D, Op.ConvTranspose]);
const RECURRENT_OPS = new Set<number>([Op.Lstm, Op.Gru]);
const NONE_TENSOR = 0xffffffff;

/** Tensor indices a sequence op keeps in its parameter words (R, initial h, initial c: docs/format.md "Sequence ops"). */
const paramTensorWords = (op: WOp): number[] => (RECURRENT_OPS.has(op.op) ? [0, 1, 2].filter((k) => op.params![k] !== NONE_TENSOR) : []);
/** Activations the integer kernels apply in their requantization (assembly/kernels/int8/requantize.ts). */
const FUSED_ACTS = new Set<number>([Act.None, Act.Relu, Act.LeakyRelu]);

export const cloneModel = (m: EditableModel): EditableModel => ({
  meta: structuredClone(m.meta),
  tensors: m.tensors.map((t) => ({ ...t, dims: [...t.dims] })),
  entries: m.entries.map((e) =>
    ({ ...e, outputs: [...e.outputs], ops: e.ops.map((o) => ({ ...o, params: o.params ? [...o.params] : undefined })) })),
  arenaPerSample: m.arenaPerSample,
});

/** Groups and output channels per group of a compute op's weights. */
function weightGrouping(m: EditableModel, op: WOp): { groups: number; cog: number; channels: number; cig: number } {
  const w = m.tensors[op.b!]!;
  if (op.op === Op.Dense) return { groups: 1, cog: w.dims[1]!, channels: w.dims[1]!, cig: w.dims[0]! };
  const groups = op.params![ConvWord.Groups - OpWord.Params]!;
  return { groups, cog: w.dims[3]!, channels: w.dims[3]! * groups, cig: w.dims[2]! };
}

function quantizedWeights(m: EditableModel, op: WOp): { b: number; scales: Float32Array } {
  const w = m.tensors[op.b!]!;
  const data = constantF32(w);
  const { groups, cog, channels } = weightGrouping(m, op);
  const { q, scales } = quantizeWeights(data, channels, weightChannelOf(data.length, groups, cog));
  return { b: addConstant(m, DType.I8, w.dims, bytesOf(q), scales), scales };
}

const isFloatConst = (t: WTensor | undefined) => !!t && t.kind === TensorKind.Constant && (t.dtype === DType.F32 || t.dtype === DType.F16);

/** Dense/conv ops (by index within the entry) that the int8 modes can rewrite. */
export function eligibleOps(m: EditableModel, e: WEntry): number[] {
  return e.ops.flatMap((op, i) => {
    if (!COMPUTE_OPS.has(op.op) || !isFloatConst(m.tensors[op.b!])) return [];
    const a = m.tensors[op.a]!;
    if (a.kind !== TensorKind.Activation || a.dtype !== DType.F32) return [];
    const { channels, cig } = weightGrouping(m, op);
    return channels <= MAX_QUANT_CHANNELS && cig <= MAX_QUANT_CHANNELS ? [i] : [];
  });
}

/** `select(kind, op)` limits the rewrite to some ops (per-layer measurements); default every dense/conv op. */
export function toF16(src: EditableModel, select?: (kind: EntryKind, op: number) => boolean): EditableModel {
  const m = cloneModel(src);
  const half = (t: number | undefined) => {
    if (t === undefined || !isFloatConst(m.tensors[t])) return t;
    const v = constantF32(m.tensors[t]!);
    return addConstant(m, DType.F16, m.tensors[t]!.dims, bytesOf(Uint16Array.from(v, toHalfBits)));
  };
  for (const e of m.entries) {
    e.ops.forEach((op, i) => { if (COMPUTE_OPS.has(op.op) && (!select || select(e.kind, i))) { op.b = half(op.b); op.c = half(op.c); } });
    // Sequence ops: embedding tables, recurrent W, R and B.
    for (const op of e.ops) {
      if (op.op === Op.Embedding) op.b = half(op.b);
      if (RECURRENT_OPS.has(op.op)) { op.b = half(op.b); op.c = half(op.c); op.params![0] = half(op.params![0])!; }
    }
  }
  return compact(m);
}

/** `select(kind, op)` limits the rewrite to some ops (per-layer measurements); default all eligible ops. */
export function toInt8Weights(src: EditableModel, select?: (kind: EntryKind, op: number) => boolean): EditableModel {
  const m = cloneModel(src);
  for (const e of m.entries) for (const i of eligibleOps(m, e)) if (!select || select(e.kind, i)) e.ops[i]!.b =
    quantizedWeights(m, e.ops[i]!).b;
  // Recurrent W and R: i8 with one scale per gate column (shared by the directions), kept i8 by the runtime (qgemv).
  const perColumn = (t: number): number => {
    const w = m.tensors[t]!;
    if (!isFloatConst(w)) return t;
    const cols = w.dims[1]!;
    const { q, scales } = quantizeWeights(constantF32(w), cols, (i) => i % cols);
    return addConstant(m, DType.I8, w.dims, bytesOf(q), scales);
  };
  for (const e of m.entries) for (const op of e.ops) {
    if (RECURRENT_OPS.has(op.op)) { op.b = perColumn(op.b!); op.params![0] = perColumn(op.params![0]!); }
  }
  return compact(m);
}

/**
 * The int8 mode of sequence models: int8-weights everywhere, and the LSTM / GRU ops flagged to quantize their input
 * rows to int8 at run time (parameter word 14, docs/format.md "Sequence ops") so their products are integer dot products.
 */
export function toInt8Recurrent(src: EditableModel): EditableModel {
  const m = toInt8Weights(src);
  for (const e of m.entries) for (const op of e.ops) if (RECURRENT_OPS.has(op.op)) op.params![7] = RECURRENT_INT8_ACTIVATIONS;
  return m;
}

/**
 * Storage sources of view tensors: an op operand that no earlier op of the entry wrote and that is not the
 * entry input shares the bytes of the latest earlier op output at the same arena offset (a reshape view).
 */
function viewSources(m: EditableModel, e: WEntry): Map<number, number> {
  const written = new Set<number>([e.input]);
  const src = new Map<number, number>();
  const resolve = (t: number, before: number) => {
    if (written.has(t) || src.has(t) || m.tensors[t]!.kind !== TensorKind.Activation) return;
    for (let j = before - 1; j >= 0; j--) {
      const o = e.ops[j]!.out;
      if (m.tensors[o]!.offset === m.tensors[t]!.offset) { src.set(t, o); return; }
    }
    if (m.tensors[e.input]!.offset === m.tensors[t]!.offset) { src.set(t, e.input); return; }
    throw new Error(`tensor ${t} is read by op ${before} before any op writes it`);
  };
  e.ops.forEach((op, i) => {
    resolve(op.a, i);
    if (op.b !== undefined) resolve(op.b, i);
    written.add(op.out);
  });
  for (const o of e.outputs) resolve(o, e.ops.length);
  return src;
}

/** Rewrites entry `kind` so that the ops at `int8Ops` (indices within the entry) run in full int8. */
export function toInt8(src: EditableModel, kind: EntryKind, int8Ops: Set<number>, calib: Calibration, relu7 = false): EditableModel {
  const m = cloneModel(src);
  const e = m.entries.find((x) => x.kind === kind);
  if (!e) throw new Error(`no entry of kind ${kind}`);
  const views = viewSources(m, e);
  const root = (t: number) => views.get(t) ?? t;
  const rangeOf = (t: number): Range => {
    const r = calib.tensors.get(t) ?? calib.tensors.get(root(t));
    if (!r) throw new Error(`no calibration range for tensor ${t}`);
    return r;
  };
  // Ops whose result stays int8: int8 ops with a fusable activation, and nearest resizes of such results
  // (the bytes move unchanged, so the output keeps the input's scale and zero point).
  const int8Results = new Set<number>();
  const int8Resizes = new Set<number>();
  e.ops.forEach((op, i) => {
    if (int8Ops.has(i) && FUSED_ACTS.has(op.act ?? Act.None)) int8Results.add(op.out);
    else if (op.op === Op.ResizeNearest && int8Results.has(root(op.a))) { int8Resizes.add(i); int8Results.add(op.out); }
  });
  // Which stored values (by root) some float consumer or an entry output needs.
  const floatNeeded = new Set<number>(e.outputs.map(root));
  e.ops.forEach((op, i) => {
    if (int8Ops.has(i) || int8Resizes.has(i)) return;
    floatNeeded.add(root(op.a));
    if (op.b !== undefined && m.tensors[op.b]!.kind === TensorKind.Activation) floatNeeded.add(root(op.b));
  });

  const i8Of = new Map<number, number>();
  const ops: WOp[] = [];
  const int8Input = (t: number): number => {
    const have = i8Of.get(t);
    if (have !== undefined) return have;
    const r = root(t), rootQ = i8Of.get(r);
    let q: number;
    if (rootQ !== undefined) { // a view of an int8 value: same bytes, same parameters, this view's dims
      const rq = m.tensors[rootQ]!;
      q = addActivation(m, m.tensors[t]!, DType.I8, { scale: rq.scale!, zeroPoint: rq.zeroPoint! }, rq.offset);
    } else {
      const range = rangeOf(t);
      q = addActivation(m, m.tensors[t]!, DType.I8, relu7 ? avoidZeroPointZero(activationParams(range.min, range.max), range.min)
        : activationParams(range.min, range.max));
      ops.push({ op: Op.Quantize, out: q, a: t, params: [] });
    }
    i8Of.set(t, q);
    return q;
  };

  e.ops.forEach((op, i) => {
    if (int8Resizes.has(i)) {
      const xq = int8Input(op.a), x = m.tensors[xq]!;
      const oq = addActivation(m, m.tensors[op.out]!, DType.I8, { scale: x.scale!, zeroPoint: x.zeroPoint! });
      ops.push({ ...op, a: xq, out: oq });
      i8Of.set(op.out, oq);
      if (floatNeeded.has(op.out)) ops.push({ op: Op.Dequantize, out: op.out, a: oq, params: [] });
      return;
    }
    if (!int8Ops.has(i)) { ops.push(op); return; }
    const xq = int8Input(op.a);
    const sX = m.tensors[xq]!.scale!;
    const { b, scales } = quantizedWeights(m, op);
    const c = op.c !== undefined
      ? addConstant(m, DType.I32, [scales.length], bytesOf(quantizeBias(constantF32(m.tensors[op.c]!), sX, scales))) : undefined;
    const act = op.act ?? Act.None;
    const fused = FUSED_ACTS.has(act);
    const measured = fused ? rangeOf(op.out) : calib.preActivation.get(i);
    if (!measured) throw new Error(`no calibration range for the result of op ${i}`);
    const range = saturationClip(measured, act, op.alpha ?? 0);
    const outParams: QuantParams = fused && act === Act.Relu ? (relu7 ? reluSevenBitParams(range.max) : activationParams(0, range.max))
      : relu7 ? avoidZeroPointZero(activationParams(range.min, range.max), range.min) : activationParams(range.min, range.max);
    const oq = addActivation(m, m.tensors[op.out]!, DType.I8, outParams);
    ops.push({ ...op, a: xq, b, c, out: oq, act: fused ? act : Act.None, alpha: fused ? op.alpha : 0 });
    if (fused) i8Of.set(op.out, oq);
    if (!fused || floatNeeded.has(op.out)) {
      ops.push({ op: Op.Dequantize, out: op.out, a: oq, params: [] });
      if (!fused) ops.push({ op: Op.Unary, out: op.out, a: op.out, act, alpha: op.alpha ?? 0, params: [] });
    }
  });
  e.ops = ops;
  return compact(m);
}

/**
 * int8-relaxed: a relu result as 7 bits, scale = max / 127 and zero point 0, so the relu clamp at the zero point
 * and the i8 saturation keep every value in 0..127 on every runtime (the operand range that makes
 * i32x4.relaxed_dot_i8x16_i7x16_add_s deterministic; docs/quantization.md "int8-relaxed").
 */
export function reluSevenBitParams(max: number): QuantParams {
  if (!Number.isFinite(max)) throw new Error(`activation range max ${max} is not finite`);
  return { scale: Math.fround(Math.max(max, 1e-8) / 127), zeroPoint: 0 };
}

/**
 * int8-relaxed files promise that zero point 0 means 0..127 (header flag FLAG_RELU_U7), so any other int8
 * activation must not get zero point 0: a signed range that would (min near -128 steps) takes a slightly
 * coarser scale, -min / 127, which gives zero point -1 and still covers the range.
 */
export function avoidZeroPointZero(p: QuantParams, min: number): QuantParams {
  if (p.zeroPoint !== 0) return p;
  const scale = Math.max(p.scale, Math.fround(-Math.min(min, 0) / 127));
  const zeroPoint = -128 - roundHalfAway(Math.min(min, 0) / scale);
  if (zeroPoint === 0) throw new Error(`activation range min ${min}: no int8-relaxed zero point other than 0`);
  return { scale, zeroPoint };
}

/**
 * Pre-activation range for an activation applied in f32 after the int8 op: sigmoid and tanh are flat beyond
 * +-SIGMOID_CLIP / +-TANH_CLIP (they change the output by < 1e-3 there), and clip beyond its bounds, so
 * spending int8 steps on larger logits only coarsens the part of the range that matters.
 */
export const SIGMOID_CLIP = 7;
export const TANH_CLIP = 4;
function saturationClip(r: Range, act: number, alpha: number): Range {
  if (act === Act.Clip) { // values beyond the clip bounds all give the bound
    const [lo, hi] = clipBounds(alpha);
    return { min: Math.max(r.min, Math.min(lo, r.max)), max: Math.min(r.max, Math.max(hi, r.min)) };
  }
  const lim = act === Act.Sigmoid ? SIGMOID_CLIP : act === Act.Tanh ? TANH_CLIP : Infinity;
  return { min: Math.max(r.min, -lim), max: Math.min(r.max, lim) };
}

/** Drops tensors no op or entry refers to (replaced weights) and renumbers the rest. */
export function compact(m: EditableModel): EditableModel {
  const used = new Set<number>();
  for (const e of m.entries) {
    used.add(e.input);
    e.outputs.forEach((o) => used.add(o));
    for (const op of e.ops) {
      for (const t of [op.out, op.a, op.b, op.c, ...paramTensorWords(op).map((k) => op.params![k]!)]) if (t !== undefined) used.add(t);
    }
  }
  const index = new Map<number, number>();
  const tensors: WTensor[] = [];
  m.tensors.forEach((t, i) => { if (used.has(i)) { index.set(i, tensors.length); tensors.push(t); } });
  const re = (t: number) => index.get(t)!;
  const reOpt = (t: number | undefined) => (t === undefined ? undefined : re(t));
  for (const e of m.entries) {
    e.input = re(e.input);
    e.outputs = e.outputs.map(re);
    e.ops = e.ops.map((op) => {
      const params = op.params ? [...op.params] : undefined;
      for (const k of paramTensorWords(op)) params![k] = re(params![k]!);
      return { ...op, out: re(op.out), a: re(op.a), b: reOpt(op.b), c: reOpt(op.c), params };
    });
  }
  m.tensors = tensors;
  return m;
}
