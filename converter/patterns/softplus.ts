// F.softplus as the dynamo exporter writes it: Where(Greater(x, T), x, Softplus(x)) (PyTorch's threshold,
// T = 20 by default, returns x itself above T). Our Softplus already returns x above 20, and for any T >= 15
// the two differ by at most log1p(exp(-T)) < 4e-7 relative, so the Where becomes the Softplus.
import type { ConstTensor, OnnxNode } from '../onnx-load.js';
import type { GraphView } from './graph-view.js';

const MIN_THRESHOLD = 15;

export function thresholdedSoftplus(view: GraphView, node: OnnxNode, _added: Map<string, ConstTensor>): OnnxNode[] | undefined {
  if (node.opType !== 'Where' || node.inputs.length !== 3) return undefined;
  const [cond, x, other] = node.inputs as [string, string, string];
  const soft = view.from(other, 'Softplus');
  if (!soft || soft.inputs[0] !== x) return undefined;
  const gt = view.from(cond, 'Greater');
  const lt = view.from(cond, 'Less');
  let threshold: number | undefined;
  if (gt && gt.inputs[0] === x) threshold = view.scalar(gt.inputs[1]);
  else if (lt && lt.inputs[1] === x) threshold = view.scalar(lt.inputs[0]);
  if (threshold === undefined || !(threshold >= MIN_THRESHOLD)) return undefined;
  return [{ ...node, opType: 'Identity', inputs: [other], attrs: new Map() }];
}
