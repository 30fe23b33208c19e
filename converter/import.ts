// ONNX graph -> converter IR. Shapes are tracked per sample (the graph input's dim 0 is the batch and is
// dropped); everything computable from constants is folded here; each supported op becomes IR nodes, made by the
// importer of its op family (import-elementwise, -norm, -layers, -shape, -spatial, -recurrent / -attention).
import { CONST_EVAL_OPS, constTensor, evalConstNode, normAxis } from './const-eval.js';
import {
  actSlot, importNodes, nodeImport, reshapeTo, UnsupportedError, type FamilyImporter, type NodeImport, type Slot,
} from './import-context.js';
import { ELEMENTWISE_OPS, importElementwise } from './import-elementwise.js';
import { importLayer, LAYER_OPS } from './import-layers.js';
import { importNormalization, NORM_OPS } from './import-norm.js';
import { knownAttrs } from './op-registry.js';
import { rewritePatterns as rewriteDecompositions } from './import-patterns.js';
import { importSoftmax } from './import-attention.js';
import { importShapeOp, SHAPE_OPS } from './import-shape.js';
import { importSpatialOp, SPATIAL_OPS } from './import-spatial.js';
import type { TransposeOf } from './import-transpose.js';
import { importSequenceOpInImageGraph } from './import-recurrent.js';
import { fixSampleShape } from './input-shape.js';
import { rewritePatterns } from './patterns/index.js';
import { addValue, elementCount, type Graph } from './ir.js';
import type { ConstTensor, OnnxModel, OnnxNode } from './onnx-load.js';

export { UnsupportedError } from './import-context.js';

/**
 * Stand-in for a symbolic batch size in folded shape arithmetic: a prime above the format's element
 * limit, so `Reshape(x, [N, -1])` built from `Shape(x)[0]` is still recognised as keeping the batch while
 * any constant sized by it is too large to fold. Shown as "N" in error messages.
 */
const SYMBOLIC_BATCH = 67_108_879;

export interface ImportOptions {
  /** graph inputs (other than the first) fed with fixed values */
  constantInputs?: Record<string, ConstTensor | Float32Array>;
  /** which graph outputs become entry outputs (default: all, in order) */
  outputs?: number[];
  /** per-sample shape of the graph input, fixing symbolic dims (e.g. height/width) */
  inputShape?: number[];
  /** the CLI flag that sets inputShape, named in errors about symbolic dims */
  shapeFlag?: string;
}

export function importGraph(source: OnnxModel, opts: ImportOptions = {}): Graph {
  // Exporter spellings first (opset-10 forms, dynamo's softplus, channel reorders), then decomposed
  // activations and normalisations (GELU, Mish, HardSwish, LayerNorm chains).
  const model = rewriteDecompositions(rewritePatterns(source));
  const slots = new Map<string, Slot>();
  for (const [name, t] of model.initializers) slots.set(name, { kind: 'const', t });
  const given = opts.constantInputs ?? {};
  const actInputs = model.inputs.filter((v) => !(v.name in given));
  for (const v of model.inputs) {
    const c = given[v.name];
    if (!c) continue;
    if (c instanceof Float32Array) {
      const dims = v.dims?.map((d) => (typeof d === 'number' ? d : NaN)) ?? [];
      if (dims.some((d) => Number.isNaN(d)) || elementCount(dims) !== c.length) {
        throw new Error(`constant input "${v.name}": ${c.length} values do not fit its declared shape [${v.dims}]`);
      }
      slots.set(v.name, { kind: 'const', t: { dims, kind: 'float', data: c } });
    } else slots.set(v.name, { kind: 'const', t: c });
  }
  if (actInputs.length !== 1) {
    throw new Error(`the graph must have exactly one (non-constant) input, found ${actInputs.length}: ${actInputs.map((v) => v.name).join(', ')}`);
  }
  const inInfo = actInputs[0]!;
  if (!inInfo.dims || inInfo.dims.length < 1) throw new Error(`graph input "${inInfo.name}" needs a known rank with a batch dim`);
  const sampleShape = fixSampleShape(inInfo.name, inInfo.dims.slice(1), opts.inputShape, opts.shapeFlag ?? '--input-shape');
  if (inInfo.elemType !== 1) throw new Error(`graph input "${inInfo.name}" must be float32 (ONNX type ${inInfo.elemType})`);
  if (sampleShape.length > 4) throw new Error(`graph input "${inInfo.name}" has rank ${sampleShape.length + 1}; at most 5 is supported`);
  const d0 = inInfo.dims[0];
  const batch = typeof d0 === 'number' && d0 > 0 ? d0 : SYMBOLIC_BATCH;

  const g: Graph = { values: [], nodes: [], input: -1, outputs: [], inputShape: sampleShape, outputShapes: [] };
  g.input = addValue(g, inInfo.name, [Math.max(1, elementCount(sampleShape))]);
  const x0 = reshapeTo(g, g.input, sampleShape, `${inInfo.name}:input`);
  slots.set(inInfo.name, { kind: 'act', id: x0 });

  // Only the nodes the chosen outputs depend on are imported (e.g. a sampling branch next to mu/logvar is skipped).
  const picked = opts.outputs ?? model.outputs.map((_, i) => i);
  const needed = neededNodes(model, picked.map((k) => model.outputs[k]?.name ?? ''));
  const transposes = new Map<number, TransposeOf>();
  importNodes(model.nodes.filter((n) => needed.has(n)), slots, SYMBOLIC_BATCH,
    (node, ins) => importNode(g, node, ins, model.opset, batch, transposes));

  for (const k of picked) {
    const o = model.outputs[k];
    if (!o) throw new Error(`graph output ${k} does not exist (the graph has ${model.outputs.length})`);
    const s = slots.get(o.name);
    if (!s) throw new Error(`graph output "${o.name}" is not produced by the graph`);
    if (s.kind === 'const') throw new Error(`graph output "${o.name}" does not depend on the input (constant outputs are not supported)`);
    const shape = g.values[s.id]!.shape;
    g.outputShapes.push(shape);
    g.outputs.push(reshapeTo(g, s.id, [Math.max(1, elementCount(shape))], `${o.name}:output`));
  }
  return g;
}

