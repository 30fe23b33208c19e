// Loader checks of the spatial and attention ops (opcodes 20..25), the same rules as runtime/format-spatial.ts
// (docs/format.md "Operand rules"): f32 activations only, shapes that follow from the parameters, and parameter
// bounds that keep every index computation of kernels/spatial.ts and kernels/attention.ts in range.
import * as F from '../format';
import * as E from '../errors';
import { tKind, tDtype, tRank, tDim, tCount, opStream, tensorCount } from '../model';
import { MAX_KERNEL_PARAM, MAX_EXTENT } from '../format-fields';

const MAX_PARAM: u32 = MAX_KERNEL_PARAM;
const MAX_PAD: i64 = <i64>MAX_EXTENT;

function isF32Act(t: u32): bool { return tKind(t) == F.KIND_ACTIVATION && tDtype(t) == F.DTYPE_F32; }
@inline function isFinite32(x: f32): bool { return x - x == 0; }
@inline function inParam(v: u32): bool { return v - 1 < MAX_PARAM; } // 1..2^16 (0 wraps around)
/** Word k of the op at w (the op's address). */
@inline function word(w: usize, k: u32): u32 { return load<u32>(w + (<usize>k << 2)); }

function checkPad(w: usize, a: u32, out: u32): i32 {
  const mode = word(w, 7);
  const pt = <i64><i32>word(w, 8), pl = <i64><i32>word(w, 9);
  if (mode > F.PAD_EDGE || !isFinite32(reinterpret<f32>(word(w, 10)))) return E.E_BAD_PARAM;
  if (pt < -MAX_PAD || pt > MAX_PAD || pl < -MAX_PAD || pl > MAX_PAD) return E.E_BAD_PARAM;
  if (mode == F.PAD_REFLECT) { // one reflection: every pad at most size - 1
    const H = <i64>tDim(a, 1), W = <i64>tDim(a, 2);
    const pb = <i64>tDim(out, 1) - H - pt, pr = <i64>tDim(out, 2) - W - pl;
    if (pt >= H || pb >= H || pl >= W || pr >= W) return E.E_BAD_PARAM;
  }
  return E.OK;
}

function checkResize(w: usize, a: u32, out: u32): i32 {
  if (word(w, 7) > F.RESIZE_CEIL) return E.E_BAD_PARAM;
  for (let k: u32 = 0; k < 8; k++) {
    const v = load<f32>(w + 32 + (<usize>k << 2));
    if (!isFinite32(v)) return E.E_BAD_PARAM;
    // (p, m, d, q) per axis: |p|, |m|, |q| <= 2^16 and d in [2^-16, 2^16], so coordinates stay finite.
    if ((k & 3) == 2 ? v < 1.52587890625e-5 || v > 65536 : abs(v) > 65536) return E.E_BAD_PARAM;
  }
  return E.OK;
}

function checkPool(w: usize, a: u32, out: u32): i32 {
  const kind = word(w, 7);
  const kh = word(w, 8), kw = word(w, 9), sh = word(w, 10), sw = word(w, 11);
  const pt = word(w, 12), pl = word(w, 13), pb = word(w, 14), pr = word(w, 15);
  if (kind > F.POOL_AVG_INCLUDE_PAD || !inParam(kh) || !inParam(kw) || !inParam(sh) || !inParam(sw)) return E.E_BAD_PARAM;
  if (pt >= kh || pl >= kw || pb > MAX_PARAM || pr > MAX_PARAM) return E.E_BAD_PARAM;
  // Implied end padding in [-(s-1), k-1], as for CONV2D: every window overlaps the input.
  const endH = <i64>(tDim(out, 1) - 1) * sh + kh - tDim(a, 1) - pt;
  const endW = <i64>(tDim(out, 2) - 1) * sw + kw - tDim(a, 2) - pl;
  if (endH <= -<i64>sh || endH >= <i64>kh || endW <= -<i64>sw || endW >= <i64>kw) return E.E_SHAPE_MISMATCH;
  return E.OK;
}

function checkMatMul(w: usize, a: u32, out: u32): i32 {
  const b = word(w, 3);
  if (b >= tensorCount) return E.E_BAD_TENSOR_INDEX;
  if (!isF32Act(b)) return E.E_BAD_OPERAND;
  const B = <u64>word(w, 7), M = <u64>word(w, 8), K = <u64>word(w, 9), N = <u64>word(w, 10);
  if (B == 0 || M == 0 || K == 0 || N == 0) return E.E_BAD_PARAM;
  if (<u64>tCount(a) != B * M * K || <u64>tCount(b) != B * K * N || <u64>tCount(out) != B * M * N) return E.E_SHAPE_MISMATCH;
  return E.OK;
}

function checkTranspose(w: usize, a: u32, out: u32): i32 {
  let n: u64 = 1;
  let seen: u32 = 0;
  for (let k: u32 = 0; k < 4; k++) {
    const d = word(w, 7 + k), p = word(w, 11 + k);
    if (d == 0 || p > 3 || (seen & (1 << p)) != 0) return E.E_BAD_PARAM;
    seen |= 1 << p;
    n *= d;
    if (n > <u64>F.MAX_ELEMENTS) return E.E_SHAPE_MISMATCH;
  }
  if (<u64>tCount(a) != n || tCount(out) != tCount(a)) return E.E_SHAPE_MISMATCH;
  return E.OK;
}

/** Checks op i (opcode 20..25) whose out and a indices are in range, out an activation and a an activation. */
export function checkSpatialOp(i: u32): i32 {
  const w = opStream + <usize>i * F.OP_BYTES;
  const code = word(w, 0), out = word(w, 1), a = word(w, 2);
  if (!isF32Act(a) || !isF32Act(out)) return E.E_BAD_OPERAND;
  // PAD, RESIZE, POOL: rank-3 a and out with equal channels
  if (code <= F.OP_POOL && !(tRank(a) == 3 && tRank(out) == 3 && tDim(a, 0) == tDim(out, 0))) return E.E_SHAPE_MISMATCH;
  switch (code) {
    case F.OP_PAD: return checkPad(w, a, out);
    case F.OP_RESIZE: return checkResize(w, a, out);
    case F.OP_POOL: return checkPool(w, a, out);
    case F.OP_MAT_MUL: return checkMatMul(w, a, out);
    case F.OP_SOFTMAX: {
      const L = word(w, 7);
      if (L == 0) return E.E_BAD_PARAM;
      if (tCount(a) % L != 0 || tCount(out) != tCount(a)) return E.E_SHAPE_MISMATCH;
      return E.OK;
    }
    default: return checkTranspose(w, a, out); // F.OP_TRANSPOSE
  }
}
