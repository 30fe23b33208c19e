// Folds a constant elementwise Mul/Div (or, for dense layers, also Add/Sub) that only feeds a layer's
// input into that layer: input normalisation such as `x * 2 - 1` or a Keras Rescaling layer costs
// nothing at run time. Add/Sub is not folded into convolutions: zero padding would then see the offset.
import { Act, BinaryKind } from '../../runtime/format-constants.js';
import type { BinaryNode, ConvNode, DenseNode, Graph } from '../ir.js';
import { foldUntilDone } from './fold-loop.js';
import { perChannel } from './per-channel.js';


export function foldInputAffine(g: Graph): number {
  return foldUntilDone(g, ({ uses }) => {
    for (const b of g.nodes) {
      if (b.op !== 'binary' || typeof b.b === 'number' || b.kind === BinaryKind.PRelu || b.act !== Act.None || g.outputs.includes(b.out)) continue;
      const users = uses.get(b.out) ?? [];
      const p = users[0];
      if (users.length !== 1 || !p || (p.op !== 'dense' && p.op !== 'conv' && p.op !== 'convT') || p.a !== b.out) continue;
      const additive = b.kind === BinaryKind.Add || b.kind === BinaryKind.Sub;
      if (p.op !== 'dense' && additive) continue;
      const v = p.op === 'dense' ? b.b : perChannel(b.b, p.ci);
      if (!v || !v.every(Number.isFinite) || (b.kind === BinaryKind.Div && v.some((s) => s === 0))) continue;
      if (p.op === 'dense') foldIntoDense(p, b, v);
      else scaleConvInputs(p, b.kind === BinaryKind.Div ? v.map((s) => 1 / s) : v);
      p.a = b.a;
      g.nodes.splice(g.nodes.indexOf(b), 1);
      return true;
    }
    return false;
  });
}

/** dense(x op c): Mul/Div scale weight rows; Add/Sub move c·W into the bias. */
function foldIntoDense(p: DenseNode, b: BinaryNode, c: Float32Array): void {
  if (b.kind === BinaryKind.Mul || b.kind === BinaryKind.Div) {
    for (let k = 0; k < p.K; k++) {
      const s = b.kind === BinaryKind.Mul ? c[k]! : 1 / c[k]!;
      for (let m = 0; m < p.M; m++) p.w[k * p.M + m] = p.w[k * p.M + m]! * s;
    }
    return;
  }
  const sign = b.kind === BinaryKind.Add ? 1 : -1;
  const bias = p.bias ?? new Float32Array(p.M);
  for (let m = 0; m < p.M; m++) {
    let acc = 0;
    for (let k = 0; k < p.K; k++) acc += c[k]! * p.w[k * p.M + m]!;
    bias[m] = bias[m]! + sign * acc;
  }
  p.bias = bias;
}

/** conv(x * s) with s per input channel: scale the weights that read channel ci. */
function scaleConvInputs(p: ConvNode, s: Float32Array): void {
  const khw = p.kh * p.kw;
  const ciG = p.ci / p.groups;
  if (p.op === 'conv') {
    // [Co, Ci/G, KH, KW]; output channel co belongs to group floor(co / (Co/G)).
    const coG = p.co / p.groups;
    for (let i = 0; i < p.w.length; i++) {
      const co = Math.floor(i / (ciG * khw));
      const j = Math.floor(i / khw) % ciG;
      p.w[i] = p.w[i]! * s[Math.floor(co / coG) * ciG + j]!;
    }
  } else {
    // [Ci, Co/G, KH, KW]: the first axis is the input channel.
    const per = p.w.length / p.ci;
    for (let i = 0; i < p.w.length; i++) p.w[i] = p.w[i]! * s[Math.floor(i / per)]!;
  }
}
