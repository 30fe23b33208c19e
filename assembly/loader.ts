// Validates a whole .evae file (docs/format.md "Validation") before anything runs, then allocates
// the arena and the per-tensor address table. After a successful load no kernel can read or write
// outside its tensors: every op's operand kinds, dtypes and shapes were checked against its semantics.
import * as F from './format';
import * as W from './format-fields';
import * as E from './errors';
import { crc32 } from './crc32';
import { allocBytes, inMemory } from './memory';
import {
  setModel, setScratch, setLoaded, entryRecord, ENTRY_INFO_BYTES, tKind, tDtype, tRank, tDim, tOffset, tByteLength, tScale,
  tZeroPoint, tQOffset, tQCount, tCount, opWord, isDepthwise, filePtr, opCode, opOut, opA, opB, opC, opAct, opAlpha, opAlphaBits,
  opKernelH, opKernelW, opStrideH, opStrideW, opPadTop, opPadLeft, opDilationH, opDilationW, opGroups, opNormGroups, opNormEpsilon,
} from './model';
import { convertF16ToF32, halfToFloat } from './kernels/f16';
import { packConvWeights, TAP_BYTES } from './kernels/conv_tile';
import { winogradFits, winogradBytes, packWinogradWeights } from './kernels/conv_winograd';
import { computeOperandsOk, checkQuantWeights } from './kernels/quant_validate';
import { ensureQuantScratch } from './kernels/int8/scratch';
import { prepareQuantWeights, usesQuantWeights } from './kernels/quant_dispatch';
import { dequantizeWeights } from './kernels/dequantize_weights';
import { packDepthwiseWeights } from './kernels/depthwise';
import { useConvGeometryBlock } from './kernels/conv_geometry';
import { setNormScratch } from './kernels/norm';
import { checkSpatialOp } from './kernels/spatial_validate';
import { checkSequenceOp, isSequenceOpcode, packSequenceWeights, recurrentScratchFloats, resetRecurrentChecks }
  from './kernels/recurrent_validate';
import { setRecurrentScratch } from './kernels/recurrent';
import { checkSequenceEntries, noteSequenceWord, prepareSequence } from './sequence';

let detail: i32 = -1;
export function errorDetail(): i32 { return detail; }
function fail(code: i32, index: i32): i32 { detail = index; return code; }

// Header fields kept while validating.
let fileSize: u32 = 0;
let dataStart: u64 = 0;
let dataEnd: u64 = 0;
let arenaPerSample: u32 = 0;
let tensorCount: u32 = 0;
let opCount: u32 = 0;
// Scratch sizes the conv kernels need, gathered from the ops.
let maxTaps: u32 = 0;
let maxChannels: u32 = 0;
let maxNormChannels: u32 = 0;

const MAX_KERNEL_PARAM: u32 = 1 << 16;
const MAX_EXTENT: i64 = 1 << 24;

/** Scratch for the section table: 5 x {u32 offset, pad, u64 length}. */
const sectionTable: usize = memory.data(5 * 16, 16);

@inline function header(p: usize, off: u32): u32 { return load<u32>(p + off); }

function isFinite32(x: f32): bool { return x - x == 0; }

function checkSection(off: u32, len: u64): bool {
  return off % F.ALIGN == 0 && off >= F.HEADER_BYTES && <u64>off + len <= <u64>fileSize;
}

function disjoint(a: u32, la: u64, b: u32, lb: u64): bool {
  if (la == 0 || lb == 0) return true;
  return <u64>a + la <= <u64>b || <u64>b + lb <= <u64>a;
}

