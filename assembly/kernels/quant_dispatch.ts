// Executor side of the integer ops (i8 weights and activations): feeds the int8 kernels the tensors'
// quantization parameters (docs/quantization.md). int8-weights ops (f32 activations) are not run here: the
// loader dequantizes their weights to f32 once (kernels/dequantize_weights.ts) and they use the f32 kernels.
import * as F from '../format';
import {
  filePtr, tensorAddr, opWeights, tDim, tDtype, tScale, tZeroPoint, tQOffset, opCode, opOut, opA, opB, opC, opAct, opAlpha, opKernelH,
  opKernelW, opGroups,
} from '../model';
import { opConvGeometry } from './conv_geometry';
import { allocBytes } from '../memory';
import { packWeightsI8, packedBlockBytes, quadBlockBytes, roundUp8 } from './int8/pack';
import { denseI8 } from './int8/dense';
import { convI8, convI8ScratchBytes, usesTapRows } from './int8/conv';
import { usesNarrowConv } from './int8/narrow_conv';
import { ensurePairImage, setQuadInput } from './int8/scratch';
import { prepareRequant, requantTableBytes } from './int8/requantize';

/** True when op i is an integer op: i8 weights and i8 activations (the caller then runs it here). */
export function usesQuantWeights(i: u32): bool {
  const b = opB(i);
  return b != F.NONE && tDtype(b) == F.DTYPE_I8 && tDtype(opA(i)) == F.DTYPE_I8;
}

@inline function scalesOf(b: u32): usize { return filePtr + <usize>tQOffset(b); }
@inline function biasOf(c: u32): usize { return c == F.NONE ? 0 : tensorAddr(c, 0); }
/** Where the packed weights start in an integer op's load-time block (after the requantization table). */
@inline function packedOffset(channels: u32): usize { return (requantTableBytes(channels) + 15) & ~<usize>15; }

/**
 * Relaxed build: op i reads 7-bit activations (header flag FLAG_RELU_U7 and input zero point 0) and runs in a form
 * that has a quad kernel (dense, or the wide conv tiles). Always false in the fixed build.
 */
function usesQuads(i: u32, tapRows: bool, narrow: bool): bool {
  if (!ASC_FEATURE_RELAXED_SIMD) return false;
  // the quad kernels take output channels 16 at a time (per group; dense: M columns)
  const cog = opCode(i) == F.OP_DENSE ? tDim(opB(i), 1) : tDim(opOut(i), 0) / opGroups(i);
  return (load<u32>(filePtr, 16) & F.FLAG_RELU_U7) != 0 && tZeroPoint(opA(i)) == 0 && !tapRows && !narrow &&
    (roundUp8(cog) & 15) == 0;
}

/** Whether conv op i takes the tap-row and the narrow form (kernels/int8/conv.ts, narrow_conv.ts): bits 0 and 1. */
function convForm(i: u32): u32 {
  const a = opA(i), g = opGroups(i), transposed = opCode(i) == F.OP_CONV_TRANSPOSE;
  if (usesTapRows(transposed, tDim(a, 0), g, opKernelH(i), opKernelW(i))) return 1;
  return usesNarrowConv(transposed, tDim(a, 0), g, tDim(opOut(i), 0)) ? 2 : 0;
}

/**
 * Load time, for an integer op: its requantization table (kernels/int8/requantize.ts) followed by the packed
 * copy of its weights (kernels/int8/pack.ts), kept in the op's prepared-weights slot (model.ts opWeights);
 * 0 for other ops, 1 when out of memory. `w` is the weights' address.
 */
export function prepareQuantWeights(i: u32, w: usize): usize {
  const code = opCode(i), a = opA(i), b = opB(i), out = opOut(i);
  if (!usesQuantWeights(i)) return 0;
  const dense = code == F.OP_DENSE;
  const g: u32 = dense ? 1 : opGroups(i);
  const kh = opKernelH(i), kw = opKernelW(i);
  // a tap-row conv (kernels/int8/conv.ts) reduces over all KH*KW*Ci taps at once: one [KH*KW*Ci, Co] block
  const tapRows = !dense && usesTapRows(code == F.OP_CONV_TRANSPOSE, tDim(a, 0), g, kh, kw);
  const blocks: u32 = dense || tapRows ? 1 : g * kh * kw;
  const cig: u32 = dense ? tDim(b, 0) : tapRows ? kh * kw * tDim(a, 0) : tDim(a, 0) / g;
  const cog: u32 = dense ? tDim(b, 1) : tDim(out, 0) / g;
  const channels = cog * g;
  const narrow = !dense && !tapRows && usesNarrowConv(code == F.OP_CONV_TRANSPOSE, tDim(a, 0), g, tDim(out, 0));
  if (!dense && !ensurePairImage(convI8ScratchBytes(code == F.OP_CONV_TRANSPOSE, opConvGeometry(i)))) return 1;
  const quad = usesQuads(i, tapRows, narrow);
  const p =
    allocBytes(packedOffset(channels) + <usize>blocks * (quad ? quadBlockBytes(cig, cog) : packedBlockBytes(cig, cog, narrow)) + 16);
  if (p == 0) return 1;
  prepareRequant(tScale(a), scalesOf(b), tScale(out), channels, p);
  packWeightsI8(w, p + packedOffset(channels), blocks, cig, cog, narrow, quad);
  return p;
}

/** Integer DENSE over n samples. */
export function runQuantDense(i: u32, n: u32): void {
  const out = opOut(i), a = opA(i), b = opB(i), c = opC(i), act = opAct(i), alpha = opAlpha(i);
  const x = tensorAddr(a, 0), y = tensorAddr(out, 0);
  const xStride = tensorAddr(a, 1) - x, yStride = tensorAddr(out, 1) - y;
  const K = tDim(b, 0), M = tDim(b, 1);
  const rq = opWeights(i);
  if (ASC_FEATURE_RELAXED_SIMD) setQuadInput(usesQuads(i, false, false));
  denseI8(x, xStride, tZeroPoint(a), rq + packedOffset(M), rq, biasOf(c), y, yStride, tZeroPoint(out), act, alpha, K, M, n);
}

/** Integer CONV2D / CONV_TRANSPOSE, sample s. */
export function runQuantConv(i: u32, s: u32): void {
  const out = opOut(i), a = opA(i), c = opC(i), act = opAct(i), alpha = opAlpha(i);
  const transposed = opCode(i) == F.OP_CONV_TRANSPOSE;
  const x = tensorAddr(a, s), y = tensorAddr(out, s);
  const rq = opWeights(i);
  if (ASC_FEATURE_RELAXED_SIMD) { const form = convForm(i); setQuadInput(usesQuads(i, (form & 1) != 0, (form & 2) != 0)); }
  const geom = opConvGeometry(i);
  convI8(transposed, x, tZeroPoint(a), rq + packedOffset(<u32>geom.outC), rq, biasOf(c), y, tZeroPoint(out), act, alpha, geom);
}
