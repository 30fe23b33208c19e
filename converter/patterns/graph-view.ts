// A read-only view of an ONNX node list for pattern matching: who produces a value, how many nodes read
// it, and its value when it is a constant (an initializer or a Constant node).
import type { ConstTensor, OnnxModel, OnnxNode } from '../onnx-load.js';

export class GraphView {
  readonly producer = new Map<string, OnnxNode>();
  readonly readers = new Map<string, number>();
  private readonly outputs: Set<string>;

  constructor(readonly model: OnnxModel, nodes: OnnxNode[]) {
    for (const n of nodes) {
      for (const o of n.outputs) if (o) this.producer.set(o, n);
      for (const i of n.inputs) if (i) this.readers.set(i, (this.readers.get(i) ?? 0) + 1);
    }
    this.outputs = new Set(model.outputs.map((o) => o.name));
  }

  /** The node producing `value` when it has op type `op`. */
  from(value: string | undefined, op: string): OnnxNode | undefined {
    const n = value ? this.producer.get(value) : undefined;
    return n && n.opType === op && (!n.domain || n.domain === 'ai.onnx') ? n : undefined;
  }

  /** True when only one node reads `value` and it is not a graph output (so a rewrite may drop it). */
  private(value: string): boolean {
    return this.readers.get(value) === 1 && !this.outputs.has(value);
  }

  constant(value: string | undefined): ConstTensor | undefined {
    if (!value) return undefined;
    const init = this.model.initializers.get(value);
    if (init) return init;
    const n = this.producer.get(value);
    if (n?.opType !== 'Constant') return undefined;
    const v = n.attrs.get('value');
    if (v && typeof v === 'object' && 'dims' in v) return v;
    const f = n.attrs.get('value_float');
    if (typeof f === 'number') return { dims: [], kind: 'float', data: Float32Array.of(f) };
    const i = n.attrs.get('value_int');
    if (typeof i === 'number') return { dims: [], kind: 'int', data: Float64Array.of(i) };
    const is = n.attrs.get('value_ints');
    if (Array.isArray(is)) return { dims: [is.length], kind: 'int', data: Float64Array.from(is as number[]) };
    return undefined;
  }

  /** A constant holding one number (any rank), else undefined. */
  scalar(value: string | undefined): number | undefined {
    const c = this.constant(value);
    return c && c.data.length === 1 ? c.data[0] : undefined;
  }
}