function checkHeader(p: usize, len: u32): i32 {
  if (len < F.HEADER_BYTES || !inMemory(p, len)) return fail(E.E_TRUNCATED, -1);
  if (header(p, 0) != F.MAGIC) return fail(E.E_BAD_MAGIC, -1);
  if (header(p, 4) != F.VERSION) return fail(E.E_BAD_VERSION, -1);
  fileSize = header(p, 8);
  if (fileSize != len) return fail(E.E_SIZE_MISMATCH, -1);
  if (crc32(p + 16, len - 16) != header(p, 12)) return fail(E.E_BAD_CHECKSUM, -1);
  tensorCount = header(p, 32);
  opCount = header(p, 48);
  arenaPerSample = header(p, 60);
  if ((header(p, 16) & ~F.FLAG_RELU_U7) != 0 || tensorCount > F.MAX_TENSORS || header(p, 40) > F.MAX_ENTRIES || opCount > F.MAX_OPS ||
      arenaPerSample % F.ALIGN != 0) return fail(E.E_BAD_HEADER, -1);
  // Sections: [offset, length) pairs in header order.
  const offs = sectionTable;
  store<u32>(offs, header(p, 20)); store<u64>(offs, <u64>header(p, 24), 8);
  store<u32>(offs, header(p, 28), 16); store<u64>(offs, <u64>tensorCount * F.TENSOR_BYTES, 24);
  store<u32>(offs, header(p, 36), 32); store<u64>(offs, <u64>header(p, 40) * F.ENTRY_BYTES, 40);
  store<u32>(offs, header(p, 44), 48); store<u64>(offs, <u64>opCount * F.OP_BYTES, 56);
  store<u32>(offs, header(p, 52), 64); store<u64>(offs, <u64>header(p, 56), 72);
  for (let i: u32 = 0; i < 5; i++) {
    const oi = load<u32>(offs + i * 16);
    const li = load<u64>(offs + i * 16, 8);
    if (!checkSection(oi, li)) return fail(E.E_BAD_SECTION, i);
    for (let j: u32 = 0; j < i; j++) {
      if (!disjoint(oi, li, load<u32>(offs + j * 16), load<u64>(offs + j * 16, 8))) return fail(E.E_BAD_SECTION, i);
    }
  }
  dataStart = <u64>header(p, 52);
  dataEnd = dataStart + <u64>header(p, 56);
  return E.OK;
}

function checkTensor(t: u32): i32 {
  const kind = tKind(t);
  const dtype = tDtype(t);
  const rank = tRank(t);
  if (kind > F.KIND_ACTIVATION || dtype >= F.DTYPE_COUNT || rank > 4) return fail(E.E_BAD_TENSOR, t);
  let count: u64 = 1;
  for (let k: u32 = 0; k < 4; k++) {
    const d = tDim(t, k);
    if (k < rank) {
      if (d == 0) return fail(E.E_BAD_DIMS, t);
      count *= d;
      if (count > F.MAX_ELEMENTS) return fail(E.E_BAD_DIMS, t);
    } else if (d != 0) return fail(E.E_BAD_DIMS, t);
  }
  const need = count * F.dtypeSize(dtype);
  const off = tOffset(t);
  const len = tByteLength(t);
  if (kind == F.KIND_CONSTANT) {
    if (<u64>len != need) return fail(E.E_BAD_BYTE_LENGTH, t);
    if (off % F.ALIGN != 0 || <u64>off < dataStart || <u64>off + len > dataEnd) return fail(E.E_TENSOR_OUT_OF_BOUNDS, t);
  } else {
    if (<u64>len < need) return fail(E.E_BAD_BYTE_LENGTH, t);
    if (off % F.ALIGN != 0 || <u64>off + len > <u64>arenaPerSample) return fail(E.E_TENSOR_OUT_OF_BOUNDS, t);
  }
  // Quantization parameters.
  const scale = tScale(t);
  const zp = tZeroPoint(t);
  if (!isFinite32(scale) || scale < 0) return fail(E.E_BAD_QUANTIZATION, t);
  if (dtype == F.DTYPE_I8) {
    if (zp < -128 || zp > 127) return fail(E.E_BAD_QUANTIZATION, t);
  } else if (dtype == F.DTYPE_U8) {
    if (zp < 0 || zp > 255) return fail(E.E_BAD_QUANTIZATION, t);
  } else if (zp != 0) return fail(E.E_BAD_QUANTIZATION, t);
  if ((dtype == F.DTYPE_I8 || dtype == F.DTYPE_U8) && kind == F.KIND_ACTIVATION && !(scale > 0)) return fail(E.E_BAD_QUANTIZATION, t);
  const qOff = tQOffset(t);
  const qCount = tQCount(t);
  if (qCount == 0) {
    if (qOff != 0) return fail(E.E_BAD_QUANTIZATION, t);
  } else {
    // Per-channel scales belong to i8 weights only (as runtime/format.ts requires).
    if (dtype != F.DTYPE_I8 || kind != F.KIND_CONSTANT) return fail(E.E_BAD_QUANTIZATION, t);
    if (qOff % F.ALIGN != 0 || <u64>qOff < dataStart || <u64>qOff + <u64>qCount * 4 > dataEnd) return fail(E.E_BAD_QUANTIZATION, t);
    for (let i: u32 = 0; i < qCount; i++) {
      const s = load<f32>(filePtrForChecks + <usize>qOff + (<usize>i << 2));
      if (!isFinite32(s) || !(s > 0)) return fail(E.E_BAD_QUANTIZATION, t);
    }
  }
  return E.OK;
}

