// Load-time checks of the sequence ops and entries (docs/format.md "Sequence ops", "Sequence models"), the
// same rules runtime/format-sequence.ts enforces in TypeScript, and the dispatch of those ops at run time.
import * as F from '../format';
import * as E from '../errors';
import { tKind, tDtype, tCount, tRank, tDim, tQCount, tQOffset, opWord, tensorAddr, tensorCount, filePtr, opWeights } from '../model';
import { allocBytes } from '../memory';
import { recurrentLayer, embedding, argmaxRows, logSoftmaxRows, packRecurrentPanels, recurrentPanelBytes } from './recurrent';

/** Floats of gate scratch the widest LSTM/GRU op needs (2*G*H + H, then the int8 row of max(I, H) i16 + pad). */
export let recurrentScratchFloats: u64 = 0;
export function resetRecurrentChecks(): void { recurrentScratchFloats = 0; }

export function isSequenceOpcode(code: u32): bool { return code >= F.OP_EMBEDDING && code <= F.OP_LOG_SOFTMAX; }

@inline function isF32Act(t: u32): bool { return tKind(t) == F.KIND_ACTIVATION && tDtype(t) == F.DTYPE_F32; }
@inline function isFloatConst(t: u32): bool { return tKind(t) == F.KIND_CONSTANT &&
  (tDtype(t) == F.DTYPE_F32 || tDtype(t) == F.DTYPE_F16); }

/** W or R: a float constant, or i8 of rank 2 with one scale per column (int8-weights, kept i8 and run by qgemv). */
function isRecurrentWeight(t: u32): bool {
  if (isFloatConst(t)) return true;
  return tKind(t) == F.KIND_CONSTANT && tDtype(t) == F.DTYPE_I8 && tRank(t) == 2 && tQCount(t) == tDim(t, 1);
}

/** Returns E.OK or an error code for sequence op i (out, a already checked to exist; a is an activation). */
export function checkSequenceOp(i: u32): i32 {
  const code = opWord(i, 0);
  const out = opWord(i, 1), a = opWord(i, 2), b = opWord(i, 3), c = opWord(i, 4);
  if (!isF32Act(a) || !isF32Act(out)) return E.E_BAD_OPERAND;
  const na = <u64>tCount(a), no = <u64>tCount(out);
  const w7 = opWord(i, 7);
  if (code == F.OP_ARG_MAX || code == F.OP_LOG_SOFTMAX) {
    if (b != F.NONE || c != F.NONE) return E.E_BAD_OPERAND;
    for (let k: u32 = 8; k < 16; k++) if (opWord(i, k) != 0) return E.E_BAD_PARAM;
    if (w7 == 0 || na % <u64>w7 != 0) return E.E_BAD_PARAM;
    if (no != (code == F.OP_ARG_MAX ? na / <u64>w7 : na)) return E.E_SHAPE_MISMATCH;
    return E.OK;
  }
  if (code == F.OP_EMBEDDING) {
    for (let k: u32 = 7; k < 16; k++) if (opWord(i, k) != 0) return E.E_BAD_PARAM;
    if (b >= tensorCount || c != F.NONE) return c != F.NONE ? E.E_BAD_OPERAND : E.E_BAD_TENSOR_INDEX;
    if (!isFloatConst(b)) return E.E_BAD_OPERAND;
    if (tRank(b) != 2 || no != na * <u64>tDim(b, 1)) return E.E_SHAPE_MISMATCH;
    return E.OK;
  }
  // LSTM / GRU
  const lstm = code == F.OP_LSTM;
  const r = w7, h0 = opWord(i, 8), c0 = opWord(i, 9), H = opWord(i, 10), dir = opWord(i, 11), T = opWord(i, 12), lbr = opWord(i, 13);
  const int8Act = opWord(i, 14);
  if ((int8Act != 0 && int8Act != F.RECURRENT_INT8_ACTIVATIONS) || opWord(i, 15) != 0) return E.E_BAD_PARAM;
  if (H == 0 || T == 0 || dir > 2 || lbr > 1 || (lstm && lbr != 0)) return E.E_BAD_PARAM;
  if (b >= tensorCount || c >= tensorCount || r >= tensorCount) return E.E_BAD_TENSOR_INDEX;
  if ((h0 != F.NONE && h0 >= tensorCount) || (c0 != F.NONE && c0 >= tensorCount)) return E.E_BAD_TENSOR_INDEX;
  if (!isRecurrentWeight(b) || !isFloatConst(c) || !isRecurrentWeight(r)) return E.E_BAD_OPERAND;
  if (int8Act != 0 && (tDtype(b) != F.DTYPE_I8 || tDtype(r) != F.DTYPE_I8)) return E.E_BAD_OPERAND; // int8 activations: i8 W, R
  if (h0 != F.NONE && !isF32Act(h0)) return E.E_BAD_OPERAND;
  if (c0 != F.NONE && (!lstm || !isF32Act(c0))) return E.E_BAD_OPERAND;
  if (na % <u64>T != 0) return E.E_SHAPE_MISMATCH;
  const I = na / <u64>T;
  const D: u64 = dir == 2 ? 2 : 1;
  const GH: u64 = (lstm ? 4 : 3) * <u64>H;
  if (<u64>tCount(b) != D * I * GH || <u64>tCount(r) != D * <u64>H * GH || <u64>tCount(c) != D * 2 * GH) return E.E_SHAPE_MISMATCH;
  const state = D * <u64>H;
  if ((h0 != F.NONE && <u64>tCount(h0) != state) || (c0 != F.NONE && <u64>tCount(c0) != state)) return E.E_SHAPE_MISMATCH;
  if (no != <u64>T * state + state * (lstm ? 2 : 1)) return E.E_SHAPE_MISMATCH;
  const need = 2 * GH + <u64>H + ((I > <u64>H ? I : <u64>H) >> 1) + 8; // gates, h-sized GRU scratch, int8 row (i16 pairs)
  if (need > recurrentScratchFloats) recurrentScratchFloats = need;
  return E.OK;
}

