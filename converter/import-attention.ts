// Import of the attention pieces. They work on row-major data, so their operands are first viewed as rank-1
// values (the layout pass turns a view of an HWC [C,H,W] value into a LAYOUT op, and collapses LAYOUT pairs):
//   MatMul of two activations -> MATMUL batched over the leading dims;
//   MatMul of rows [..., M, K] with constant weights (a Linear on tokens) -> a 1x1 conv on [K, M, 1];
//   Softmax -> SOFTMAX over the last axis (other axes through transposes);
//   Transpose of any permutation -> TRANSPOSE (one per moved axis above 4 axes).
import { Act, LayoutMode } from '../runtime/format-constants.js';
import { normAxis } from './const-eval.js';
import { reshapeTo, type Fail, type Slot } from './import-context.js';
import { addValue, elementCount, type Graph } from './ir.js';
import type { ConstTensor, OnnxNode } from './onnx-load.js';

const flat = (g: Graph, id: number, name: string) => reshapeTo(g, id, [elementCount(g.values[id]!.shape)], name);

/** Row-major [R, S] -> [S, R] of a rank-1 value (a LAYOUT op, which the layout pass can cancel against its neighbours). */
function transposeRows(g: Graph, a: number, R: number, S: number, name: string, nodeName: string): number {
  const out = addValue(g, name, [R * S]);
  g.nodes.push({ op: 'layout', mode: LayoutMode.ChwToHwc, a, out, C: R, H: 1, W: S, name: nodeName });
  return out;
}

/** MatMul with at least one operand that is not a constant matrix applied to one vector; undefined: leave it to the dense import. */
export function importMatMul(g: Graph, node: OnnxNode, ins: (Slot | undefined)[], fail: Fail): number | undefined {
  const [sa, sb] = ins;
  if (!sa || !sb || sa.kind !== 'act') return undefined;
  const aShape = g.values[sa.id]!.shape;
  const name = node.outputs[0]!;
  if (sb.kind === 'const') {
    const lead = aShape.slice(0, -1);
    if (aShape.length < 2 || lead.every((d) => d === 1) || sb.t.dims.length !== 2) return undefined;
    return rowDense(g, node, sa.id, sb.t, aShape);
  }
  const bShape = g.values[sb.id]!.shape;
  if (aShape.length < 2 || bShape.length < 2) fail(`activation operands of rank ${aShape.length + 1} and ${bShape.length + 1} are not supported (both need a matrix per sample)`);
  const [M, K] = aShape.slice(-2) as [number, number];
  const [Kb, N] = bShape.slice(-2) as [number, number];
  if (K !== Kb) fail(`inner sizes differ: [${aShape}] x [${bShape}]`);
  const leadA = aShape.slice(0, -2), leadB = bShape.slice(0, -2);
  const B = elementCount(leadA);
  if (B !== elementCount(leadB) || leadA.filter((d) => d !== 1).join() !== leadB.filter((d) => d !== 1).join()) {
    fail(`batch dims [${leadA}] and [${leadB}] differ (broadcasting between activations is not supported)`);
  }
  const out = addValue(g, `${name}:flat`, [B * M * N]);
  g.nodes.push({ op: 'matmul', a: flat(g, sa.id, `${name}:a`), b: flat(g, sb.id, `${name}:b`), out, name: node.name, B, M, K, N });
  return reshapeTo(g, out, [...(leadA.length >= leadB.length ? leadA : leadB), M, N], name);
}

/** x [..., M, K] . W [K, N] per row, as a 1x1 conv over the HWC storage of [K, P, 1] (P = all rows). */
function rowDense(g: Graph, node: OnnxNode, a: number, w: ConstTensor, shape: number[]): number {
  const name = node.outputs[0]!;
  const K = shape[shape.length - 1]!;
  const P = elementCount(shape) / K;
  const [Kw, N] = w.dims as [number, number];
  if (Kw !== K) throw new Error(`weight of shape [${w.dims}] does not match input size ${K}`);
  // [P, K] rows -> [K, P] -> [K, P, 1], stored HWC as [P, K] again: the two reorderings cancel in the layout pass.
  const cols = transposeRows(g, flat(g, a, `${name}:rows`), P, K, `${name}:cols`, node.name);
  const img = reshapeTo(g, cols, [K, P, 1], `${name}:img`);
  const conv = addValue(g, `${name}:conv`, [N, P, 1]);
  const weights = new Float32Array(N * K);
  for (let k = 0; k < K; k++) for (let n = 0; n < N; n++) weights[n * K + k] = w.data[k * N + n]!;
  g.nodes.push({
    op: 'conv', a: img, out: conv, name: node.name, w: weights, bias: null, ci: K, co: N, kh: 1, kw: 1,
    sH: 1, sW: 1, padT: 0, padL: 0, dH: 1, dW: 1, groups: 1, act: Act.None, alpha: 0,
  });
  const rows = transposeRows(g, flat(g, conv, `${name}:convflat`), N, P, `${name}:outrows`, node.name);
  return reshapeTo(g, rows, [...shape.slice(0, -1), N], name);
}

