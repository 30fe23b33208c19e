// ONNX graph -> converter IR. Shapes are tracked per sample (the graph input's dim 0 is the batch and is
// dropped); everything computable from constants is folded here; each supported op becomes IR nodes.
import { Act, BinaryKind } from '../runtime/format-constants.js';
import {
  broadcastShape, broadcastTo, CONST_EVAL_OPS, constTensor, evalConstNode, normAxis, resolveReshape, sliceIndices,
  squeezeDims, unsqueezeDims,
} from './const-eval.js';
import { reshapeTo, UnsupportedError, type Fail, type Slot } from './import-context.js';
import { importConv, importDense } from './import-layers.js';
import { importActivation } from './import-activations.js';
import { importNorm } from './import-norm.js';
import { knownAttrs } from './op-registry.js';
import { rewritePatterns as rewriteDecompositions } from './import-patterns.js';
import { importResize } from './import-resize.js';
import { importMatMul, importSoftmax } from './import-attention.js';
import { importDepthSpace, importPad, importPool } from './import-spatial.js';
import { importTranspose, type TransposeOf } from './import-transpose.js';
import { importSequenceOpInImageGraph } from './import-recurrent.js';
import { fixSampleShape } from './input-shape.js';
import { rewritePatterns } from './patterns/index.js';
import { addValue, elementCount, type Graph } from './ir.js';
import type { AttrValue, ConstTensor, OnnxModel, OnnxNode, Widen } from './onnx-load.js';

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

const UNARY_ACT: Record<string, Act> = {
  Relu: Act.Relu, LeakyRelu: Act.LeakyRelu, Sigmoid: Act.Sigmoid, Tanh: Act.Tanh, Exp: Act.Exp, Softplus: Act.Softplus, Elu: Act.Elu,
};
const BINARY_KIND: Record<string, BinaryKind> = { Add: BinaryKind.Add, Sub: BinaryKind.Sub, Mul: BinaryKind.Mul, Div: BinaryKind.Div };

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
  for (const node of model.nodes) {
    if (!needed.has(node)) continue;
    if (node.domain && node.domain !== 'ai.onnx') throw new UnsupportedError(node, `custom domain "${node.domain}" is not supported`);
    const ins = node.inputs.map((n) => {
      if (n === '') return undefined;
      const s = slots.get(n);
      if (!s) throw new UnsupportedError(node, `input "${n}" is not produced by any earlier node`);
      return s;
    });
    let outs: (Slot | undefined)[];
    try {
      outs = importNode(g, node, ins, model.opset, batch, transposes);
    } catch (e) {
      // Every import error names the node; the symbolic batch shows as N.
      const err = e instanceof UnsupportedError ? e : new UnsupportedError(node, (e as Error).message);
      err.message = err.message.replaceAll(String(SYMBOLIC_BATCH), 'N');
      throw err;
    }
    outs.forEach((s, i) => { if (s && node.outputs[i]) slots.set(node.outputs[i]!, s); });
  }

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