let filePtrForChecks: usize = 0;

@inline function isAct(t: u32, dtype: u32): bool { return tKind(t) == F.KIND_ACTIVATION && tDtype(t) == dtype; }
/** f16 constants are widened to f32 at load, so they count as f32 wherever a float constant is read. */
@inline function isFloatConst(t: u32): bool { return tKind(t) == F.KIND_CONSTANT &&
  (tDtype(t) == F.DTYPE_F32 || tDtype(t) == F.DTYPE_F16); }

function checkEntries(p: usize): i32 {
  const base = p + header(p, 36);
  const n = header(p, 40);
  for (let k: u32 = 0; k < F.ENTRY_COUNT; k++) store<u32>(entryRecord(k) + W.ENTRY_FIELD_OP_COUNT - W.ENTRY_FIELD_OP_START, 0xffffffff);
  let seen: u32 = 0;
  for (let e: u32 = 0; e < n; e++) {
    const r = base + e * F.ENTRY_BYTES;
    const kind = load<u32>(r + W.ENTRY_FIELD_KIND);
    const start = load<u32>(r + W.ENTRY_FIELD_OP_START);
    const count = load<u32>(r + W.ENTRY_FIELD_OP_COUNT);
    const input = load<u32>(r + W.ENTRY_FIELD_INPUT);
    const outCount = load<u32>(r + W.ENTRY_FIELD_OUTPUT_COUNT);
    const out0 = load<u32>(r + W.ENTRY_FIELD_OUTPUT0);
    const out1 = load<u32>(r + W.ENTRY_FIELD_OUTPUT1);
    if (kind >= F.ENTRY_COUNT || (seen & (1 << kind)) != 0) return fail(E.E_BAD_ENTRY, e);
    seen |= 1 << kind;
    if (<u64>start + <u64>count > <u64>opCount) return fail(E.E_BAD_ENTRY, e);
    // encode: mu and logvar; decode: one output (docs/format.md "Entry table").
    const reserved = load<u32>(r, 28);
    if (kind == F.ENTRY_SEQ_ENCODE && reserved != 0) return fail(E.E_BAD_ENTRY, e);
    noteSequenceWord(kind, reserved);
    if (outCount != (kind == F.ENTRY_ENCODE || kind == F.ENTRY_SEQ_ENCODE ? 2 : 1) || (outCount == 1 && out1 != F.NONE)) return fail(
      E.E_BAD_ENTRY, e);
    if (!isIoTensor(input) || !isIoTensor(out0) || (outCount == 2 && !isIoTensor(out1))) return fail(E.E_BAD_ENTRY, e);
    memory.copy(entryRecord(kind), r + W.ENTRY_FIELD_OP_START, ENTRY_INFO_BYTES); // its words opStart..output1
  }
  if (!checkSequenceEntries(seen)) return fail(E.E_BAD_ENTRY, -1);
  return E.OK;
}

/** Entry inputs/outputs: rank-1 f32 activations (ONNX order, docs "Entry table") whose samples are packed. */
function isIoTensor(t: u32): bool {
  return t < tensorCount && isAct(t, F.DTYPE_F32) && tRank(t) == 1 && tByteLength(t) == tCount(t) * 4;
}

function checkWeights(i: u32, b: u32, c: u32, k: u64, m: u32): i32 {
  if (b >= tensorCount || (c != F.NONE && c >= tensorCount)) return fail(E.E_BAD_TENSOR_INDEX, i);
  if (tKind(b) != F.KIND_CONSTANT) return fail(E.E_BAD_OPERAND, i);
  if (tDtype(b) == F.DTYPE_I8) { // int8 kernels (kernels/quant_validate.ts)
    const r = checkQuantWeights(i, b, c, k, m);
    return r == E.OK ? E.OK : fail(r, i);
  }
  if (tDtype(opA(i)) != F.DTYPE_F32) return fail(E.E_BAD_OPERAND, i);
  if (!isFloatConst(b)) return fail(E.E_BAD_OPERAND, i);
  if (<u64>tCount(b) != k * <u64>m) return fail(E.E_SHAPE_MISMATCH, i);
  if (c != F.NONE) {
    if (!isFloatConst(c)) return fail(E.E_BAD_OPERAND, i);
    if (tCount(c) != m) return fail(E.E_SHAPE_MISMATCH, i);
  }
  return E.OK;
}

