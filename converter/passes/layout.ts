// Lowers logical reshapes. Rank-3 activations live in HWC order, everything else row-major, so a
// reshape is either free (a view of the same bytes), absorbed by permuting the rows/columns of a
// neighbouring dense layer's weights, or a LAYOUT op that reorders the data.
import { LayoutMode } from '../../runtime/format-constants.js';
import {
  addValue, consumers, elementCount, hwcToChwIndex, rootOf, storedInOnnxOrder, type DenseNode, type Graph, type Node,
} from '../ir.js';

export interface LayoutStats { views: number; permutedDense: number; layoutOps: number }

export function lowerLayout(g: Graph): LayoutStats {
  const stats: LayoutStats = { views: 0, permutedDense: 0, layoutOps: 0 };
  const out: Node[] = [];
  const uses = consumers(g);
  const producer = new Map<number, Node>();
  for (const n of g.nodes) producer.set(n.out, n);
  const view = (id: number, of: number) => { g.values[id]!.viewOf = of; };

  for (const n of g.nodes) {
    if (n.op !== 'reshape') { out.push(n); continue; }
    const from = g.values[n.a]!.shape;
    const to = g.values[n.out]!.shape;
    const fromPlain = storedInOnnxOrder(from);
    const toPlain = storedInOnnxOrder(to);
    if (fromPlain && toPlain) { view(n.out, n.a); stats.views++; continue; }
    const isOutput = (id: number) => g.outputs.includes(id);
    if (!fromPlain && toPlain) {
      // HWC data consumed as a flat vector: let every consuming dense read HWC rows directly.
      const users = uses.get(n.out) ?? [];
      if (users.length > 0 && !isOutput(n.out) && users.every((u) => u.op === 'dense' && u.a === n.out)) {
        const [C, H, W] = from as [number, number, number];
        for (const u of users) permuteDenseRows(u as DenseNode, hwcToChwIndex(C, H, W));
        view(n.out, n.a);
        stats.permutedDense += users.length;
        continue;
      }
      out.push(...toFlat(g, n, n.a, n.out, from, to));
      stats.layoutOps++;
      continue;
    }
    if (fromPlain && !toPlain) {
      // A dense result reshaped to [C,H,W]: have the dense write HWC order directly.
      const p = producer.get(n.a);
      if (p && p.op === 'dense' && (uses.get(n.a)?.length ?? 0) === 1 && !isOutput(n.a) && n.a !== g.input) {
        const [C, H, W] = to as [number, number, number];
        permuteDenseColumns(p, hwcToChwIndex(C, H, W));
        view(n.out, n.a);
        stats.permutedDense++;
        continue;
      }
      out.push(fromFlat(g, n, n.a, n.out, to));
      stats.layoutOps++;
      continue;
    }
    // [C,H,W] -> [C',H',W'] both non-trivial: through the flat CHW order.
    const flat = addValue(g, `${g.values[n.out]!.name}:flat`, [elementCount(from)]);
    out.push(...toFlat(g, n, n.a, flat, from, [elementCount(from)]));
    out.push(fromFlat(g, n, flat, n.out, to));
    stats.layoutOps += 2;
  }
  g.nodes = out;

  return stats;
}

/** Entry outputs must own their storage (not the input's, not another output's): adds COPY ops. */
export function ensureOwnedOutputs(g: Graph): number {
  let copies = 0;
  const taken = new Set([rootOf(g, g.input)]);
  g.outputs = g.outputs.map((o) => {
    if (!taken.has(rootOf(g, o))) { taken.add(rootOf(g, o)); return o; }
    const copy = addValue(g, `${g.values[o]!.name}:copy`, g.values[o]!.shape);
    g.nodes.push({ op: 'copy', a: o, out: copy, name: g.values[o]!.name });
    taken.add(copy);
    copies++;
    return copy;
  });
  return copies;
}

/** LAYOUT HWC -> CHW-flat into a rank-1 value, viewed as `to` when that is not rank 1. */
function toFlat(g: Graph, n: Node, a: number, outId: number, from: number[], to: number[]): Node[] {
  const [C, H, W] = from as [number, number, number];
  let target = outId;
  if (to.length !== 1) {
    target = addValue(g, `${g.values[outId]!.name}:chw`, [elementCount(from)]);
    g.values[outId]!.viewOf = target;
  }
  return [{ op: 'layout', mode: LayoutMode.HwcToChw, a, out: target, C, H, W, name: n.name }];
}

/** LAYOUT CHW-flat -> HWC; the input is viewed as rank 1 first when needed. */
function fromFlat(g: Graph, n: Node, a: number, outId: number, to: number[]): Node {
  const [C, H, W] = to as [number, number, number];
  let src = a;
  if (g.values[a]!.shape.length !== 1) {
    src = addValue(g, `${g.values[a]!.name}:flat`, [elementCount(to)]);
    g.values[src]!.viewOf = a;
  }
  return { op: 'layout', mode: LayoutMode.ChwToHwc, a: src, out: outId, C, H, W, name: n.name };
}

/** The dense input arrives in HWC order: row i of the new weights is row chw[i] of the old. */
function permuteDenseRows(d: DenseNode, chw: Int32Array): void {
  const w = new Float32Array(d.w.length);
  for (let i = 0; i < d.K; i++) w.set(d.w.subarray(chw[i]! * d.M, (chw[i]! + 1) * d.M), i * d.M);
  d.w = w;
}

/** The dense output must be written in HWC order: column i is old column chw[i]. */
function permuteDenseColumns(d: DenseNode, chw: Int32Array): void {
  const w = new Float32Array(d.w.length);
  for (let k = 0; k < d.K; k++) for (let i = 0; i < d.M; i++) w[k * d.M + i] = d.w[k * d.M + chw[i]!]!;
  d.w = w;
  if (d.bias) d.bias = Float32Array.from({ length: d.M }, (_, i) => d.bias![chw[i]!]!);
}
