// x * Sigmoid(x) (SiLU / Swish as PyTorch exports it) -> one SiLU activation, which fuse-activation then
// moves into the conv, dense or normalisation op that produces x.
import { Act, BinaryKind } from '../../runtime/format-constants.js';
import { consumers, type Graph, type UnaryNode } from '../ir.js';

export function fuseSilu(g: Graph): number {
  let fused = 0;
  const uses = consumers(g);
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i]!;
    if (n.op !== 'binary' || n.kind !== BinaryKind.Mul || typeof n.b !== 'number' || n.act !== Act.None) continue;
    for (const [x, s] of [[n.a, n.b], [n.b, n.a]] as const) {
      const sig = g.nodes.find((q): q is UnaryNode => q.out === s && q.op === 'unary');
      if (!sig || sig.act !== Act.Sigmoid || sig.a !== x || uses.get(s)?.length !== 1 || g.outputs.includes(s)) continue;
      g.nodes[i] = { op: 'unary', a: x, out: n.out, name: n.name, act: Act.Silu, alpha: 0 };
      const at = g.nodes.indexOf(sig);
      g.nodes.splice(at, 1);
      if (at < i) i--;
      fused++;
      break;
    }
  }
  return fused;
}