function checkConv(i: u32, transpose: bool): i32 {
  const a = opA(i);
  const out = opOut(i);
  const kh = opKernelH(i), kw = opKernelW(i), sh = opStrideH(i), sw = opStrideW(i);
  const pt = opPadTop(i), pl = opPadLeft(i), dh = opDilationH(i), dw = opDilationW(i), g = opGroups(i);
  if (kh == 0 || kw == 0 || sh == 0 || sw == 0 || dh == 0 || dw == 0 || g == 0) return fail(E.E_BAD_PARAM, i);
  if (kh > MAX_KERNEL_PARAM || kw > MAX_KERNEL_PARAM || sh > MAX_KERNEL_PARAM || sw > MAX_KERNEL_PARAM ||
      dh > MAX_KERNEL_PARAM || dw > MAX_KERNEL_PARAM) return fail(E.E_BAD_PARAM, i);
  if (!computeOperandsOk(i)) return fail(E.E_BAD_OPERAND, i);
  if (tRank(a) != 3 || tRank(out) != 3) return fail(E.E_SHAPE_MISMATCH, i);
  const ci = tDim(a, 0), h = tDim(a, 1), w = tDim(a, 2);
  const co = tDim(out, 0), oh = tDim(out, 1), ow = tDim(out, 2);
  if (ci % g != 0 || co % g != 0) return fail(E.E_BAD_PARAM, i);
  const effH = <i64>dh * <i64>(kh - 1) + 1;
  const effW = <i64>dw * <i64>(kw - 1) + 1;
  // Bounds that keep every coordinate computation of the conv kernels inside i32.
  if (effH > MAX_EXTENT || effW > MAX_EXTENT || <i64>pt >= effH || <i64>pl >= effW) return fail(E.E_BAD_PARAM, i);
  if (transpose) {
    // oy = iy*s - pad + k*d; full extent (H-1)*s + eff, cropped by pads, grown by output_padding < max(s, d).
    const extraH = <i64>(h - 1) * sh + effH - pt - oh;
    const extraW = <i64>(w - 1) * sw + effW - pl - ow;
    const slackH = <i64>max(sh, dh) - 1, slackW = <i64>max(sw, dw) - 1;
    if (extraH < -slackH || extraH >= effH || extraW < -slackW || extraW >= effW) return fail(E.E_SHAPE_MISMATCH, i);
  } else {
    // Bottom/right padding implied by the output size; negative when the last input rows are unused.
    const padB = <i64>(oh - 1) * sh + effH - h - pt;
    const padR = <i64>(ow - 1) * sw + effW - w - pl;
    if (padB <= -<i64>sh || padB >= effH || padR <= -<i64>sw || padR >= effW) return fail(E.E_SHAPE_MISMATCH, i);
  }
  const r = checkWeights(i, opB(i), opC(i), <u64>kh * kw * (ci / g), co);
  if (r != E.OK) return r;
  if (kh * kw > maxTaps) maxTaps = kh * kw;
  if (ci > maxChannels) maxChannels = ci;
  if (co > maxChannels) maxChannels = co;
  return E.OK;
}

/**
 * GROUP_NORM: f32 [C,H,W] in, f32 [C,H',W'] out of the same count, w7 groups dividing C; gamma and beta rank-1
 * constants of C values. LAYER_NORM: f32 in and out of equal counts, w7 the row size dividing it; gamma and beta
 * of row-size values. Both: w8 epsilon finite and >= 0. Kernel scratch: 24 bytes per channel (row) of the widest.
 */
function checkNorm(i: u32, group: bool): i32 {
  const out = opOut(i), a = opA(i), b = opB(i), c = opC(i), n = opNormGroups(i);
  const eps = opNormEpsilon(i);
  if (b >= tensorCount || c >= tensorCount) return fail(E.E_BAD_TENSOR_INDEX, i);
  if (!isAct(a, F.DTYPE_F32) || !isAct(out, F.DTYPE_F32) || !isFloatConst(b) || !isFloatConst(c)) return fail(E.E_BAD_OPERAND, i);
  if (n == 0 || !isFinite32(eps) || eps < 0) return fail(E.E_BAD_PARAM, i);
  const count = tCount(a);
  let width = n;
  if (group) {
    if (tRank(a) != 3) return fail(E.E_SHAPE_MISMATCH, i);
    width = tDim(a, 0);
  }
  if (count % width != 0 || width % n != 0) return fail(E.E_BAD_PARAM, i);
  if (tCount(out) != count || (group && (tRank(out) != 3 || tDim(out, 0) != width)) ||
      tRank(b) != 1 || tDim(b, 0) != width || tRank(c) != 1 || tDim(c, 0) != width) return fail(E.E_SHAPE_MISMATCH, i);
  if (width > maxNormChannels) maxNormChannels = width;
  return E.OK;
}

