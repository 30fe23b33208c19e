// Runs one entry op by op over n samples. Tensor t's sample s lives at tensorAddr(t, s)
// (arenaBase + offset*maxBatch + s*byteLength for activations, the file or its f32 widening for constants).
// Weight ops read their weights in kernel layout (model.ts opWeights: f32, also for int8-weights models,
// whose weights the loader dequantized); only integer ops (i8 activations) go to kernels/quant_dispatch.ts.
import * as F from './format';
import * as E from './errors';
import {
  loaded, maxBatch, tensorAddr, opWeights, isDepthwise, tCount, tDim, tDtype, tScale, tZeroPoint, opCode, opOut, opA, opB, opC, opAct,
  opAlpha, opWord, opNormGroups, opNormEpsilon, entryOpStart, entryOpCount, entryInputTensor, entryOutputCount, entryOutputTensor,
} from './model';
import { dense } from './kernels/dense';
import { conv } from './kernels/conv';
import { opConvGeometry } from './kernels/conv_geometry';
import { depthwiseConv2d } from './kernels/depthwise';
import { applyActivation } from './kernels/activation';
import { binary } from './kernels/binary';
import { resizeNearest } from './kernels/resize';
import { concat, slice, layout, copy } from './kernels/tensor_ops';
import { quantize, dequantize } from './kernels/quantize';
import { usesQuantWeights, runQuantDense, runQuantConv } from './kernels/quant_dispatch';
import { groupNorm, layerNorm } from './kernels/norm';
import { runSpatialOp } from './kernels/spatial_dispatch';
import { isSequenceOpcode, runSequenceOp, badToken, clearBadToken } from './kernels/recurrent_validate';
import { inTeam, teamIndex, teamBarrier } from './team';
import { wakeTeam, splitsAcrossTeam, activationShare, denseShare } from './threads/shares';

function hasEntry(kind: u32): bool {
  return loaded && kind < F.ENTRY_COUNT && entryOpCount(kind) != 0xffffffff;
}

export function entryInput(kind: u32): usize {
  return hasEntry(kind) ? tensorAddr(entryInputTensor(kind), 0) : 0;
}

export function entryOutput(kind: u32, k: u32): usize {
  if (!hasEntry(kind) || k >= entryOutputCount(kind)) return 0;
  return tensorAddr(entryOutputTensor(kind, k), 0);
}

export function run(kind: u32, n: u32): i32 {
  if (!loaded) return E.E_NOT_LOADED;
  if (!hasEntry(kind)) return E.E_NO_ENTRY;
  if (n == 0 || n > maxBatch) return E.E_BAD_BATCH;
  const start = entryOpStart(kind);
  const end = start + entryOpCount(kind);
  clearBadToken();
  if (!inTeam()) {
    for (let i = start; i < end; i++) runOp(i, n);
    return badToken ? E.E_BAD_TOKEN : E.OK;
  }
  // threaded build: every member runs the op list; member 0 alone where an op is not split (threads/shares.ts).
  // The members meet before and after each split op; member 0 runs a stretch of unsplit ops without them.
  if (teamIndex == 0) {
    // A run without a split op has no barrier, so nothing would keep member 0 from posting the next request before
    // a member has read this one (C_KIND / C_BATCH): such runs are member 0's alone and do not wake the team.
    let anySplit = false;
    for (let i = start; i < end && !anySplit; i++) anySplit = splitsAcrossTeam(i, n);
    if (!anySplit) {
      for (let i = start; i < end; i++) runOp(i, n);
      return badToken ? E.E_BAD_TOKEN : E.OK;
    }
    wakeTeam(kind, n);
  }
  let split = splitsAcrossTeam(start, n);
  for (let i = start; i < end; i++) {
    if (teamIndex == 0 || split) runOp(i, n);
    const next = i + 1 < end && splitsAcrossTeam(i + 1, n);
    if (split || next) teamBarrier();
    split = next;
  }
  return badToken ? E.E_BAD_TOKEN : E.OK;
}

