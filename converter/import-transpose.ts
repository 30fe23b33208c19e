// Import of Transpose on activations. Moving size-1 dims is a reshape; rotating one axis to the end or
// the front (NCHW <-> NHWC, a 2-D matrix transpose) is one LAYOUT op on the flat data; a transpose that
// undoes the previous one gives back its source. Any other permutation of up to 4 axes is a TRANSPOSE op.
import { LayoutMode } from '../runtime/format-constants.js';
import { generalTranspose } from './import-attention.js';
import { reshapeTo, type Fail } from './import-context.js';
import { addValue, elementCount, type Graph } from './ir.js';
import type { OnnxNode } from './onnx-load.js';

/** Remembers which value a transposed value came from (per-sample permutation). */
export interface TransposeOf { src: number; perm: number[] }

export function importTranspose(g: Graph, node: OnnxNode, a: number, permAttr: number[], fail: Fail, transposes: Map<number, TransposeOf>): number {
  const shape = g.values[a]!.shape;
  const rank = shape.length + 1;
  const perm = permAttr.length ? permAttr : Array.from({ length: rank }, (_, i) => rank - 1 - i);
  if (perm.length !== rank || [...perm].sort((x, y) => x - y).some((p, i) => p !== i)) fail(`perm [${perm}] is not a permutation of ${rank} axes`);
  if (perm[0] !== 0) fail(`perm [${perm}] moves the batch axis`);
  const q = perm.slice(1).map((p) => p - 1); // per-sample permutation
  const outShape = q.map((p) => shape[p]!);
  const prev = transposes.get(a);
  if (prev && q.every((p, i) => prev.perm[p] === i)) return prev.src;

  // Order of the non-1 input axes as they appear in the output.
  const big = q.filter((p) => shape[p] !== 1);
  const sorted = [...big].sort((x, y) => x - y);
  const ranks = big.map((p) => sorted.indexOf(p));
  const k = ranks.length;
  const n = elementCount(shape);
  let rows: number;
  if (ranks.every((r, i) => r === i)) {
    return reshapeTo(g, a, outShape, node.outputs[0]!);
  } else if (ranks.every((r, i) => r === (i + 1) % k)) {
    rows = shape[sorted[0]!]!; // first non-1 axis moves to the end
  } else if (ranks.every((r, i) => r === (i + k - 1) % k)) {
    rows = n / shape[sorted[k - 1]!]!; // last non-1 axis moves to the front
  } else {
    return generalTranspose(g, node, a, q, fail);
  }
  // Row-major [rows, n/rows] -> [n/rows, rows] is LAYOUT CHW -> HWC with C = rows, H = 1, W = n/rows.
  const flat = reshapeTo(g, a, [n], `${node.outputs[0]}:in`);
  const out = addValue(g, `${node.outputs[0]}:flat`, [n]);
  g.nodes.push({ op: 'layout', mode: LayoutMode.ChwToHwc, a: flat, out, C: rows, H: 1, W: n / rows, name: node.name });
  const result = reshapeTo(g, out, outShape, node.outputs[0]!);
  transposes.set(result, { src: a, perm: q });
  return result;
}
