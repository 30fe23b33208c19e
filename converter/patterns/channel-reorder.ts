// Indexing along a non-batch axis as the dynamo exporter writes it: x[:, [2, 1, 0]] becomes
// Transpose(swap batch and axis k) -> GatherND (or Gather / Slice on axis 0) -> the same Transpose back.
// Per sample that is a Gather (or Slice) on axis k, which the importer supports; the batch never moves.
import type { ConstTensor, OnnxNode } from '../onnx-load.js';
import type { GraphView } from './graph-view.js';

/** k when perm swaps axis 0 with axis k > 0 and keeps every other axis, else undefined. */
function batchSwap(perm: unknown): number | undefined {
  if (!Array.isArray(perm) || perm.length < 2) return undefined;
  const k = perm[0] as number;
  if (!(k > 0) || perm[k] !== 0) return undefined;
  return perm.every((p, i) => i === 0 || i === k || p === i) ? k : undefined;
}

export function channelReorder(view: GraphView, node: OnnxNode, added: Map<string, ConstTensor>): OnnxNode[] | undefined {
  if (node.opType !== 'Transpose') return undefined;
  const k = batchSwap(node.attrs.get('perm'));
  if (k === undefined) return undefined;
  const mid = view.producer.get(node.inputs[0] ?? '');
  if (!mid || !view.private(node.inputs[0]!)) return undefined;
  const first = view.from(mid.inputs[0], 'Transpose');
  if (!first || batchSwap(first.attrs.get('perm')) !== k || !view.private(mid.inputs[0]!)) return undefined;
  const x = first.inputs[0]!;
  const name = `${node.name}:along${k}`;
  if (mid.opType === 'GatherND') {
    const idx = view.constant(mid.inputs[1]);
    if (!idx || (mid.attrs.get('batch_dims') ?? 0) !== 0 || idx.dims.length !== 2 || idx.dims[1] !== 1) return undefined;
    added.set(name, { dims: [idx.dims[0]!], kind: 'int', data: Float64Array.from(idx.data) });
    return [{ ...node, opType: 'Gather', inputs: [x, name], attrs: new Map([['axis', k]]) }];
  }
  if (mid.opType === 'Gather') {
    const axis = (mid.attrs.get('axis') as number | undefined) ?? 0;
    if (axis !== 0 || !view.constant(mid.inputs[1])) return undefined;
    return [{ ...node, opType: 'Gather', inputs: [x, mid.inputs[1]!], attrs: new Map([['axis', k]]) }];
  }
  if (mid.opType === 'Slice') {
    const axes = view.constant(mid.inputs[3]);
    if (!axes || axes.data.length !== 1 || axes.data[0] !== 0) return undefined;
    added.set(name, { dims: [1], kind: 'int', data: Float64Array.of(k) });
    return [{ ...node, opType: 'Slice', inputs: [x, mid.inputs[1]!, mid.inputs[2]!, name, ...(mid.inputs[4] ? [mid.inputs[4]] : [])], attrs: new Map() }];
  }
  return undefined;
}