/** Nodes that the named values depend on (graph order is topological, so one backward sweep suffices). */
function neededNodes(model: OnnxModel, outputs: string[]): Set<OnnxNode> {
  const want = new Set(outputs);
  const needed = new Set<OnnxNode>();
  for (let i = model.nodes.length - 1; i >= 0; i--) {
    const n = model.nodes[i]!;
    if (!n.outputs.some((o) => want.has(o))) continue;
    needed.add(n);
    for (const x of n.inputs) if (x) want.add(x);
  }
  return needed;
}

/** Op type -> its family's importer: the ops importNode dispatches (tests/supported-ops checks the registry against it). */
export const IMPORTERS = new Map<string, FamilyImporter>([
  ...ELEMENTWISE_OPS.map((op): [string, FamilyImporter] => [op, importElementwise]),
  ...NORM_OPS.map((op): [string, FamilyImporter] => [op, importNormalization]),
  ...LAYER_OPS.map((op): [string, FamilyImporter] => [op, importLayer]),
  ...SHAPE_OPS.map((op): [string, FamilyImporter] => [op, importShapeOp]),
  ...SPATIAL_OPS.map((op): [string, FamilyImporter] => [op, importSpatialOp]),
  ...['LSTM', 'GRU', 'LogSoftmax', 'ArgMax', 'Softmax'].map((op): [string, FamilyImporter] => [op, importSequenceOp]),
]);

function importNode(
  g: Graph, node: OnnxNode, ins: (Slot | undefined)[], opset: number, batch: number, transposes: Map<number, TransposeOf>,
): (Slot | undefined)[] {
  const c = nodeImport(g, node, ins, opset, batch, transposes);
  const op = node.opType;
  const folded = foldConstants(c);
  if (folded) return folded;
  if (op === 'Shape') return c.fail('input must be an activation or constant');
  // Attributes outside the op registry (op-registry.ts) are refused rather than silently ignored.
  const known = knownAttrs(op);
  for (const k of node.attrs.keys()) {
    if (known && !known.includes(k)) c.fail(`attribute "${k}" is not supported`);
  }
  const importer = IMPORTERS.get(op);
  if (importer) return importer(c);
  return c.fail(CONST_EVAL_OPS.has(op) ? 'is only supported on constants (conversion-time folding)' : 'op type is not supported');
}

/** Shape of an activation (known at conversion time), and any op whose inputs are all constants, fold to constants. */
function foldConstants(c: NodeImport): Slot[] | undefined {
  const { node, ins, attr, fail } = c;
  const op = node.opType;
  if (op === 'Shape' && ins[0]?.kind === 'act') {
    const full = [c.batch, ...c.shapeOf(ins[0].id)];
    const r = full.length;
    const start = normAxis(attr('start', 0), r);
    const end = node.attrs.has('end') ? normAxis(attr('end', r), r) : r;
    const dims = full.slice(Math.max(0, start), Math.min(r, end));
    return [{ kind: 'const', t: constTensor([dims.length], dims, 'int') }];
  }
  if (ins.every((s) => !s || s.kind === 'const') && CONST_EVAL_OPS.has(op)) {
    if (op === 'Dropout' && node.outputs.length > 1 && node.outputs[1]) fail('the mask output is not supported');
    if (op === 'Dropout' && ins[2]?.kind === 'const' && ins[2].t.data[0]) fail('training_mode=true is not supported (inference only)');
    const t = evalConstNode(node, ins.map((s) => (s?.kind === 'const' ? s.t : undefined)), c.opset);
    return t.map((k) => ({ kind: 'const', t: k }));
  }
  return undefined;
}

/** LSTM/GRU, LogSoftmax and ArgMax in an image-style graph (import-recurrent.ts), Softmax (import-attention.ts). */
function importSequenceOp(c: NodeImport): (Slot | undefined)[] {
  const { g, node, ins, fail } = c;
  if (node.opType === 'Softmax') {
    return [actSlot(importSoftmax(g, node, c.act(ins[0], 'input'), fail, node.attrs.get('axis') as number | undefined, c.opset))];
  }
  return importSequenceOpInImageGraph(g, node, ins, fail).map((id) => (id === undefined ? undefined : actSlot(id)));
}