/** Clip's alpha word: binary16 min (bits 0..15) and max (bits 16..31), neither NaN, min <= max. */
function clipBoundsOk(bits: u32): bool {
  const lo = halfToFloat(bits & 0xffff), hi = halfToFloat(bits >>> 16);
  return lo <= hi; // false for NaN
}

function checkOp(i: u32): i32 {
  const code = opCode(i);
  const out = opOut(i);
  const a = opA(i);
  const b = opB(i);
  const act = opAct(i);
  const spatial = code >= F.OP_PAD && code <= F.OP_TRANSPOSE;
  if (code < F.OP_DENSE || (code > F.OP_LAYER_NORM && !spatial && !isSequenceOpcode(code)) || act >= F.ACT_COUNT) return fail(
    E.E_UNKNOWN_OPCODE, i);
  if (!isFinite32(opAlpha(i))) return fail(E.E_BAD_PARAM, i);
  if (act == F.ACT_CLIP && !clipBoundsOk(opAlphaBits(i))) return fail(E.E_BAD_PARAM, i);
  if (out >= tensorCount || a >= tensorCount) return fail(E.E_BAD_TENSOR_INDEX, i);
  if (tKind(out) == F.KIND_CONSTANT) return fail(E.E_WRITES_CONSTANT, i);
  if (tKind(a) != F.KIND_ACTIVATION) return fail(E.E_BAD_OPERAND, i);
  const fusable = code == F.OP_DENSE || code == F.OP_CONV2D || code == F.OP_CONV_TRANSPOSE || code == F.OP_UNARY || code == F.OP_BINARY ||
    code == F.OP_GROUP_NORM || code == F.OP_LAYER_NORM;
  if (!fusable && act != F.ACT_NONE) return fail(E.E_BAD_PARAM, i);
  const na = <u64>tCount(a);
  const no = <u64>tCount(out);
  const w7 = opWord(i, 7), w8 = opWord(i, 8), w9 = opWord(i, 9), w10 = opWord(i, 10); // docs/format.md's w7..w10

  if (isSequenceOpcode(code)) { // kernels/recurrent_validate.ts
    const r = checkSequenceOp(i);
    return r == E.OK ? E.OK : fail(r, i);
  }
  if (spatial) { // kernels/spatial_validate.ts
    const r = checkSpatialOp(i);
    return r == E.OK ? E.OK : fail(r, i);
  }
  switch (code) {
    case F.OP_DENSE: {
      if (!computeOperandsOk(i)) return fail(E.E_BAD_OPERAND, i);
      if (b >= tensorCount) return fail(E.E_BAD_TENSOR_INDEX, i);
      if (tRank(b) != 2 || <u64>tDim(b, 0) != na || <u64>tDim(b, 1) != no) return fail(E.E_SHAPE_MISMATCH, i);
      return checkWeights(i, b, opC(i), na, <u32>no);
    }
    case F.OP_CONV2D: return checkConv(i, false);
    case F.OP_CONV_TRANSPOSE: return checkConv(i, true);
    case F.OP_UNARY: {
      if (!isAct(a, F.DTYPE_F32) || !isAct(out, F.DTYPE_F32)) return fail(E.E_BAD_OPERAND, i);
      if (na != no) return fail(E.E_SHAPE_MISMATCH, i);
      return E.OK;
    }
    case F.OP_BINARY: {
      if (b >= tensorCount) return fail(E.E_BAD_TENSOR_INDEX, i);
      if (!isAct(a, F.DTYPE_F32) || !isAct(out, F.DTYPE_F32) || !(isAct(b, F.DTYPE_F32) || isFloatConst(b))) return fail(
        E.E_BAD_OPERAND, i);
      if (w7 > F.BINARY_PRELU || w8 == 0) return fail(E.E_BAD_PARAM, i);
      if (<u64>tCount(b) != <u64>w8 || na % <u64>w8 != 0 || na != no) return fail(E.E_SHAPE_MISMATCH, i);
      return E.OK;
    }
    case F.OP_RESIZE_NEAREST: {
      // f32 -> f32, or i8 -> i8 with the same quantization (the bytes move unchanged)
      const i8 = isAct(a, F.DTYPE_I8) && isAct(out, F.DTYPE_I8) && tScale(a) == tScale(out) && tZeroPoint(a) == tZeroPoint(out);
      if (!i8 && (!isAct(a, F.DTYPE_F32) || !isAct(out, F.DTYPE_F32))) return fail(E.E_BAD_OPERAND, i);
      if (w7 == 0 || w8 == 0) return fail(E.E_BAD_PARAM, i);
      if (tRank(a) != 3 || tRank(out) != 3 || tDim(out, 0) != tDim(a, 0) ||
          <u64>tDim(out, 1) != <u64>tDim(a, 1) * w7 || <u64>tDim(out, 2) != <u64>tDim(a, 2) * w8) return fail(E.E_SHAPE_MISMATCH, i);
      return E.OK;
    }
    case F.OP_CONCAT: {
      if (b >= tensorCount) return fail(E.E_BAD_TENSOR_INDEX, i);
      if (!isAct(a, F.DTYPE_F32) || !isAct(b, F.DTYPE_F32) || !isAct(out, F.DTYPE_F32)) return fail(E.E_BAD_OPERAND, i);
      if (w7 == 0 || w8 == 0 || w9 == 0) return fail(E.E_BAD_PARAM, i);
      if (na != <u64>w7 * w9 || <u64>tCount(b) != <u64>w8 * w9 || no != (<u64>w7 + w8) * w9) return fail(E.E_SHAPE_MISMATCH, i);
      return E.OK;
    }
    case F.OP_SLICE: {
      if (!isAct(a, F.DTYPE_F32) || !isAct(out, F.DTYPE_F32)) return fail(E.E_BAD_OPERAND, i);
      if (w7 == 0 || w9 == 0 || w10 == 0 || <u64>w8 + w9 > <u64>w7) return fail(E.E_BAD_PARAM, i);
      if (na != <u64>w7 * w10 || no != <u64>w9 * w10) return fail(E.E_SHAPE_MISMATCH, i);
      return E.OK;
    }
    case F.OP_LAYOUT: {
      if (!isAct(a, F.DTYPE_F32) || !isAct(out, F.DTYPE_F32)) return fail(E.E_BAD_OPERAND, i);
      if (w7 > F.LAYOUT_HWC_TO_CHW || w8 == 0 || w9 == 0 || w10 == 0) return fail(E.E_BAD_PARAM, i);
      if (na != <u64>w8 * w9 * w10 || no != na) return fail(E.E_SHAPE_MISMATCH, i);
      return E.OK;
    }
    case F.OP_COPY: {
      if (tDtype(a) != tDtype(out)) return fail(E.E_BAD_OPERAND, i);
      if (na != no) return fail(E.E_SHAPE_MISMATCH, i);
      return E.OK;
    }
    case F.OP_QUANTIZE: {
      if (!isAct(a, F.DTYPE_F32) || !(isAct(out, F.DTYPE_I8) || isAct(out, F.DTYPE_U8))) return fail(E.E_BAD_OPERAND, i);
      if (na != no) return fail(E.E_SHAPE_MISMATCH, i);
      return E.OK;
    }
    case F.OP_GROUP_NORM: return checkNorm(i, true);
    case F.OP_LAYER_NORM: return checkNorm(i, false);
    default: { // F.OP_DEQUANTIZE
      if (!(isAct(a, F.DTYPE_I8) || isAct(a, F.DTYPE_U8)) || !isAct(out, F.DTYPE_F32)) return fail(E.E_BAD_OPERAND, i);
      if (na != no) return fail(E.E_SHAPE_MISMATCH, i);
      return E.OK;
    }
  }
}

