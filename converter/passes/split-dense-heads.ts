// A dense layer whose result is only cut into pieces (the mu/logvar halves of `chunk`/`split` heads)
// becomes one dense per piece, each computing just its columns straight into the piece's tensor.
import { consumers, type DenseNode, type Graph, type SliceNode } from '../ir.js';

export function splitDenseHeads(g: Graph): number {
  let split = 0;
  const uses = consumers(g);
  for (const d of [...g.nodes]) {
    if (d.op !== 'dense' || g.outputs.includes(d.out) || g.values[d.out]!.shape.length !== 1) continue;
    const users = uses.get(d.out) ?? [];
    if (users.length === 0 || !users.every((u) => u.op === 'slice' && u.a === d.out && u.axis === 0)) continue;
    const heads = (users as SliceNode[]).map((s): DenseNode => {
      const w = new Float32Array(d.K * s.count);
      for (let k = 0; k < d.K; k++) w.set(d.w.subarray(k * d.M + s.start, k * d.M + s.start + s.count), k * s.count);
      return {
        op: 'dense', a: d.a, out: s.out, name: d.name, K: d.K, M: s.count, w,
        bias: d.bias ? d.bias.slice(s.start, s.start + s.count) : null, act: d.act, alpha: d.alpha,
      };
    });
    const at = g.nodes.indexOf(d);
    g.nodes.splice(at, 1, ...heads);
    g.nodes = g.nodes.filter((n) => !users.includes(n));
    split++;
  }
  return split;
}
