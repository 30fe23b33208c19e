// Work between two Transposes that swap the batch with axis k, as the dynamo exporter writes indexing along
// a non-batch axis: x[:, [2, 1, 0]] becomes Transpose(swap 0 and k) -> GatherND -> the same Transpose back.
// When everything between the two is elementwise (activations, arithmetic with a scalar constant) or picks
// along axis 0 (Gather, GatherND with [m, 1] indices, Slice), the Transposes are no-ops per sample: both
// become Identity and each pick moves to axis k, so the batch never moves.
import type { ConstTensor, OnnxNode } from '../onnx-load.js';
import type { GraphView } from './graph-view.js';

const ELEMENTWISE = new Set(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Exp', 'Softplus', 'Elu', 'Identity', 'Neg', 'Abs', 'Sqrt', 'Erf', 'HardSigmoid', 'HardSwish', 'Mish', 'Gelu']);
const SCALAR_ARITH = new Set(['Add', 'Sub', 'Mul', 'Div']);

/** k when perm swaps axis 0 with axis k > 0 and keeps every other axis, else undefined. */
function batchSwap(perm: unknown): number | undefined {
  if (!Array.isArray(perm) || perm.length < 2) return undefined;
  const k = perm[0] as number;
  if (!(k > 0) || perm[k] !== 0) return undefined;
  return perm.every((p, i) => i === 0 || i === k || p === i) ? k : undefined;
}

/** The replacement of a middle node once the batch stays at axis 0 and its axis-0 work moves to axis k; undefined if it cannot. */
function moved(view: GraphView, n: OnnxNode, k: number, added: Map<string, ConstTensor>): OnnxNode | undefined {
  const onlyFirst = n.inputs.length >= 1 && view.producer.has(n.inputs[0]!);
  if (ELEMENTWISE.has(n.opType) && n.inputs.length === 1) return n;
  if (SCALAR_ARITH.has(n.opType) && n.inputs.length === 2) {
    const [a, b] = n.inputs as [string, string];
    const scalarB = view.constant(b)?.data.length === 1, scalarA = view.constant(a)?.data.length === 1;
    return scalarA || scalarB ? n : undefined;
  }
  if (!onlyFirst) return undefined;
  const name = `${n.name}:along${k}`;
  if (n.opType === 'GatherND') {
    const idx = view.constant(n.inputs[1]);
    if (!idx || (n.attrs.get('batch_dims') ?? 0) !== 0 || idx.dims.length !== 2 || idx.dims[1] !== 1) return undefined;
    added.set(name, { dims: [idx.dims[0]!], kind: 'int', data: Float64Array.from(idx.data) });
    return { ...n, opType: 'Gather', inputs: [n.inputs[0]!, name], attrs: new Map([['axis', k]]) };
  }
  if (n.opType === 'Gather') {
    const idx = view.constant(n.inputs[1]);
    if (((n.attrs.get('axis') as number | undefined) ?? 0) !== 0 || !idx || idx.dims.length !== 1) return undefined;
    return { ...n, attrs: new Map([['axis', k]]) };
  }
  if (n.opType === 'Slice') {
    const axes = view.constant(n.inputs[3]);
    if (!axes || axes.data.length !== 1 || axes.data[0] !== 0) return undefined;
    added.set(name, { dims: [1], kind: 'int', data: Float64Array.of(k) });
    return { ...n, inputs: [n.inputs[0]!, n.inputs[1]!, n.inputs[2]!, name, ...(n.inputs[4] ? [n.inputs[4]] : [])] };
  }
  return undefined;
}

export function channelReorder(view: GraphView, node: OnnxNode, added: Map<string, ConstTensor>): Map<OnnxNode, OnnxNode[]> | undefined {
  if (node.opType !== 'Transpose') return undefined;
  const k = batchSwap(node.attrs.get('perm'));
  if (k === undefined) return undefined;
  // Walk back through single-reader nodes to the Transpose that swapped the batch out.
  const chain: OnnxNode[] = [];
  let value = node.inputs[0];
  for (let steps = 0; steps < 16; steps++) {
    if (!value || !view.private(value)) return undefined;
    const p = view.producer.get(value);
    if (!p || (p.domain && p.domain !== 'ai.onnx')) return undefined;
    if (p.opType === 'Transpose') {
      if (batchSwap(p.attrs.get('perm')) !== k) return undefined;
      const local = new Map<string, ConstTensor>();
      const out = new Map<OnnxNode, OnnxNode[]>();
      for (const n of chain) {
        const r = moved(view, n, k, local);
        if (!r) return undefined;
        out.set(n, [r]);
      }
      for (const [name, t] of local) added.set(name, t);
      out.set(p, [{ ...p, opType: 'Identity', attrs: new Map() }]);
      out.set(node, [{ ...node, opType: 'Identity', attrs: new Map() }]);
      return out;
    }
    chain.push(p);
    value = p.inputs[0];
  }
  return undefined;
}