/** Validates the file at [ptr, ptr+len) and prepares it to run with up to `batch` samples per call. */
export function loadModel(ptr: usize, len: u32, batch: u32): i32 {
  setLoaded(false);
  detail = -1;
  maxTaps = 0;
  maxChannels = 0;
  maxNormChannels = 0;
  resetRecurrentChecks();
  if (batch == 0) return fail(E.E_BAD_BATCH, -1);
  let r = checkHeader(ptr, len);
  if (r != E.OK) return r;
  filePtrForChecks = ptr;
  setModel(ptr, ptr + header(ptr, 28), tensorCount, ptr + header(ptr, 44), batch, 0, 0);
  useConvGeometryBlock(0);
  for (let t: u32 = 0; t < tensorCount; t++) {
    r = checkTensor(t);
    if (r != E.OK) return r;
  }
  r = checkEntries(ptr);
  if (r != E.OK) return r;
  for (let i: u32 = 0; i < opCount; i++) {
    r = checkOp(i);
    if (r != E.OK) return r;
  }
  for (let i: u32 = 0; i < opCount; i++) {
    const b = opB(i);
    if (b != F.NONE && (opCode(i) == F.OP_DENSE || opCode(i) == F.OP_CONV2D || opCode(i) == F.OP_CONV_TRANSPOSE) &&
        usesQuantWeights(i) && !ensureQuantScratch()) return fail(E.E_OUT_OF_MEMORY, i);
  }
  return prepare(ptr, batch);
}

