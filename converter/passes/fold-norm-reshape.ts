// PyTorch exports GroupNorm as Reshape [N,G,-1] -> InstanceNormalization (or the mean/variance decomposition,
// a layer norm over the last axis) -> Reshape back. Normalising G contiguous blocks of a [C,H,W] value in
// ONNX order is a group norm of that value with G groups when G divides C, so the reshapes (LAYOUT ops at
// run time) disappear and the kernel reads the HWC activation directly.
import { consumers, elementCount, type Graph, type GroupNormNode, type LayerNormNode, type Node } from '../ir.js';
import { perChannel } from './per-channel.js';

export function foldNormReshapes(g: Graph): number {
  let folded = 0;
  const uses = consumers(g);
  const producer = (id: number) => g.nodes.find((q) => q.out === id);
  for (let i = 0; i < g.nodes.length; i++) {
    const n = g.nodes[i]!;
    if (n.op !== 'groupnorm' && n.op !== 'layernorm') continue;
    // Farthest [C,H,W] value up the chain of reshapes that feeds n.
    let src: number | undefined;
    for (let v = n.a, p = producer(v); ; p = producer(v)) {
      if (g.values[v]!.shape.length === 3) src = v;
      if (p?.op !== 'reshape') break;
      v = p.a;
    }
    if (src === undefined || src === n.a) continue;
    const shape = g.values[src]!.shape;
    // First value of the same shape down the chain of sole-use reshapes after n.
    const after: Node[] = [];
    let dst: number | undefined;
    for (let v = n.out; ;) {
      const users = uses.get(v) ?? [];
      if (g.outputs.includes(v) || users.length !== 1 || users[0]!.op !== 'reshape') break;
      after.push(users[0]!);
      v = users[0]!.out;
      const s = g.values[v]!.shape;
      if (s.length === 3 && s.every((d, k) => d === shape[k])) { dst = v; break; }
    }
    if (dst === undefined) continue;
    const total = elementCount(shape);
    const blocks = n.op === 'groupnorm' ? n.groups : total / n.size;
    const C = shape[0]!;
    if (C % blocks !== 0) continue;
    const gamma = perChannel(affineByPosition(n, g, 'gamma', total), C);
    const beta = perChannel(affineByPosition(n, g, 'beta', total), C);
    if (!gamma || !beta) continue;
    const fused: GroupNormNode = { op: 'groupnorm', a: src, out: dst, name: n.name, groups: blocks, eps: n.eps, gamma, beta, act: n.act, alpha: n.alpha };
    g.nodes[i] = fused;
    for (const r of after) g.nodes.splice(g.nodes.indexOf(r), 1);
    folded++;
    return folded + foldNormReshapes(g); // the node list changed: start over with fresh consumer lists
  }
  return folded;
}

/** A norm node's gamma or beta for every element of its input, in ONNX order. */
function affineByPosition(n: GroupNormNode | LayerNormNode, g: Graph, which: 'gamma' | 'beta', total: number): Float32Array {
  const v = n[which];
  if (n.op === 'layernorm') return Float32Array.from({ length: total }, (_, i) => v[i % n.size]!);
  const inner = total / g.values[n.a]!.shape[0]!;
  return Float32Array.from({ length: total }, (_, i) => v[Math.floor(i / inner)]!);
}
