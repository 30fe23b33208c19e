// Import of the elementwise ops: pass-throughs (Identity, inference Dropout, float Cast), the classic activations
// (one UNARY node each), the arithmetic Add/Sub/Mul/Div (BINARY, with a constant broadcast per sample) and the
// activations import-activations.ts builds from short chains.
import { Act, BinaryKind } from '../runtime/format-constants.js';
import { broadcastShape, broadcastTo } from './const-eval.js';
import { importActivation } from './import-activations.js';
import { actSlot, type Fail, type NodeImport, type Slot } from './import-context.js';
import { addValue, type Graph } from './ir.js';
import type { ConstTensor, OnnxNode } from './onnx-load.js';

const UNARY_ACT: Record<string, Act> = {
  Relu: Act.Relu, LeakyRelu: Act.LeakyRelu, Sigmoid: Act.Sigmoid, Tanh: Act.Tanh, Exp: Act.Exp, Softplus: Act.Softplus, Elu: Act.Elu,
};
const BINARY_KIND: Record<string, BinaryKind> = { Add: BinaryKind.Add, Sub: BinaryKind.Sub, Mul: BinaryKind.Mul, Div: BinaryKind.Div };
const CHAINED_ACTIVATIONS = ['Gelu', 'PRelu', 'Clip', 'HardSigmoid', 'HardSwish', 'Mish'];

export const ELEMENTWISE_OPS = [
  'Identity', 'Dropout', 'Cast', ...Object.keys(UNARY_ACT), ...Object.keys(BINARY_KIND), ...CHAINED_ACTIVATIONS,
];

export function importElementwise(c: NodeImport): Slot[] {
  const { g, node, ins, fail, attr, act } = c;
  const op = node.opType;
  if (op === 'Identity' || op === 'Dropout') {
    if (op === 'Dropout' && node.outputs.length > 1 && node.outputs[1]) fail('the mask output is not supported');
    if (op === 'Dropout' && ins[2]) {
      const training = ins[2].kind === 'const' ? ins[2].t.data[0] : 1;
      if (training) fail('training_mode=true is not supported (inference only)');
    }
    return [actSlot(act(ins[0], 'X'))];
  }
  if (op === 'Cast') {
    const to = attr('to', 0);
    if (to !== 1) fail(`casting an activation to ONNX type ${to} is not supported (only float32)`);
    return [actSlot(act(ins[0], 'input'))];
  }
  if (op in UNARY_ACT) {
    const a = act(ins[0], 'X');
    const alpha = op === 'LeakyRelu' ? attr('alpha', 0.01) : op === 'Elu' ? attr('alpha', 1) : 0;
    if (!Number.isFinite(alpha)) fail(`alpha ${alpha} is not finite`);
    const out = c.newAct(c.shapeOf(a));
    g.nodes.push({ op: 'unary', a, out, name: node.name, act: UNARY_ACT[op]!, alpha });
    return [actSlot(out)];
  }
  if (op in BINARY_KIND) return [actSlot(importBinary(g, node, ins, fail, c.batch))];
  return [actSlot(importActivation(g, node, ins, c.opset, fail, act, c.cst, c.optCst, attr))];
}

function importBinary(g: Graph, node: OnnxNode, ins: (Slot | undefined)[], fail: Fail, batch: number): number {
  let [sa, sb] = ins;
  if (!sa || !sb) fail('needs two inputs');
  let kind = BINARY_KIND[node.opType]!;
  const push = (a: number, b: number | Float32Array, k: BinaryKind, shape: number[], suffix = '') => {
    const out = addValue(g, node.outputs[0] + suffix, shape);
    g.nodes.push({ op: 'binary', kind: k, a, b, out, name: node.name, act: Act.None, alpha: 0 });
    return out;
  };
  if (sa!.kind === 'act' && sb!.kind === 'act') {
    const a = g.values[sa!.id]!.shape;
    const b = g.values[sb!.id]!.shape;
    if (a.length !== b.length || a.some((d, i) => d !== b[i])) {
      fail(`two activations must have equal shapes, got [${a}] and [${b}] (no broadcasting)`);
    }
    return push(sa!.id, sb!.id, kind, a);
  }
  let negateFirst = false;
  if (sa!.kind === 'const') {
    if (kind === BinaryKind.Add || kind === BinaryKind.Mul) [sa, sb] = [sb, sa];
    else if (kind === BinaryKind.Sub) { [sa, sb] = [sb, sa]; negateFirst = true; kind = BinaryKind.Add; }
    else fail('dividing a constant by an activation is not supported');
  }
  const a = (sa as { id: number }).id;
  const c = (sb as { t: ConstTensor }).t;
  const shape = g.values[a]!.shape;
  const full = [batch, ...shape];
  const bshape = broadcastShape(full, c.dims);
  if (!bshape || bshape.length !== full.length || bshape.some((d, i) => d !== full[i])) {
    fail(`constant of shape [${c.dims}] would broadcast the activation [${full}] to a larger shape`);
  }
  const perSampleDims = c.dims.length === full.length ? c.dims.slice(1) : c.dims;
  if (c.dims.length === full.length && c.dims[0] !== 1) fail(`constant of shape [${c.dims}] varies across the batch`);
  const data = Float32Array.from(broadcastTo(c.data, perSampleDims, shape));
  let x = a;
  if (negateFirst) x = push(a, Float32Array.from({ length: data.length }, () => -1), BinaryKind.Mul, shape, ':neg');
  return push(x, data, kind, shape);
}