function importNode(
  g: Graph, node: OnnxNode, ins: (Slot | undefined)[], opset: number, batch: number, transposes: Map<number, TransposeOf>,
): (Slot | undefined)[] {
  const fail = (msg: string): never => { throw new UnsupportedError(node, msg); };
  const attr = <T extends AttrValue>(k: string, d: T): Widen<T> => (node.attrs.has(k) ? (node.attrs.get(k) as Widen<T>) : (d as Widen<T>));
  const op = node.opType;
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
  const optCst = (s: Slot | undefined, what: string) => (s ? cst(s, what) : undefined);
  const ints = (t: ConstTensor | undefined) => (t ? Array.from(t.data) : undefined);
  const newAct = (shape: number[], suffix = '') => addValue(g, node.outputs[0] + suffix || node.name, shape);
  const actSlot = (id: number): Slot => ({ kind: 'act', id });

  // Shape of an activation is known at conversion time.
  if (op === 'Shape' && ins[0]?.kind === 'act') {
    const full = [batch, ...shapeOf(ins[0].id)];
    const r = full.length;
    const start = normAxis(attr('start', 0), r);
    const end = node.attrs.has('end') ? normAxis(attr('end', r), r) : r;
    const dims = full.slice(Math.max(0, start), Math.min(r, end));
    return [{ kind: 'const', t: constTensor([dims.length], dims, 'int') }];
  }
  if (ins.every((s) => !s || s.kind === 'const') && CONST_EVAL_OPS.has(op)) {
    if (op === 'Dropout' && node.outputs.length > 1 && node.outputs[1]) fail('the mask output is not supported');
    if (op === 'Dropout' && ins[2]?.kind === 'const' && ins[2].t.data[0]) fail('training_mode=true is not supported (inference only)');
    const t = evalConstNode(node, ins.map((s) => (s?.kind === 'const' ? s.t : undefined)), opset);
    return t.map((c) => ({ kind: 'const', t: c }));
  }
  if (op === 'Shape') return fail('input must be an activation or constant');
  // Attributes outside the op registry (op-registry.ts) are refused rather than silently ignored.
  const known = knownAttrs(op);
  for (const k of node.attrs.keys()) {
    if (known && !known.includes(k)) fail(`attribute "${k}" is not supported`);
  }

  const fullRank = (id: number) => shapeOf(id).length + 1;
  /** axis of a full (batch-including) tensor -> per-sample axis; the batch axis is refused */
  const sampleAxis = (axis: number, id: number, what: string) => {
    const a = normAxis(axis, fullRank(id));
    if (a === 0) fail(`${what} on the batch axis (0) is not supported`);
    if (a < 0 || a >= fullRank(id)) fail(`${what} axis ${axis} is out of range`);
    return a - 1;
  };

  switch (op) {
    case 'Identity': case 'Dropout': {
      if (op === 'Dropout' && node.outputs.length > 1 && node.outputs[1]) fail('the mask output is not supported');
      if (op === 'Dropout' && ins[2]) {
        const training = ins[2].kind === 'const' ? ins[2].t.data[0] : 1;
        if (training) fail('training_mode=true is not supported (inference only)');
      }
      return [actSlot(act(ins[0], 'X'))];
    }
    case 'Cast': {
      const to = attr('to', 0);
      if (to !== 1) fail(`casting an activation to ONNX type ${to} is not supported (only float32)`);
      return [actSlot(act(ins[0], 'input'))];
    }
    case 'Relu': case 'LeakyRelu': case 'Sigmoid': case 'Tanh': case 'Exp': case 'Softplus': case 'Elu': {
      const a = act(ins[0], 'X');
      const alpha = op === 'LeakyRelu' ? attr('alpha', 0.01) : op === 'Elu' ? attr('alpha', 1) : 0;
      if (!Number.isFinite(alpha)) fail(`alpha ${alpha} is not finite`);
      const out = newAct(shapeOf(a));
      g.nodes.push({ op: 'unary', a, out, name: node.name, act: UNARY_ACT[op]!, alpha });
      return [actSlot(out)];
    }
    case 'Add': case 'Sub': case 'Mul': case 'Div':
      return [actSlot(importBinary(g, node, ins, fail, batch))];
    case 'Gelu': case 'PRelu': case 'Clip': case 'HardSigmoid': case 'HardSwish': case 'Mish':
      return [actSlot(importActivation(g, node, ins, opset, fail, act, cst, optCst, attr))];
    case 'InstanceNormalization': case 'GroupNormalization': case 'LayerNormalization':
      return [actSlot(importNorm(g, node, ins, opset, fail, act, cst, optCst, attr))];
    case 'Gemm': case 'MatMul': {
      const m = op === 'MatMul' ? importMatMul(g, node, ins, fail) : undefined;
      if (m !== undefined) return [actSlot(m)];
      return [actSlot(importDense(g, node, ins, fail, act, cst, optCst, attr))];
    }
    case 'Conv': case 'ConvTranspose':
      return [actSlot(importConv(g, node, act(ins[0], 'X'), cst(ins[1], 'W'), optCst(ins[2], 'B'), fail, attr))];
    case 'BatchNormalization': {
      if (attr('training_mode', 0)) fail('training_mode=1 is not supported (inference only)');
      if (node.outputs.slice(1).some((o) => o)) fail('running mean/var outputs are not supported');
      const a = act(ins[0], 'X');
      const [scale, bias, mean, variance] = [1, 2, 3, 4].map((i) => cst(ins[i], ['', 'scale', 'B', 'mean', 'var'][i]!).data);
      const eps = attr('epsilon', 1e-5);
      const shape = shapeOf(a);
      const C = shape[0] ?? 1;
      if (scale!.length !== C) fail(`scale has ${scale!.length} values for ${C} channels`);
      const mul = new Float32Array(C);
      const add = new Float32Array(C);
      for (let c = 0; c < C; c++) {
        mul[c] = scale![c]! / Math.sqrt(variance![c]! + eps);
        add[c] = bias![c]! - mean![c]! * mul[c]!;
      }
      const chanDims = [C, ...shape.slice(1).map(() => 1)];
      const t1 = newAct(shape, ':bn_scale');
      g.nodes.push({ op: 'binary', kind: BinaryKind.Mul, a, out: t1, name: node.name, b: Float32Array.from(broadcastTo(mul, chanDims, shape)), act: Act.None, alpha: 0 });
      const t2 = newAct(shape);
      g.nodes.push({ op: 'binary', kind: BinaryKind.Add, a: t1, out: t2, name: node.name, b: Float32Array.from(broadcastTo(add, chanDims, shape)), act: Act.None, alpha: 0 });
      return [actSlot(t2)];
    }
    case 'Reshape': case 'Flatten': case 'Squeeze': case 'Unsqueeze': {
      const a = act(ins[0], 'data');
      const inFull = [batch, ...shapeOf(a)];
      let outFull: number[];
      if (op === 'Reshape') {
        const target = ints(cst(ins[1], 'shape'))!;
        const allowZero = attr('allowzero', 0) === 1;
        if (allowZero && target.includes(0)) fail('allowzero=1 with a 0 in the shape (empty tensors) is not supported');
        try { outFull = resolveReshape(inFull, target, allowZero); } catch (e) { return fail((e as Error).message); }
      } else if (op === 'Flatten') {
        const axis = normAxis(attr('axis', 1), inFull.length);
        if (axis !== 1) fail(`axis ${attr('axis', 1)} merges the batch dim into other dims; only axis 1 is supported`);
        outFull = [batch, elementCount(shapeOf(a))];
      } else {
        const axes = opset >= 13 ? ints(optCst(ins[1], 'axes')) : (node.attrs.get('axes') as number[] | undefined);
        if (op === 'Unsqueeze' && !axes) fail('missing axes');
        const outRank = op === 'Squeeze' ? inFull.length - (axes?.length ?? 0) : inFull.length + axes!.length;
        if (axes?.some((x) => normAxis(x, op === 'Squeeze' ? inFull.length : outRank) === 0)) fail('squeezing/unsqueezing the batch axis (0) is not supported');
        if (op === 'Squeeze' && !axes) outFull = [batch, ...shapeOf(a).filter((d) => d !== 1)];
        else outFull = op === 'Squeeze' ? squeezeDims(inFull, axes) : unsqueezeDims(inFull, axes!);
      }
      if (outFull[0] !== batch) fail(`the result [${outFull}] changes the batch dim (dim 0 must stay the batch)`);
      // Reshape may go up to rank 7 for a following Transpose (pixel (un)shuffle); such values are never stored.
      if (outFull.length > (op === 'Reshape' ? 7 : 5)) fail('results of rank above 5 are not supported');
      return [actSlot(reshapeTo(g, a, outFull.slice(1), node.outputs[0]!))];
    }
    case 'Gather': {
      // Picks along a non-batch axis: one SLICE per run of consecutive indices, joined by CONCATs.
      const a = act(ins[0], 'data');
      const idx = cst(ins[1], 'indices');
      const axis = sampleAxis(attr('axis', 0), a, 'Gather');
      const shape = shapeOf(a);
      const dim = shape[axis]!;
      const picked = Array.from(idx.data, (i) => (i < 0 ? i + dim : i));
      if (picked.length === 0) fail('empty indices are not supported');
      if (picked.some((i) => !Number.isInteger(i) || i < 0 || i >= dim)) fail(`indices [${Array.from(idx.data)}] are out of range for size ${dim}`);
      const runs: [number, number][] = [];
      for (const i of picked) {
        const last = runs[runs.length - 1];
        if (last && last[0] + last[1] === i) last[1]++;
        else runs.push([i, 1]);
      }
      const pieces = runs.map(([start, count], r) => {
        if (count === dim) return a;
        const part = [...shape];
        part[axis] = count;
        const out = newAct(part, `:run${r}`);
        g.nodes.push({ op: 'slice', a, out, axis, start, count, name: node.name });
        return out;
      });
      let cur = pieces[0]!;
      for (const [r, b] of pieces.slice(1).entries()) {
        const joined = [...shapeOf(cur)];
        joined[axis] = joined[axis]! + shapeOf(b)[axis]!;
        const out = newAct(joined, `:join${r}`);
        g.nodes.push({ op: 'concat', a: cur, b, axis, out, name: node.name });
        cur = out;
      }
      const outShape = [...shape.slice(0, axis), ...idx.dims, ...shape.slice(axis + 1)];
      if (outShape.length > 4) fail('results of rank above 5 are not supported');
      return [actSlot(reshapeTo(g, cur, outShape, node.outputs[0]!))];
    }
    case 'Transpose':
      return [actSlot(importTranspose(g, node, act(ins[0], 'data'), attr<number[]>('perm', []), fail, transposes))];
    case 'Concat': {
      const parts = ins.filter((s): s is Slot => !!s);
      if (parts.some((p) => p.kind !== 'act')) fail('concatenating constants with activations is not supported');
      const ids = parts.map((p) => (p as { id: number }).id);
      const axis = sampleAxis(attr('axis', 0), ids[0]!, 'Concat');
      let cur = ids[0]!;
      for (const [i, b] of ids.slice(1).entries()) {
        const sa = shapeOf(cur);
        const sb = shapeOf(b);
        if (sa.length !== sb.length || sa.some((d, k) => k !== axis && d !== sb[k])) fail(`inputs [${sa}] and [${sb}] differ outside axis ${axis + 1}`);
        const outShape = [...sa];
        outShape[axis] = sa[axis]! + sb[axis]!;
        const out = newAct(outShape, i === ids.length - 2 ? '' : `:part${i}`);
        g.nodes.push({ op: 'concat', a: cur, b, axis, out, name: node.name });
        cur = out;
      }
      return [actSlot(cur)];
    }
    case 'Split': {
      const a = act(ins[0], 'input');
      const axis = sampleAxis(attr('axis', 0), a, 'Split');
      const dim = shapeOf(a)[axis]!;
      const n = node.outputs.length;
      let sizes = opset >= 13 ? ints(optCst(ins[1], 'split')) : (node.attrs.get('split') as number[] | undefined);
      if (!sizes) {
        const chunk = Math.ceil(dim / n);
        sizes = Array.from({ length: n }, (_, i) => Math.max(0, Math.min(chunk, dim - i * chunk)));
      }
      if (sizes.length !== n || sizes.reduce((s, v) => s + v, 0) !== dim) fail(`split sizes [${sizes}] do not cover dim ${dim} with ${n} outputs`);
      if (sizes.some((s) => s <= 0)) fail('empty split outputs are not supported');
      let start = 0;
      return sizes.map((count, i) => {
        const shape = [...shapeOf(a)];
        shape[axis] = count;
        const out = addValue(g, node.outputs[i] || `${node.name}:${i}`, shape);
        g.nodes.push({ op: 'slice', a, out, axis, start, count, name: node.name });
        start += count;
        return actSlot(out);
      });
    }
    case 'Slice': {
      let cur = act(ins[0], 'data');
      const starts = ints(cst(ins[1], 'starts'))!;
      const ends = ints(cst(ins[2], 'ends'))!;
      const axes = ints(optCst(ins[3], 'axes')) ?? starts.map((_, i) => i);
      const steps = ints(optCst(ins[4], 'steps')) ?? starts.map(() => 1);
      for (let i = 0; i < axes.length; i++) {
        const shape = shapeOf(cur);
        const fr = shape.length + 1;
        const full = normAxis(axes[i]!, fr);
        if (full === 0) {
          const keep = sliceIndices(batch, starts[i]!, ends[i]!, steps[i]!);
          if (steps[i] === 1 && keep.length === batch && keep[0] === 0) continue; // whole batch kept
          fail('slicing the batch axis (0) is not supported');
        }
        if (steps[i] !== 1) fail(`steps other than 1 (got ${steps[i]}) are not supported`);
        const axis = full - 1;
        const picked = sliceIndices(shape[axis]!, starts[i]!, ends[i]!, 1);
        if (picked.length === 0) fail('empty slices are not supported');
        if (picked.length === shape[axis]) continue;
        const outShape = [...shape];
        outShape[axis] = picked.length;
        const out = newAct(outShape, i === axes.length - 1 ? '' : `:axis${full}`);
        g.nodes.push({ op: 'slice', a: cur, out, axis, start: picked[0]!, count: picked.length, name: node.name });
        cur = out;
      }
      return [actSlot(cur)];
    }
    case 'Resize': case 'Upsample':
      return [actSlot(importResize(g, node, ins, fail, act, optCst, attr, opset))];
    case 'Pad': return [actSlot(importPad(g, node, ins, fail, act, optCst, attr, opset))];
    case 'MaxPool': case 'AveragePool': case 'GlobalAveragePool': case 'GlobalMaxPool':
      return [actSlot(importPool(g, node, act(ins[0], 'X'), fail, attr))];
    case 'DepthToSpace': case 'SpaceToDepth': return [actSlot(importDepthSpace(g, node, act(ins[0], 'input'), fail, attr))];
    case 'LSTM': case 'GRU': case 'LogSoftmax': case 'ArgMax':
      return importSequenceOpInImageGraph(g, node, ins, fail).map((id) => (id === undefined ? undefined : actSlot(id)));
    case 'Softmax': return [actSlot(importSoftmax(g, node, act(ins[0], 'input'), fail, node.attrs.get('axis') as number | undefined, opset))];
  }
  return fail(CONST_EVAL_OPS.has(op) ? 'is only supported on constants (conversion-time folding)' : 'op type is not supported');
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
    if (a.length !== b.length || a.some((d, i) => d !== b[i])) fail(`two activations must have equal shapes, got [${a}] and [${b}] (no broadcasting)`);
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
