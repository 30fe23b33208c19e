// Opset 10 graphs: of the ops the converter knows, only Clip and Pad changed meaning at opset 11 (their
// attributes became inputs). They are rewritten into the opset-11 form here, so the importers see one form.
// (Resize-10, which has no coordinate_transformation_mode, is handled by import-resize.ts.)
import type { ConstTensor, OnnxNode } from '../onnx-load.js';
import type { GraphView } from './graph-view.js';

export function upgradeOpset10(view: GraphView, node: OnnxNode, added: Map<string, ConstTensor>): OnnxNode[] | undefined {
  if (view.model.opset >= 11 || (node.domain && node.domain !== 'ai.onnx')) return undefined;
  const constant = (suffix: string, t: ConstTensor) => {
    const name = `${node.name}:${suffix}`;
    added.set(name, t);
    return name;
  };
  if (node.opType === 'Clip') {
    const attrs = new Map(node.attrs);
    const bound = (k: string) => {
      const v = attrs.get(k);
      attrs.delete(k);
      return typeof v === 'number' ? constant(k, { dims: [], kind: 'float', data: Float32Array.of(v) }) : '';
    };
    const min = bound('min');
    const max = bound('max');
    return [{ ...node, inputs: [node.inputs[0]!, min, max], attrs }];
  }
  if (node.opType === 'Pad') {
    const attrs = new Map(node.attrs);
    const pads = (attrs.get('pads') as number[] | undefined) ?? [];
    const value = (attrs.get('value') as number | undefined) ?? 0;
    attrs.delete('pads');
    attrs.delete('value');
    const p = constant('pads', { dims: [pads.length], kind: 'int', data: Float64Array.from(pads) });
    const v = constant('value', { dims: [], kind: 'float', data: Float32Array.of(value) });
    return [{ ...node, inputs: [node.inputs[0]!, p, v], attrs }];
  }
  return undefined;
}
