// Loader checks of the spatial and attention ops (opcodes 20..25), the same rules as runtime/format-spatial.ts
// (docs/format.md "Operand rules"): f32 activations only, shapes that follow from the parameters, and parameter
// bounds that keep every index computation of kernels/spatial.ts and kernels/attention.ts in range.
import * as F from '../format';
import * as E from '../errors';
import { tKind, tDtype, tRank, tDim, tCount, opWord, opStream } from '../model';

const MAX_PARAM: u32 = 1 << 16;
const MAX_PAD: i64 = 1 << 24;

@inline function isF32Act(t: u32): bool { return tKind(t) == F.KIND_ACTIVATION && tDtype(t) == F.DTYPE_F32; }
@inline function isFinite32(x: f32): bool { return x - x == 0; }
@inline function inParam(v: u32): bool { return v >= 1 && v <= MAX_PARAM; }

/** Rank-3 a and out with equal channels. */
function sameChannels(a: u32, out: u32): bool { return tRank(a) == 3 && tRank(out) == 3 && tDim(a, 0) == tDim(out, 0); }

function checkPad(i: u32, a: u32, out: u32): i32 {
  if (!sameChannels(a, out)) return E.E_SHAPE_MISMATCH;
  const mode = opWord(i, 7);
  const pt = <i64><i32>opWord(i, 8), pl = <i64><i32>opWord(i, 9);
  if (mode > F.PAD_EDGE || !isFinite32(reinterpret<f32>(opWord(i, 10)))) return E.E_BAD_PARAM;
  if (pt < -MAX_PAD || pt > MAX_PAD || pl < -MAX_PAD || pl > MAX_PAD) return E.E_BAD_PARAM;
  if (mode == F.PAD_REFLECT) { // one reflection: every pad at most size - 1
    const H = <i64>tDim(a, 1), W = <i64>tDim(a, 2);
    const pb = <i64>tDim(out, 1) - H - pt, pr = <i64>tDim(out, 2) - W - pl;
    if (pt >= H || pb >= H || pl >= W || pr >= W) return E.E_BAD_PARAM;
  }
  return E.OK;
}

function checkResize(i: u32, a: u32, out: u32): i32 {
  if (!sameChannels(a, out)) return E.E_SHAPE_MISMATCH;
  if (opWord(i, 7) > F.RESIZE_CEIL) return E.E_BAD_PARAM;
  const prm = opStream + <usize>i * F.OP_BYTES + 32;
  for (let k: u32 = 0; k < 8; k++) {
    const v = load<f32>(prm + (<usize>k << 2));
    if (!isFinite32(v)) return E.E_BAD_PARAM;
    // (p, m, d, q) per axis: |p|, |m|, |q| <= 2^16 and d in [2^-16, 2^16], so coordinates stay finite.
    if ((k & 3) == 2 ? v < 1.52587890625e-5 || v > 65536 : abs(v) > 65536) return E.E_BAD_PARAM;
  }
  return E.OK;
}

function checkPool(i: u32, a: u32, out: u32): i32 {
  if (!sameChannels(a, out)) return E.E_SHAPE_MISMATCH;
  const kind = opWord(i, 7);
  const kh = opWord(i, 8), kw = opWord(i, 9), sh = opWord(i, 10), sw = opWord(i, 11);
  const pt = opWord(i, 12), pl = opWord(i, 13), pb = opWord(i, 14), pr = opWord(i, 15);
  if (kind > F.POOL_AVG_INCLUDE_PAD || !inParam(kh) || !inParam(kw) || !inParam(sh) || !inParam(sw)) return E.E_BAD_PARAM;
  if (pt >= kh || pl >= kw || pb > MAX_PARAM || pr > MAX_PARAM) return E.E_BAD_PARAM;
  // Implied end padding in [-(s-1), k-1], as for CONV2D: every window overlaps the input.
  const endH = <i64>(tDim(out, 1) - 1) * sh + kh - tDim(a, 1) - pt;
  const endW = <i64>(tDim(out, 2) - 1) * sw + kw - tDim(a, 2) - pl;
  if (endH <= -<i64>sh || endH >= <i64>kh || endW <= -<i64>sw || endW >= <i64>kw) return E.E_SHAPE_MISMATCH;
  return E.OK;
}

function checkMatMul(i: u32, a: u32, out: u32): i32 {
  const b = opWord(i, 3);
  if (b >= tCountOfTable()) return E.E_BAD_TENSOR_INDEX;
  if (!isF32Act(b)) return E.E_BAD_OPERAND;
  const B = <u64>opWord(i, 7), M = <u64>opWord(i, 8), K = <u64>opWord(i, 9), N = <u64>opWord(i, 10);
  if (B == 0 || M == 0 || K == 0 || N == 0) return E.E_BAD_PARAM;
  if (<u64>tCount(a) != B * M * K || <u64>tCount(b) != B * K * N || <u64>tCount(out) != B * M * N) return E.E_SHAPE_MISMATCH;
  return E.OK;
}

function checkTranspose(i: u32, a: u32, out: u32): i32 {
  let n: u64 = 1;
  let seen: u32 = 0;
  for (let k: u32 = 0; k < 4; k++) {
    const d = opWord(i, 7 + k), p = opWord(i, 11 + k);
    if (d == 0 || p > 3 || (seen & (1 << p)) != 0) return E.E_BAD_PARAM;
    seen |= 1 << p;
    n *= d;
    if (n > <u64>F.MAX_ELEMENTS) return E.E_SHAPE_MISMATCH;
  }
  if (<u64>tCount(a) != n || tCount(out) != tCount(a)) return E.E_SHAPE_MISMATCH;
  return E.OK;
}

let tableSize: u32 = 0;
@inline function tCountOfTable(): u32 { return tableSize; }

/** Checks op i (opcode 20..25) whose out and a indices are in range, out an activation and a an activation. */
export function checkSpatialOp(i: u32, tensorCount: u32): i32 {
  tableSize = tensorCount;
  const code = opWord(i, 0), out = opWord(i, 1), a = opWord(i, 2);
  if (!isF32Act(a) || !isF32Act(out)) return E.E_BAD_OPERAND;
  switch (code) {
    case F.OP_PAD: return checkPad(i, a, out);
    case F.OP_RESIZE: return checkResize(i, a, out);
    case F.OP_POOL: return checkPool(i, a, out);
    case F.OP_MAT_MUL: return checkMatMul(i, a, out);
    case F.OP_SOFTMAX: {
      const L = opWord(i, 7);
      if (L == 0) return E.E_BAD_PARAM;
      if (tCount(a) % L != 0 || tCount(out) != tCount(a)) return E.E_SHAPE_MISMATCH;
      return E.OK;
    }
    default: return checkTranspose(i, a, out); // F.OP_TRANSPOSE
  }
}
