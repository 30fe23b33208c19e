// Fuses an activation into the conv/dense/binary/normalisation op that produces its input, when that op is its only
// consumer: the runtime applies it while the result is still in registers. An elementwise function
// commutes with reshapes and LAYOUT reorderings, so it may also reach back through a chain of those.
import { Act } from '../../runtime/format-constants.js';
import { consumers, type Graph, type Node } from '../ir.js';

const FUSES_INTO = new Set<Node['op']>(['dense', 'conv', 'convT', 'binary', 'groupnorm', 'layernorm']);

export function fuseActivations(g: Graph): number {
  let fused = 0;
  const uses = consumers(g);
  const soleUse = (id: number) => (uses.get(id)?.length ?? 0) === 1 && !g.outputs.includes(id);
  const producer = (id: number) => g.nodes.find((q) => q.out === id);
  for (let i = 0; i < g.nodes.length; i++) {
    const u = g.nodes[i]!;
    if (u.op !== 'unary' || !soleUse(u.a)) continue;
    const between: Node[] = [];
    let p = producer(u.a);
    while (p && (p.op === 'reshape' || p.op === 'layout') && soleUse(p.a)) {
      between.push(p);
      p = producer(p.a);
    }
    if (!p || !FUSES_INTO.has(p.op) || !('act' in p) || p.act !== Act.None) continue;
    p.act = u.act;
    p.alpha = u.alpha;
    if (between.length) between[0]!.out = u.out;
    else p.out = u.out;
    g.nodes.splice(i--, 1);
    fused++;
  }
  return fused;
}
