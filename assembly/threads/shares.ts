// Which ops a team splits and how (threaded build, team.ts). An f32 conv or transposed conv (not depthwise)
// is split by output rows inside conv_gather.ts, its activation by element ranges; integer convs by output rows in
// kernels/int8/; an f32 dense layer of one sample by 32-column blocks. Every other op runs on member 0 while the others wait at the
// barrier: they are cheap next to the
// convs of a decoder, and splitting them would buy little.
import * as F from '../format';
import { isDepthwise, tensorAddr, opWeights, tDim, opCode, opOut, opA, opB, opC, opAct, opAlpha } from '../model';
import { usesQuantWeights } from '../kernels/quant_dispatch';
import { denseSingle } from '../kernels/dense';
import { applyActivation } from '../kernels/activation';
import { teamControl, teamIndex, shareStart } from '../team';
import { C_WORK_GEN, C_KIND, C_BATCH } from './control';

/** Member 0: posts a run request (entry kind, n samples) and wakes the other members. */
export function wakeTeam(kind: u32, n: u32): void {
  store<u32>(teamControl + C_KIND, kind);
  store<u32>(teamControl + C_BATCH, n);
  atomic.add<i32>(teamControl + C_WORK_GEN, 1); // sequentially consistent: orders the two stores before it
  atomic.notify(teamControl + C_WORK_GEN, -1);
}

/** True when every member runs op i on n samples (computing its share); false when member 0 runs it alone. */
export function splitsAcrossTeam(i: u32, n: u32): bool {
  const code = opCode(i);
  if (code == F.OP_DENSE) return n == 1 && !usesQuantWeights(i);
  if (code != F.OP_CONV2D && code != F.OP_CONV_TRANSPOSE) return false;
  return !isDepthwise(i);
}

/** This member's 32-column blocks of an f32 DENSE op on one sample, and its activation (kernels/dense.ts denseSingle). */
export function denseShare(i: u32): void {
  const out = opOut(i), a = opA(i), b = opB(i), c = opC(i), act = opAct(i);
  const K = tDim(b, 0), M = tDim(b, 1), blocks = <i32>((M + 31) >> 5);
  const m0 = min(M, <u32>shareStart(blocks, teamIndex) << 5), m1 = min(M, <u32>shareStart(blocks, teamIndex + 1) << 5);
  if (m1 <= m0) return;
  const y = tensorAddr(out, 0);
  denseSingle(tensorAddr(a, 0), opWeights(i), c == F.NONE ? 0 : tensorAddr(c, 0), y, K, M, m0, m1);
  // cut at multiples of 32 (the last at M): each element takes the same vector or tail path as with one thread
  if (act != F.ACT_NONE) applyActivation(y + (<usize>m0 << 2), y + (<usize>m0 << 2), m1 - m0, act, opAlpha(i));
}

/**
 * This member's part of an in-place activation of `count` floats at y: ranges cut at multiples of 4 elements, so
 * each element takes the same (vector or scalar tail) path as with one thread.
 */
export function activationShare(y: usize, count: u32, act: u32, alpha: f32): void {
  const quads = <i32>((count + 3) >> 2);
  const a = <u32>shareStart(quads, teamIndex) << 2;
  const b = min(count, <u32>shareStart(quads, teamIndex + 1) << 2);
  if (b > a) applyActivation(y + (<usize>a << 2), y + (<usize>a << 2), b - a, act, alpha);
}