/** Set when an EMBEDDING op met a token id outside the vocabulary during the current run. */
export let badToken = false;
export function clearBadToken(): void { badToken = false; }

/** The per-column scales of an i8 W / R in the file, 0 for float weights (f32, or f16 widened at load). */
function weightScales(t: u32): usize { return tDtype(t) == F.DTYPE_I8 ? filePtr + <usize>tQOffset(t) : 0; }

/**
 * The qgemvI8 panels of an int8-activation LSTM/GRU op i (kernels/recurrent.ts packRecurrentPanels), packed once at
 * load from its file weights (addresses in addrs); 0 for every other op, 1 when out of memory.
 */
export function packSequenceWeights(i: u32, addrs: usize): usize {
  const code = opWord(i, 0);
  if ((code != F.OP_LSTM && code != F.OP_GRU) || opWord(i, 14) != F.RECURRENT_INT8_ACTIVATIONS) return 0;
  const b = opWord(i, 3), r = opWord(i, 7), H = opWord(i, 10);
  const G: u32 = code == F.OP_LSTM ? 4 : 3, D: u32 = opWord(i, 11) == 2 ? 2 : 1;
  const I = tCount(opWord(i, 2)) / opWord(i, 12);
  const dst = allocBytes(recurrentPanelBytes(I, H, G, D));
  if (dst == 0) return 1;
  packRecurrentPanels(<usize>load<u32>(addrs + (<usize>b << 3)), <usize>load<u32>(addrs + (<usize>r << 3)), I, H, G, D, dst);
  return dst;
}

export function runSequenceOp(i: u32, s: u32): void {
  const code = opWord(i, 0);
  const out = opWord(i, 1), a = opWord(i, 2), b = opWord(i, 3), c = opWord(i, 4), w7 = opWord(i, 7);
  const x = tensorAddr(a, s), y = tensorAddr(out, s);
  if (code == F.OP_EMBEDDING) {
    if (!embedding(x, tensorAddr(b, 0), y, tCount(a), tDim(b, 1), tDim(b, 0))) badToken = true;
  } else if (code == F.OP_ARG_MAX) {
    argmaxRows(x, y, tCount(a) / w7, w7);
  } else if (code == F.OP_LOG_SOFTMAX) {
    logSoftmaxRows(x, y, tCount(a) / w7, w7);
  } else {
    const h0 = opWord(i, 8), c0 = opWord(i, 9), T = opWord(i, 12);
    recurrentLayer(code == F.OP_LSTM, x, T, tCount(a) / T, tensorAddr(b, 0), tensorAddr(w7, 0), tensorAddr(c, 0),
      h0 == F.NONE ? 0 : tensorAddr(h0, s), c0 == F.NONE ? 0 : tensorAddr(c0, s), y, opWord(i, 10), opWord(i, 11), opWord(i, 13) != 0,
      weightScales(b), weightScales(w7), opWord(i, 14) == F.RECURRENT_INT8_ACTIVATIONS ? opWeights(i) : 0);
  }
}
