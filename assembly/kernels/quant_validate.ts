// Loader rules for DENSE / CONV2D / CONV_TRANSPOSE with i8 weights (docs/format.md "Kernels are chosen by
// dtypes", docs/quantization.md): one positive per-channel scale per output channel, and either
//   int8-weights: f32 input and output, f32/f16 bias, any fused activation, or
//   integer:      i8 input and output, i32 bias, fused activation none, relu or leaky relu;
// channel and reduction counts within the int8 kernels' scratch (MAX_QUANT_CHANNELS).
import * as F from '../format';
import * as E from '../errors';
import { tKind, tDtype, tDim, tCount, tQCount, tensorCount, opCode, opOut, opA, opB, opAct, opGroups } from '../model';
import { MAX_QUANT_CHANNELS } from './int8/scratch';

@inline function isAct(t: u32, dtype: u32): bool { return tKind(t) == F.KIND_ACTIVATION && tDtype(t) == dtype; }
@inline function isConst(t: u32, dtype: u32): bool { return tKind(t) == F.KIND_CONSTANT && tDtype(t) == dtype; }

/** True when op i's input/output dtypes are valid for its weights (f32/f16 weights need f32 activations). */
export function computeOperandsOk(i: u32): bool {
  const out = opOut(i), a = opA(i), b = opB(i);
  if (isAct(a, F.DTYPE_F32) && isAct(out, F.DTYPE_F32)) return true;
  return b < tensorCount && isAct(a, F.DTYPE_I8) && isAct(out, F.DTYPE_I8) && isConst(b, F.DTYPE_I8);
}

/**
 * Checks op i's i8 weights b (already known to be an i8 constant) for reduction size k and m output channels;
 * bias c or NONE. E.OK or an error code (the caller records op i as the detail).
 */
export function checkQuantWeights(i: u32, b: u32, c: u32, k: u64, m: u32): i32 {
  const a = opA(i), act = opAct(i), code = opCode(i);
  if (<u64>tCount(b) != k * <u64>m) return E.E_SHAPE_MISMATCH;
  if (tQCount(b) != m) return E.E_BAD_QUANTIZATION;
  // Reduction per output channel within one tap: dense K, conv Ci/G.
  const reduction: u64 = code == F.OP_DENSE ? k : <u64>(tDim(a, 0) / opGroups(i));
  if (m > MAX_QUANT_CHANNELS || reduction > <u64>MAX_QUANT_CHANNELS) return E.E_UNSUPPORTED;
  const integer = tDtype(a) == F.DTYPE_I8;
  if (integer && act != F.ACT_NONE && act != F.ACT_RELU && act != F.ACT_LEAKY_RELU) return E.E_UNSUPPORTED;
  if (c != F.NONE) {
    const ok = integer ? isConst(c, F.DTYPE_I32) : (isConst(c, F.DTYPE_F32) || isConst(c, F.DTYPE_F16));
    if (!ok) return E.E_BAD_OPERAND;
    if (tCount(c) != m) return E.E_SHAPE_MISMATCH;
  }
  return E.OK;
}
