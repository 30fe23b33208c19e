// Folds a per-output-channel constant Mul/Div/Add/Sub (e.g. a BatchNormalization) that directly follows
// a conv, transposed conv or dense layer (possibly through a reshape) into that layer's weights and bias.
import { Act, BinaryKind } from '../../runtime/format-constants.js';
import type { ConvNode, DenseNode, Graph, Node } from '../ir.js';
import { foldUntilDone } from './fold-loop.js';
import { perChannel } from './per-channel.js';
import { absorbBinary } from './absorb-binary.js';


export function foldAffine(g: Graph): number {
  return foldUntilDone(g, ({ soleUse }) => {
    for (const n of g.nodes) {
      if (n.op !== 'binary' || typeof n.b === 'number' || n.kind === BinaryKind.PRelu) continue;
      let p = g.nodes.find((q) => q.out === n.a);
      // A dense reshaped to [C,H,W] (decoders) still has one column per element: look through the reshape.
      let through: Node | undefined;
      if (p?.op === 'reshape' && soleUse(p.out)) {
        through = p;
        p = g.nodes.find((q) => q.out === through!.a);
        if (p?.op !== 'dense') continue;
      }
      if (!p || (p.op !== 'dense' && p.op !== 'conv' && p.op !== 'convT') || p.act !== Act.None) continue;
      if (!soleUse(p.out)) continue;
      const channels = p.op === 'dense' ? p.M : p.co;
      const v = perChannel(n.b, channels);
      if (!v || !v.every(Number.isFinite)) continue;
      if (n.kind === BinaryKind.Div && v.some((s) => s === 0)) continue;
      applyAffine(p, n.kind, v);
      absorbBinary(g, n, p, through);
      return true;
    }
    return false;
  });
}

function applyAffine(p: DenseNode | ConvNode, kind: BinaryKind, v: Float32Array): void {
  const channels = v.length;
  const bias = p.bias ?? new Float32Array(channels);
  if (kind === BinaryKind.Add || kind === BinaryKind.Sub) {
    const sign = kind === BinaryKind.Add ? 1 : -1;
    for (let c = 0; c < channels; c++) bias[c] = bias[c]! + sign * v[c]!;
    p.bias = bias;
    return;
  }
  const s = kind === BinaryKind.Mul ? v : v.map((x) => 1 / x);
  const w = p.w;
  if (p.op === 'dense') {
    for (let i = 0; i < w.length; i++) w[i] = w[i]! * s[i % channels]!;
  } else if (p.op === 'conv') {
    const per = w.length / p.co; // [Co, Ci/G, KH, KW]
    for (let i = 0; i < w.length; i++) w[i] = w[i]! * s[Math.floor(i / per)]!;
  } else {
    const coG = p.co / p.groups; // [Ci, Co/G, KH, KW]; output channel = group(ci) * coG + j
    const khw = p.kh * p.kw;
    const ciG = p.ci / p.groups;
    for (let i = 0; i < w.length; i++) {
      const ci = Math.floor(i / (coG * khw));
      const j = Math.floor(i / khw) % coG;
      w[i] = w[i]! * s[Math.floor(ci / ciG) * coG + j]!;
    }
  }
  if (p.bias) for (let c = 0; c < channels; c++) bias[c] = bias[c]! * s[c]!;
}
