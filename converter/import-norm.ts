// Import of the normalisation ops: InstanceNormalization and GroupNormalization (opset 18: scale and bias
// per group; 21: per channel) become a group-norm node on a [C,H,W] value; LayerNormalization (and the
// decomposition import-patterns.ts recognises) a layer-norm node on [rows, size] rows; BatchNormalization (inference)
// a per-channel multiply and add that the passes may fold into the op before it.
import { broadcastShape, broadcastTo, normAxis } from './const-eval.js';
import { actSlot, reshapeTo, type ActGetter, type AttrGetter, type ConstGetter, type Fail, type NodeImport,
  type OptConstGetter, type Slot } from './import-context.js';
import { addValue, elementCount, type Graph } from './ir.js';
import type { OnnxNode } from './onnx-load.js';
import { Act, BinaryKind } from '../runtime/format-constants.js';

export const NORM_OPS = ['InstanceNormalization', 'GroupNormalization', 'LayerNormalization', 'BatchNormalization'];

export function importNormalization(c: NodeImport): Slot[] {
  if (c.node.opType === 'BatchNormalization') return [actSlot(importBatchNorm(c))];
  return [actSlot(importNorm(c.g, c.node, c.ins, c.opset, c.fail, c.act, c.cst, c.optCst, c.attr))];
}

/** Inference BatchNormalization: x * scale / sqrt(var + eps) + (bias - mean * that factor), per channel. */
function importBatchNorm(c: NodeImport): number {
  const { g, node, ins, fail, attr } = c;
  if (attr('training_mode', 0)) fail('training_mode=1 is not supported (inference only)');
  if (node.outputs.slice(1).some((o) => o)) fail('running mean/var outputs are not supported');
  const a = c.act(ins[0], 'X');
  const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => c.cst(ins[i], ['', 'scale', 'B', 'mean', 'var'][i]!).data);
  const eps = attr('epsilon', 1e-5);
  const shape = c.shapeOf(a);
  const C = shape[0] ?? 1;
  if (scale!.length !== C) fail(`scale has ${scale!.length} values for ${C} channels`);
  const mul = new Float32Array(C);
  const add = new Float32Array(C);
  for (let k = 0; k < C; k++) {
    mul[k] = scale![k]! / Math.sqrt(variance![k]! + eps);
    add[k] = bias![k]! - mean![k]! * mul[k]!;
  }
  const chanDims = [C, ...shape.slice(1).map(() => 1)];
  const perChannel = (v: Float32Array) => Float32Array.from(broadcastTo(v, chanDims, shape));
  const t1 = c.newAct(shape, ':bn_scale');
  g.nodes.push({ op: 'binary', kind: BinaryKind.Mul, a, out: t1, name: node.name, b: perChannel(mul), act: Act.None, alpha: 0 });
  const t2 = c.newAct(shape);
  g.nodes.push({ op: 'binary', kind: BinaryKind.Add, a: t1, out: t2, name: node.name, b: perChannel(add), act: Act.None, alpha: 0 });
  return t2;
}

function importNorm(
  g: Graph, node: OnnxNode, ins: (Slot | undefined)[], opset: number, fail: Fail,
  act: ActGetter, cst: ConstGetter, optCst: OptConstGetter, attr: AttrGetter,
): number {
  const x = act(ins[0], 'X');
  const shape = g.values[x]!.shape;
  const eps = attr('epsilon', 1e-5);
  if (!Number.isFinite(eps) || eps < 0) fail(`epsilon ${eps} must be finite and >= 0`);
  if (node.outputs.slice(1).some((o) => o)) fail('the mean / inverse standard deviation outputs are not supported');
  const vector = (i: number, what: string, n: number, fill: number): Float32Array => {
    const t = i === 1 ? cst(ins[i], what) : optCst(ins[i], what);
    if (!t) return new Float32Array(n).fill(fill);
    if (t.data.length !== n) fail(`${what} has ${t.data.length} values, expected ${n}`);
    return Float32Array.from(t.data);
  };

  if (node.opType === 'LayerNormalization') {
    const full = [1, ...shape];
    let axis = normAxis(attr('axis', -1), full.length);
    const axes = node.attrs.get('edgevae_axes') as number[] | undefined;
    if (axes) { // from the decomposition: the reduced axes must be the trailing ones
      const sorted = axes.map((a) => normAxis(a, full.length)).sort((p, q) => p - q);
      if (sorted.some((a, i) => a !== full.length - sorted.length + i)) fail(`mean over axes [${axes}] is not over the trailing axes; not supported`);
      axis = sorted[0]!;
    }
    if (axis <= 0 || axis >= full.length) fail(`axis ${attr('axis', -1)} includes the batch axis or is out of range; not supported`);
    const normDims = full.slice(axis);
    const size = elementCount(normDims);
    const rows = elementCount(shape) / size;
    const affine = (i: number, what: string, fill: number) => {
      const t = i === 1 && !axes ? cst(ins[i], what) : optCst(ins[i], what);
      if (!t) return new Float32Array(size).fill(fill);
      const b = broadcastShape(normDims, t.dims);
      if (!b || b.length !== normDims.length || b.some((d, k) => d !== normDims[k])) fail(`${what} of shape [${t.dims}] does not broadcast to the normalised shape [${normDims}]`);
      return Float32Array.from(broadcastTo(t.data, t.dims, normDims));
    };
    const gamma = affine(1, 'Scale', 1), beta = affine(2, 'B', 0);
    const rowsIn = reshapeTo(g, x, rows === 1 ? [size] : [rows, size], `${node.outputs[0]}:rows`);
    const out = addValue(g, `${node.outputs[0]}:normalised`, g.values[rowsIn]!.shape);
    g.nodes.push({ op: 'layernorm', a: rowsIn, out, name: node.name, size, eps, gamma, beta, act: Act.None, alpha: 0 });
    return reshapeTo(g, out, shape, node.outputs[0]!);
  }

  // Instance and group norm: statistics over [C/groups channels, all spatial positions].
  if (shape.length < 2) fail(`input of per-sample shape [${shape}] has no spatial dims; [N,C,...] with at least one spatial dim is required`);
  const C = shape[0]!;
  let groups = C;
  let gamma: Float32Array, beta: Float32Array;
  if (node.opType === 'GroupNormalization') {
    groups = attr('num_groups', 0);
    if (!Number.isInteger(groups) || groups < 1 || C % groups !== 0) fail(`num_groups ${groups} does not divide the ${C} channels`);
    // opset 18 has one scale and bias per group, opset 21 one per channel
    const perGroup = opset < 21;
    const n = perGroup ? groups : C;
    const s = vector(1, 'scale', n, 1), b = vector(2, 'bias', n, 0);
    const expand = (v: Float32Array) => (perGroup ? Float32Array.from({ length: C }, (_, c) => v[Math.floor(c / (C / groups))]!) : v);
    gamma = expand(s);
    beta = expand(b);
  } else {
    gamma = vector(1, 'scale', C, 1);
    beta = vector(2, 'B', C, 0);
  }
  const as3 = shape.length === 3 ? shape : [C, 1, elementCount(shape.slice(1))];
  const x3 = reshapeTo(g, x, as3, `${node.outputs[0]}:chw`);
  const out = addValue(g, shape.length === 3 ? node.outputs[0]! : `${node.outputs[0]}:normalised`, as3);
  g.nodes.push({ op: 'groupnorm', a: x3, out, name: node.name, groups, eps, gamma, beta, act: Act.None, alpha: 0 });
  return reshapeTo(g, out, shape, node.outputs[0]!);
}