/** True when conv op i reads its weights in a repacked copy (depthwise, Winograd, or Cog not 1, 4 or 8: conv_tile.ts). */
function repacksWeights(i: u32): bool {
  const code = opCode(i);
  if (code != F.OP_CONV2D && code != F.OP_CONV_TRANSPOSE) return false;
  const cog = tDim(opOut(i), 0) / opGroups(i);
  return isDepthwise(i) || winogradOp(i) || !(cog == 1 || cog == 4 || cog == 8);
}

/** True when conv op i runs in kernels/conv_winograd.ts (the same test as kernels/conv.ts). */
function winogradOp(i: u32): bool {
  return winogradFits(opCode(i) == F.OP_CONV_TRANSPOSE, tDim(opA(i), 0), tDim(opOut(i), 0),
    <i32>opKernelH(i), <i32>opKernelW(i), <i32>opStrideH(i), <i32>opStrideW(i), <i32>opPadTop(i), <i32>opPadLeft(i),
    <i32>opDilationH(i), <i32>opDilationW(i), opGroups(i));
}

/** Winograd-transformed copy of conv op i's f32 weights w, with the kernel's scratch after it (1: out of memory). */
function winogradWeights(i: u32, w: usize): usize {
  const transposed = opCode(i) == F.OP_CONV_TRANSPOSE;
  const ci = tDim(opA(i), 0), co = tDim(opOut(i), 0);
  const out = allocBytes(winogradBytes(transposed, ci, co));
  if (out == 0) return 1;
  packWinogradWeights(transposed, w, out, ci, co);
  return out;
}

/** True when op i has i8 weights and f32 activations (int8-weights: dequantized to f32 at load). */
function dequantizesWeights(i: u32): bool {
  const code = opCode(i);
  return (code == F.OP_DENSE || code == F.OP_CONV2D || code == F.OP_CONV_TRANSPOSE) && tDtype(opB(i)) == F.DTYPE_I8 &&
    !usesQuantWeights(i);
}

/**
 * Weights of a DENSE, CONV2D or CONV_TRANSPOSE op i in its kernel's layout (0 for other ops, 1 when out of
 * memory): dense [K, M] as stored; [KH*KW, C] for a depthwise CONV2D; else channel blocks (conv_tile.ts), which
 * equal the format's layout when Cog is 1, 4 or 8. Integer ops get the packed copy of kernels/quant_dispatch.ts;
 * int8-weights ops are first dequantized to f32 (into `scratch` when a repacked copy follows) and then go
 * exactly the way f32 weights go. int8-activation LSTM/GRU ops get their qgemvI8 panels (kernels/recurrent_validate.ts).
 */
