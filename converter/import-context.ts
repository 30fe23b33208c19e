// Shared pieces of the ONNX importer: value slots (constant or activation), node errors, reshapes.
import { addValue, type Graph } from './ir.js';
import type { AttrValue, ConstTensor, OnnxNode, Widen } from './onnx-load.js';

/** What an ONNX value name refers to during import. */
export type Slot = { kind: 'const'; t: ConstTensor } | { kind: 'act'; id: number };

export type Fail = (msg: string) => never;
export type AttrGetter = <T extends AttrValue>(k: string, d: T) => Widen<T>;
export type ActGetter = (s: Slot | undefined, what: string) => number;
export type ConstGetter = (s: Slot | undefined, what: string) => ConstTensor;
export type OptConstGetter = (s: Slot | undefined, what: string) => ConstTensor | undefined;

/** An error about one node, naming it, its op type and the problem. */
export class UnsupportedError extends Error {
  constructor(node: OnnxNode, msg: string) {
    super(`node "${node.name}" (${node.opType}): ${msg}${node.module ? ` [${node.module}]` : ''}`);
    this.name = 'UnsupportedError';
  }
}

/** A logical reshape node (or `a` itself when the shape is unchanged). */
export function reshapeTo(g: Graph, a: number, shape: number[], name: string): number {
  const cur = g.values[a]!.shape;
  if (cur.length === shape.length && cur.every((d, i) => d === shape[i])) return a;
  const out = addValue(g, name, shape);
  g.nodes.push({ op: 'reshape', a, out, name });
  return out;
}
