// Which ops a team splits and how (threaded build, team.ts). An f32 conv or transposed conv (not depthwise)
// is split by output rows inside conv_gather.ts, its activation by element ranges; integer convs by output rows in
// kernels/int8/. Every other op runs on member 0 while the others wait at the barrier: they are cheap next to the
// convs of a decoder, and splitting them would buy little.
import * as F from '../format';
import { opWord, isDepthwise } from '../model';
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

/** True when every member runs op i (computing its share); false when member 0 runs it alone. */
export function splitsAcrossTeam(i: u32): bool {
  const code = opWord(i, 0);
  if (code != F.OP_CONV2D && code != F.OP_CONV_TRANSPOSE) return false;
  return !isDepthwise(i);
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
