// Shared pieces of the ONNX importer: value slots (constant or activation), node errors, reshapes.
import { normAxis } from './const-eval.js';
import type { TransposeOf } from './import-transpose.js';
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

/**
 * Imports `nodes` in graph order: looks each node's inputs up in `slots`, imports it with `importOne` and stores
 * its outputs. Every error names the node, with the symbolic batch size shown as N.
 */
export function importNodes<S>(nodes: OnnxNode[], slots: Map<string, S>, symbolicBatch: number,
  importOne: (node: OnnxNode, ins: (S | undefined)[]) => (S | undefined)[]): void {
  for (const node of nodes) {
    if (node.domain && node.domain !== 'ai.onnx') throw new UnsupportedError(node, `custom domain "${node.domain}" is not supported`);
    const ins = node.inputs.map((n) => {
      if (n === '') return undefined;
      const s = slots.get(n);
      if (!s) throw new UnsupportedError(node, `input "${n}" is not produced by any earlier node`);
      return s;
    });
    let outs: (S | undefined)[];
    try {
      outs = importOne(node, ins);
    } catch (e) {
      const err = e instanceof UnsupportedError ? e : new UnsupportedError(node, (e as Error).message);
      err.message = err.message.replaceAll(String(symbolicBatch), 'N');
      throw err;
    }
    outs.forEach((s, i) => { if (s && node.outputs[i]) slots.set(node.outputs[i]!, s); });
  }
}

/** Slice's starts, ends, axes (default: the leading ones) and steps (default 1), from its constant inputs. */
export function sliceOperands<S>(ins: (S | undefined)[], cst: (s: S | undefined, what: string) => ConstTensor,
  optCst: (s: S | undefined, what: string) => ConstTensor | undefined):
  { starts: number[]; ends: number[]; axes: number[]; steps: number[] } {
  const starts = Array.from(cst(ins[1], 'starts').data);
  const ends = Array.from(cst(ins[2], 'ends').data);
  const axes = optCst(ins[3], 'axes'), steps = optCst(ins[4], 'steps');
  return {
    starts, ends,
    axes: axes ? Array.from(axes.data) : starts.map((_, i) => i),
    steps: steps ? Array.from(steps.data) : starts.map(() => 1),
  };
}

/** A logical reshape node (or `a` itself when the shape is unchanged). */
export function reshapeTo(g: Graph, a: number, shape: number[], name: string): number {
  const cur = g.values[a]!.shape;
  if (cur.length === shape.length && cur.every((d, i) => d === shape[i])) return a;
  const out = addValue(g, name, shape);
  g.nodes.push({ op: 'reshape', a, out, name });
  return out;
}

/** One node being imported: the graph, the node's operands, and the getters every op family uses. */
export interface NodeImport {
  g: Graph;
  node: OnnxNode;
  ins: (Slot | undefined)[];
  opset: number;
  /** the graph's batch size (or the symbolic stand-in) */
  batch: number;
  /** transposes seen so far, so a pair that cancels can be folded */
  transposes: Map<number, TransposeOf>;
  fail: Fail;
  attr: AttrGetter;
  /** the id of an activation operand (an error when it is missing or constant) */
  act: ActGetter;
  /** a constant operand (an error when it is missing or computed from the graph input) */
  cst: ConstGetter;
  optCst: OptConstGetter;
  ints: (t: ConstTensor | undefined) => number[] | undefined;
  shapeOf: (id: number) => number[];
  /** a new activation named after the node's first output (plus suffix) */
  newAct: (shape: number[], suffix?: string) => number;
  /** axis of a full (batch-including) tensor -> per-sample axis; the batch axis is refused */
  sampleAxis: (axis: number, id: number, what: string) => number;
}

/** Imports one node of an op family; returns a slot per node output. */
export type FamilyImporter = (c: NodeImport) => (Slot | undefined)[];

export const actSlot = (id: number): Slot => ({ kind: 'act', id });

export function nodeImport(
  g: Graph, node: OnnxNode, ins: (Slot | undefined)[], opset: number, batch: number, transposes: Map<number, TransposeOf>,
): NodeImport {
  const fail = (msg: string): never => { throw new UnsupportedError(node, msg); };
  const attr = <T extends AttrValue>(k: string, d: T): Widen<T> => (node.attrs.has(k) ? (node.attrs.get(k) as Widen<T>) : (d as Widen<T>));
  const shapeOf = (id: number) => g.values[id]!.shape;
  const act = (s: Slot | undefined, what: string): number => {
    if (!s) return fail(`missing input ${what}`);
    if (s.kind !== 'act') return fail(`input ${what} must depend on the graph input`);
    return s.id;
  };
  const cst = (s: Slot | undefined, what: string): ConstTensor => {
    if (!s) return fail(`missing input ${what}`);
    if (s.kind !== 'const') return fail(`input ${what} must be a constant (initializer or folded), not computed from the graph input`);
    return s.t;
  };
  const sampleAxis = (axis: number, id: number, what: string) => {
    const fullRank = shapeOf(id).length + 1;
    const a = normAxis(axis, fullRank);
    if (a === 0) fail(`${what} on the batch axis (0) is not supported`);
    if (a < 0 || a >= fullRank) fail(`${what} axis ${axis} is out of range`);
    return a - 1;
  };
  return {
    g, node, ins, opset, batch, transposes, fail, attr, act, cst, shapeOf, sampleAxis,
    optCst: (s, what) => (s ? cst(s, what) : undefined),
    ints: (t) => (t ? Array.from(t.data) : undefined),
    newAct: (shape, suffix = '') => addValue(g, node.outputs[0] + suffix || node.name, shape),
  };
}