/** Softmax (opset >= 13: one axis; earlier: the input coerced to 2D at `axis`). */
export function importSoftmax(g: Graph, node: OnnxNode, x: number, fail: Fail, axisAttr: number | undefined, opset: number): number {
  const shape = g.values[x]!.shape;
  const full = shape.length + 1;
  const axis = normAxis(axisAttr ?? (opset >= 13 ? -1 : 1), full);
  if (axis <= 0 || axis >= full) fail(`axis ${axisAttr} ${axis === 0 ? 'is the batch axis' : 'is out of range'} (not supported)`);
  const name = node.outputs[0]!;
  const n = elementCount(shape);
  const L = opset >= 13 ? shape[axis - 1]! : elementCount(shape.slice(axis - 1));
  let src = flat(g, x, `${name}:in`);
  const inner = opset >= 13 ? elementCount(shape.slice(axis)) : 1;
  const pre = n / (L * inner);
  if (inner > 1) { // bring the axis last: [pre, L, inner] -> [pre, inner, L]
    const t = addValue(g, `${name}:last`, [n]);
    g.nodes.push({ op: 'transpose', a: src, out: t, name: node.name, dims: [1, pre, L, inner], perm: [0, 1, 3, 2] });
    src = t;
  }
  let out = addValue(g, `${name}:flat`, [n]);
  g.nodes.push({ op: 'softmax', a: src, out, name: node.name, L });
  if (inner > 1) {
    const back = addValue(g, `${name}:back`, [n]);
    g.nodes.push({ op: 'transpose', a: out, out: back, name: node.name, dims: [1, pre, inner, L], perm: [0, 1, 3, 2] });
    out = back;
  }
  return reshapeTo(g, out, shape, name);
}

/**
 * Any permutation q of the per-sample axes, on the row-major (rank-1 view) data: one TRANSPOSE for up to 4 axes;
 * above that, one TRANSPOSE per axis moved into place, each [before, between, axis, after] -> [before, axis, between, after].
 */
export function generalTranspose(g: Graph, node: OnnxNode, a: number, q: number[], fail: Fail): number {
  const shape = g.values[a]!.shape;
  const name = node.outputs[0]!;
  const n = elementCount(shape);
  let cur = flat(g, a, `${name}:in`);
  const step = (dims: number[], perm: number[], suffix: string) => {
    const out = addValue(g, `${name}:${suffix}`, [n]);
    g.nodes.push({ op: 'transpose', a: cur, out, name: node.name, dims, perm });
    cur = out;
  };
  if (shape.length <= 4) {
    const pad = 4 - shape.length;
    step([...new Array<number>(pad).fill(1), ...shape], [...Array.from({ length: pad }, (_, i) => i), ...q.map((p) => p + pad)], 'flat');
  } else {
    let order = shape.map((_, i) => i); // input axis at each current position
    for (let k = 0; k < q.length; k++) {
      const i = order.indexOf(q[k]!);
      if (i === k) continue;
      const dims = order.map((ax) => shape[ax]!);
      const size = (from: number, to: number) => elementCount(dims.slice(from, to));
      step([size(0, k), size(k, i), dims[i]!, size(i + 1, dims.length)], [0, 2, 1, 3], `move${k}`);
      order = [...order.slice(0, k), order[i]!, ...order.slice(k, i), ...order.slice(i + 1)];
    }
    if (cur === a) fail('internal: empty permutation');
  }
  return reshapeTo(g, cur, q.map((p) => shape[p]!), name);
}
