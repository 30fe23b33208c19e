// Folds a constant Mul/Div/Add/Sub after a group or layer norm (PyTorch's GroupNorm export multiplies by
// gamma and adds beta after the normalisation; LayerNorm decompositions do the same) into the norm's own
// scale and bias, looking through reshapes between them. The constant must be per channel (group norm)
// or repeat with the row length (layer norm).
import { Act, BinaryKind } from '../../runtime/format-constants.js';
import type { Graph, Node } from '../ir.js';
import { foldUntilDone } from './fold-loop.js';
import { perChannel } from './per-channel.js';
import { absorbBinary } from './absorb-binary.js';

export function foldNormAffine(g: Graph): number {
  return foldUntilDone(g, ({ soleUse }) => {
    for (const n of g.nodes) {
      if (n.op !== 'binary' || typeof n.b === 'number' || n.kind === BinaryKind.PRelu) continue;
      const through: Node[] = [];
      let p = g.nodes.find((q) => q.out === n.a);
      while (p?.op === 'reshape' && soleUse(p.out)) {
        through.push(p);
        const a = p.a;
        p = g.nodes.find((q) => q.out === a);
      }
      if (!p || (p.op !== 'groupnorm' && p.op !== 'layernorm') || p.act !== Act.None || !soleUse(p.out)) continue;
      const v = p.op === 'groupnorm' ? perChannel(n.b, p.gamma.length) : periodic(n.b, p.size);
      if (!v || !v.every(Number.isFinite) || (n.kind === BinaryKind.Div && v.some((s) => s === 0))) continue;
      for (let k = 0; k < v.length; k++) {
        if (n.kind === BinaryKind.Add) p.beta[k] = p.beta[k]! + v[k]!;
        else if (n.kind === BinaryKind.Sub) p.beta[k] = p.beta[k]! - v[k]!;
        else {
          const s = n.kind === BinaryKind.Mul ? v[k]! : 1 / v[k]!;
          p.gamma[k] = p.gamma[k]! * s;
          p.beta[k] = p.beta[k]! * s;
        }
      }
      absorbBinary(g, n, p, through[0]);
      return true;
    }
    return false;
  });
}

/** The first `period` values when data[i] == data[i mod period] throughout, else null. */
function periodic(data: Float32Array, period: number): Float32Array | null {
  for (let i = period; i < data.length; i++) if (data[i] !== data[i % period]) return null;
  return data.slice(0, period);
}