function runOp(i: u32, n: u32): void {
  const code = opCode(i);
  const out = opOut(i), a = opA(i), b = opB(i), c = opC(i);
  const act = opAct(i);
  const alpha = opAlpha(i);
  const w7 = opWord(i, 7), w8 = opWord(i, 8), w9 = opWord(i, 9), w10 = opWord(i, 10); // docs/format.md's w7..w10
  const outCount = tCount(out);

  if (isSequenceOpcode(code)) { for (let s: u32 = 0; s < n; s++) runSequenceOp(i, s); return; }
  if (code == F.OP_DENSE && usesQuantWeights(i)) { runQuantDense(i, n); return; }
  if (code == F.OP_DENSE && inTeam() && n == 1) { denseShare(i); return; } // threads/shares.ts: split by columns
  if (code == F.OP_DENSE) {
    const x = tensorAddr(a, 0), y = tensorAddr(out, 0);
    dense(x, tensorAddr(a, 1) - x, opWeights(i), c == F.NONE ? 0 : tensorAddr(c, 0), y, tensorAddr(out, 1) - y,
      tDim(b, 0), tDim(b, 1), n);
    if (act != F.ACT_NONE) for (let s: u32 = 0; s < n; s++) applyActivation(tensorAddr(out, s), tensorAddr(out, s), outCount, act, alpha);
    return;
  }
  for (let s: u32 = 0; s < n; s++) {
    const x = tensorAddr(a, s), y = tensorAddr(out, s);
    switch (code) {
      case F.OP_CONV2D:
      case F.OP_CONV_TRANSPOSE: {
        if (usesQuantWeights(i)) {
          runQuantConv(i, s);
          if (inTeam() && s + 1 < n) teamBarrier(); // the next sample reuses the shared input scratch (pairImage)
          break;
        }
        const w = opWeights(i), bias: usize = c == F.NONE ? 0 : tensorAddr(c, 0);
        const geom = opConvGeometry(i);
        const fusedRelu = act == F.ACT_RELU && !isDepthwise(i); // the gather kernels apply relu as they store
        if (isDepthwise(i)) depthwiseConv2d(x, w, bias, y, geom);
        else conv(code == F.OP_CONV_TRANSPOSE, x, w, bias, y, geom, fusedRelu);
        if (fusedRelu) break;
        if (inTeam() && act != F.ACT_NONE && splitsAcrossTeam(i, n)) { teamBarrier(); activationShare(y, outCount, act, alpha); }
        else applyActivation(y, y, outCount, act, alpha);
        break;
      }
      case F.OP_UNARY: applyActivation(x, y, outCount, act, alpha); break;
      case F.OP_BINARY:
        binary(x, tensorAddr(b, s), y, outCount, w8, w7);
        if (act != F.ACT_NONE) applyActivation(y, y, outCount, act, alpha);
        break;
      case F.OP_RESIZE_NEAREST: resizeNearest(x, y, tDim(a, 0), tDim(a, 1), tDim(a, 2), w7, w8, F.dtypeSize(tDtype(a))); break;
      case F.OP_CONCAT: concat(x, tensorAddr(b, s), y, w7, w8, w9); break;
      case F.OP_SLICE: slice(x, y, w7, w8, w9, w10); break;
      case F.OP_LAYOUT: layout(x, y, w7, w8, w9, w10); break;
      case F.OP_COPY: copy(x, y, <usize>outCount * F.dtypeSize(tDtype(out))); break;
      case F.OP_GROUP_NORM:
      case F.OP_LAYER_NORM: {
        const gamma = tensorAddr(b, 0), beta = tensorAddr(c, 0), eps = opNormEpsilon(i), groups = opNormGroups(i);
        if (code == F.OP_GROUP_NORM) groupNorm(x, y, gamma, beta, tDim(a, 0), tDim(a, 1) * tDim(a, 2), groups, eps);
        else layerNorm(x, y, gamma, beta, groups, outCount / groups, eps);
        applyActivation(y, y, outCount, act, alpha);
        break;
      }
      case F.OP_PAD: case F.OP_RESIZE: case F.OP_POOL:
      case F.OP_MAT_MUL: case F.OP_SOFTMAX: case F.OP_TRANSPOSE: runSpatialOp(i, s); break;
      case F.OP_QUANTIZE: quantize(x, y, outCount, tScale(out), tZeroPoint(out), tDtype(out) == F.DTYPE_U8); break;
      default: dequantize(x, y, outCount, tScale(a), tZeroPoint(a), tDtype(a) == F.DTYPE_U8); break;
    }
  }
}