function prepareOpWeights(i: u32, addrs: usize, scratch: usize): usize {
  const code = opCode(i);
  if (isSequenceOpcode(code)) return packSequenceWeights(i, addrs);
  if (code != F.OP_DENSE && code != F.OP_CONV2D && code != F.OP_CONV_TRANSPOSE) return 0;
  const b = opB(i);
  let w = <usize>load<u32>(addrs + (<usize>b << 3));
  if (usesQuantWeights(i)) return prepareQuantWeights(i, w);
  const dense = code == F.OP_DENSE;
  const g: u32 = dense ? 1 : opGroups(i);
  const cog = dense ? tDim(b, 1) : tDim(opOut(i), 0) / g;
  const repack = repacksWeights(i);
  if (tDtype(b) == F.DTYPE_I8) {
    const f = repack ? scratch : allocBytes(<usize>tCount(b) * 4);
    if (f == 0) return 1;
    dequantizeWeights(w, filePtr + <usize>tQOffset(b), f, g, tCount(b) / g / cog, cog);
    w = f;
  }
  if (!repack) return w;
  if (winogradOp(i)) return winogradWeights(i, w);
  const cig = tDim(opA(i), 0) / g;
  const taps = opKernelH(i) * opKernelW(i);
  if (isDepthwise(i)) {
    const out = allocBytes(<usize>taps * g * 4);
    if (out == 0) return 1;
    packDepthwiseWeights(w, out, g, taps);
    return out;
  }
  const out = allocBytes(<usize>taps * g * cig * cog * 4);
  if (out == 0) return 1;
  packConvWeights(w, out, g, taps, cig, cog);
  return out;
}

/** Allocates the arena, the address table (widening f16 constants to f32) and the conv scratch. */
function prepare(ptr: usize, batch: u32): i32 {
  const arenaBytes = <u64>arenaPerSample * batch;
  if (arenaBytes > 0x8000_0000) return fail(E.E_OUT_OF_MEMORY, -1);
  const arena = allocBytes(<usize>arenaBytes);
  const addrs = allocBytes(<usize>tensorCount * 8 + 16);
  const taps = allocBytes(<usize>maxTaps * TAP_BYTES + 16);
  const zeros = allocBytes(<usize>maxChannels * 4 + 16);
  const dummy = allocBytes(<usize>maxChannels * 4 + 16);
  const weightTable = allocBytes(<usize>opCount * 4 + 16);
  const norm = allocBytes(<usize>maxNormChannels * 24 + 16); // kernels/norm.ts
  if (arena == 0 || addrs == 0 || taps == 0 || zeros == 0 || dummy == 0 || weightTable == 0 || norm == 0) return fail(
    E.E_OUT_OF_MEMORY, -1);
  setNormScratch(norm);
  const gates = allocBytes(<usize>recurrentScratchFloats * 4 + 16); // kernels/recurrent.ts
  if (gates == 0 || !prepareSequence(batch)) return fail(E.E_OUT_OF_MEMORY, -1);
  setRecurrentScratch(gates);
  // zeros needs no fill: allocBytes hands out fresh memory, which is zero (memory.ts).
  for (let t: u32 = 0; t < tensorCount; t++) {
    let addr: usize;
    let stride: u32 = 0;
    if (tKind(t) == F.KIND_ACTIVATION) {
      addr = arena + <usize>tOffset(t) * batch;
      stride = tByteLength(t);
    } else if (tDtype(t) == F.DTYPE_F16) {
      const n = tCount(t);
      addr = allocBytes(<usize>n * 4);
      if (addr == 0) return fail(E.E_OUT_OF_MEMORY, t);
      convertF16ToF32(ptr + tOffset(t), addr, n);
    } else {
      addr = ptr + tOffset(t);
    }
    store<u32>(addrs + (<usize>t << 3), <u32>addr);
    store<u32>(addrs + (<usize>t << 3), stride, 4);
  }
  // The f32 weights an int8-weights op is dequantized into before repacking: the arena when they fit
  // (it is unused until the first run), else one block of the largest size.
  let dequantBytes: usize = 0;
  for (let i: u32 = 0; i < opCount; i++) {
    if (dequantizesWeights(i) && repacksWeights(i)) dequantBytes = max(dequantBytes, <usize>tCount(opB(i)) * 4);
  }
  const dequantScratch = dequantBytes <= <usize>arenaBytes ? arena : allocBytes(dequantBytes);
  if (dequantScratch == 0) return fail(E.E_OUT_OF_MEMORY, -1);
  for (let i: u32 = 0; i < opCount; i++) {
    const t = prepareOpWeights(i, addrs, dequantScratch);
    if (t == 1) return fail(E.E_OUT_OF_MEMORY, i);
    store<u32>(weightTable + (<usize>i << 2), <u32>t);
  }
  setModel(ptr, ptr + header(ptr, 28), tensorCount, ptr + header(ptr, 44), batch, arena, addrs);
  setScratch(taps, zeros, dummy, weightTable);
  setLoaded(true);
  return E.OK;
}

/** Sizes of the conv scratch the last load allocated (the threaded build gives each team member its own). */
export function loadedMaxTaps(): u32 { return maxTaps; }
export function loadedMaxChannels(): u32 { return maxChannels; }
