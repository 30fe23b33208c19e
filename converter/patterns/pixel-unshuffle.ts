// nn.PixelUnshuffle(b) as both PyTorch exporters write it: Reshape to [N, C, H/b, b, W/b, b], Transpose
// [0, 1, 3, 5, 2, 4], Reshape to [N, C*b*b, H/b, W/b]. That is ONNX SpaceToDepth(b) with the output channels
// in another order (PyTorch: c*b*b + i*b + j; SpaceToDepth: (i*b + j)*C + c), so: SpaceToDepth, then a Gather
// of the channels (none when C = 1).
import type { ConstTensor, OnnxNode } from '../onnx-load.js';
import type { GraphView } from './graph-view.js';

const PERM = [0, 1, 3, 5, 2, 4];

export function pixelUnshuffle(view: GraphView, node: OnnxNode, added: Map<string, ConstTensor>): OnnxNode[] | undefined {
  if (node.opType !== 'Reshape') return undefined;
  const outShape = view.constant(node.inputs[1]);
  const tr = view.from(node.inputs[0], 'Transpose');
  if (!outShape || outShape.data.length !== 4 || !tr || !view.private(node.inputs[0]!)) return undefined;
  const perm = tr.attrs.get('perm') as number[] | undefined;
  if (!perm || perm.length !== 6 || perm.some((p, i) => p !== PERM[i])) return undefined;
  const first = view.from(tr.inputs[0], 'Reshape');
  const split = view.constant(first?.inputs[1]);
  if (!first || !split || split.data.length !== 6 || !view.private(tr.inputs[0]!)) return undefined;
  const [, C, h, b, w, b2] = Array.from(split.data) as [number, number, number, number, number, number];
  const [, Co, ho, wo] = Array.from(outShape.data) as [number, number, number, number];
  if (!(b >= 1) || b !== b2 || !(C >= 1) || Co !== C * b * b || ho !== h || wo !== w) return undefined;
  const x = first.inputs[0]!;
  const s2d: OnnxNode = { ...node, name: `${node.name}:space_to_depth`, opType: 'SpaceToDepth', inputs: [x], outputs: [node.outputs[0]!], attrs: new Map([['blocksize', b]]) };
  if (C === 1) return [s2d];
  const idxName = `${node.name}:channel_order`;
  const idx = Array.from({ length: C * b * b }, (_, q) => (q % (b * b)) * C + Math.floor(q / (b * b)));
  added.set(idxName, { dims: [idx.length], kind: 'int', data: Float64Array.from(idx) });
  const mid = `${node.outputs[0]}:space_to_depth`;
  return [{ ...s2d, outputs: [mid] }, { ...node, opType: 'Gather', inputs: [mid, idxName], attrs: new Map([['axis', 1]]) }];
}
