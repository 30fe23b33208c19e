// ONNX graphs of a sequence model (encoder, decoder init, decoder step) -> converter IR. Unlike image graphs the
// batch is not always dim 0: ONNX LSTM/GRU put it on axis 1 of their time-major tensors and states, so every value
// carries its full ONNX shape and where its batch axis is. A value's per-sample data is its tensor with the batch
// axis taken out, row-major; IR values here have rank <= 2 (stored as written), and a reshape or transpose that
// keeps the per-sample order is a view. Graph inputs are packed into the entry's one input and outputs into its
// one (or, for the encoder, two) outputs, in the order docs/format.md "Sequence models" gives.
import { CONST_EVAL_OPS, constTensor, evalConstNode, normAxis, resolveReshape, sliceIndices, squeezeDims,
  unsqueezeDims } from './const-eval.js';
import { importNodes, sliceOperands, UnsupportedError, type Slot } from './import-context.js';
import { importDense } from './import-layers.js';
import { addRecurrent, checkRecurrentInputs, recurrentAttrs } from './import-recurrent.js';
import { addValue, elementCount, type Graph } from './ir.js';
import type { AttrValue, ConstTensor, OnnxModel, OnnxNode, OnnxValueInfo, Widen } from './onnx-load.js';
import { Act } from '../runtime/format-constants.js';

/** Stand-in for the batch size in shapes (a prime no real dim equals, as import.ts's SYMBOLIC_BATCH). */
const N = 67_108_879;

type SeqSlot = { kind: 'const'; t: ConstTensor } | { kind: 'act'; id: number; full: number[]; b: number };

/** ONNX op types the sequence importer reads (everything else is refused naming the node). */
export const SEQUENCE_OPS = [
  'Identity', 'Cast', 'Dropout', 'Gather', 'Transpose', 'Reshape', 'Squeeze', 'Unsqueeze', 'Flatten', 'Concat', 'Slice', 'Gemm',
  'MatMul', 'Tanh', 'Sigmoid', 'Relu', 'LSTM', 'GRU', 'Softmax', 'LogSoftmax', 'ArgMax', 'Shape',
] as const;

export interface SequenceGraphInput {
  info: OnnxValueInfo;
  /** values per sample */
  size: number;
}

export interface ImportedSequenceGraph {
  graph: Graph;
  /** graph inputs in packing order with their per-sample sizes */
  inputs: SequenceGraphInput[];
  /** output sizes per sample, in the order packed */
  outputs: { name: string; size: number; rank: number }[];
}

/** Batch axis of a graph input: its first symbolic dim; else 1 for rank-3 float tensors (ONNX [layers, N, H] states), else 0. */
export function batchAxisOf(v: OnnxValueInfo): number {
  const dims = v.dims ?? [];
  const sym = dims.findIndex((d) => typeof d !== 'number' || d <= 0);
  if (sym >= 0) return sym;
  return dims.length === 3 && v.elemType === 1 ? 1 : 0;
}

const perSample = (full: number[], b: number) => full.filter((_, i) => i !== b);

/**
 * Imports one graph. `inputOrder` lists the graph inputs in packing order; `pack` chooses the outputs: 'each' gives
 * one entry output per graph output (the encoder's mu, logvar), 'concat' one packed output.
 */
export function importSequenceGraph(model: OnnxModel, inputOrder: OnnxValueInfo[], outputNames: string[],
  pack: 'each' | 'concat'): ImportedSequenceGraph {
  const g: Graph = { values: [], nodes: [], input: -1, outputs: [], inputShape: [], outputShapes: [] };
  const slots = new Map<string, SeqSlot>();
  for (const [name, t] of model.initializers) slots.set(name, { kind: 'const', t });
  const inputs: SequenceGraphInput[] = inputOrder.map((info) => {
    if (!info.dims) throw new Error(`graph input "${info.name}" has no known shape`);
    const b = batchAxisOf(info);
    const full = info.dims.map((d, i) => (i === b ? N : typeof d === 'number' && d > 0 ? d : NaN));
    if (full.some((d) => Number.isNaN(d))) throw new Error(
      `graph input "${info.name}" has a symbolic dim other than the batch: [${info.dims}]`);
    return { info, size: Math.max(1, elementCount(perSample(full, b))) };
  });
  const total = inputs.reduce((s, i) => s + i.size, 0);
  g.input = addValue(g, inputOrder.map((i) => i.name).join('+'), [total]);
  g.inputShape = [total];
  const packed = addValue(g, `${g.values[g.input]!.name}:rows`, [1, total]);
  g.values[packed]!.viewOf = g.input;
  let offset = 0;
  for (const inp of inputs) {
    const b = batchAxisOf(inp.info);
    const full = inp.info.dims!.map((d, i) => (i === b ? N : (d as number)));
    let id = g.input;
    if (inputs.length > 1) {
      id = addValue(g, inp.info.name, [1, inp.size]);
      g.nodes.push({ op: 'slice', a: packed, out: id, axis: 1, start: offset, count: inp.size, name: `${inp.info.name}:unpack` });
    }
    offset += inp.size;
    slots.set(inp.info.name, { kind: 'act', id, full, b });
  }

  importNodes(model.nodes, slots, N, (node, ins) => importSequenceNode(g, node, ins, model.opset));

  const outputs = outputNames.map((name) => {
    const s = slots.get(name);
    if (!s) throw new Error(`graph output "${name}" is not produced by the graph`);
    if (s.kind === 'const') throw new Error(`graph output "${name}" does not depend on the inputs (constant outputs are not supported)`);
    const shape = perSample(s.full, s.b);
    return { name, slot: s, size: Math.max(1, elementCount(shape)), rank: s.full.length };
  });
  if (pack === 'each') {
    g.outputs = outputs.map((o) => viewAs(g, o.slot.id, [o.size]));
  } else {
    let cur = viewAs(g, outputs[0]!.slot.id, [1, outputs[0]!.size]);
    let width = outputs[0]!.size;
    for (const o of outputs.slice(1)) {
      const next = addValue(g, `${o.name}:packed`, [1, width + o.size]);
      g.nodes.push({ op: 'concat', a: cur, b: viewAs(g, o.slot.id, [1, o.size]), axis: 1, out: next, name: `${o.name}:pack` });
      cur = next;
      width += o.size;
    }
    g.outputs = [viewAs(g, cur, [width])];
  }
  g.outputShapes = g.outputs.map((o) => g.values[o]!.shape);
  return { graph: g, inputs, outputs: outputs.map(({ name, size, rank }) => ({ name, size, rank })) };
}

/** A value with the same storage as `id` and IR shape `shape` (itself when the shape already matches). */
function viewAs(g: Graph, id: number, shape: number[]): number {
  const cur = g.values[id]!.shape;
  if (cur.length === shape.length && cur.every((d, i) => d === shape[i])) return id;
  if (elementCount(cur) !== elementCount(shape)) throw new Error(`internal: view of [${cur}] as [${shape}]`);
  const v = addValue(g, `${g.values[id]!.name}:view`, shape);
  g.values[v]!.viewOf = id;
  return v;
}

function importSequenceNode(g: Graph, node: OnnxNode, ins: (SeqSlot | undefined)[], opset: number): (SeqSlot | undefined)[] {
  const fail = (msg: string): never => { throw new UnsupportedError(node, msg); };
  const op = node.opType;
  const attr = <T extends AttrValue>(k: string, d: T): Widen<T> => (node.attrs.has(k) ? (node.attrs.get(k) as Widen<T>) : (d as Widen<T>));
  const act = (s: SeqSlot | undefined, what: string) => {
    if (!s) return fail(`missing input ${what}`);
    if (s.kind !== 'act') return fail(`input ${what} must depend on the graph inputs`);
    return s;
  };
  const cst = (s: SeqSlot | undefined, what: string): ConstTensor => {
    if (!s) return fail(`missing input ${what}`);
    if (s.kind !== 'const') return fail(`input ${what} must be a constant (initializer or folded)`);
    return s.t;
  };
  const optCst = (s: SeqSlot | undefined, what: string) => (s ? cst(s, what) : undefined);
  const ints = (t: ConstTensor | undefined) => (t ? Array.from(t.data) : undefined);
  const same = (s: { id: number; b: number }, full: number[], b: number): SeqSlot => ({ kind: 'act', id: s.id, full, b });
  const fresh = (shape: number[], suffix = '') => addValue(g, (node.outputs[0] || node.name) + suffix, shape);
  const sampleCount = (s: { full: number[]; b: number }) => Math.max(1, elementCount(perSample(s.full, s.b)));

  if (op === 'Shape' && ins[0]?.kind === 'act') {
    const full = ins[0].full;
    const start = normAxis(attr('start', 0), full.length);
    const end = node.attrs.has('end') ? normAxis(attr('end', full.length), full.length) : full.length;
    const dims = full.slice(Math.max(0, start), Math.min(full.length, end));
    return [{ kind: 'const', t: constTensor([dims.length], dims, 'int') }];
  }
  if (ins.every((s) => !s || s.kind === 'const') && CONST_EVAL_OPS.has(op)) {
    return evalConstNode(node, ins.map((s) => (s?.kind === 'const' ? s.t : undefined)), opset).map((t) => ({ kind: 'const', t }));
  }
  if (!(SEQUENCE_OPS as readonly string[]).includes(op)) {
    return fail('op type is not supported in a sequence model graph');
  }

  switch (op) {
    case 'Identity': case 'Cast': case 'Dropout': {
      const a = act(ins[0], 'input');
      return [same(a, a.full, a.b)];
    }
    case 'Tanh': case 'Sigmoid': case 'Relu': {
      const a = act(ins[0], 'X');
      const out = fresh([sampleCount(a)]);
      g.nodes.push(
        { op: 'unary', a: viewAs(g, a.id, [sampleCount(a)]), out, name: node.name, act: op === 'Tanh' ? Act.Tanh : op === 'Sigmoid'
          ? Act.Sigmoid : Act.Relu, alpha: 0 });
      return [{ kind: 'act', id: out, full: a.full, b: a.b }];
    }
    case 'Gather': {
      const axisAttr = attr('axis', 0);
      if (ins[0]?.kind === 'const' && ins[1]?.kind === 'act') {
        // Embedding lookup: a constant table, token ids from the graph.
        const table = ins[0].t;
        const ids = ins[1];
        if (normAxis(axisAttr, table.dims.length) !== 0) fail('an embedding lookup gathers rows (axis 0)');
        if (table.dims.length !== 2) fail(`the table has shape [${table.dims}], expected [vocabulary, width]`);
        const [V, E] = table.dims as [number, number];
        const count = sampleCount(ids);
        const out = fresh([count * E]);
        g.nodes.push({ op: 'embedding', a: viewAs(g, ids.id, [count]), out, name: node.name, table: Float32Array.from(table.data), V, E });
        return [{ kind: 'act', id: out, full: [...ids.full, E], b: ids.b }];
      }
      const a = act(ins[0], 'data');
      const idx = cst(ins[1], 'indices');
      const axis = normAxis(axisAttr, a.full.length);
      if (axis === a.b) fail('gathering along the batch axis is not supported');
      const dim = a.full[axis]!;
      const picked = Array.from(idx.data, (i) => (i < 0 ? i + dim : i));
      if (picked.length === 0 || picked.some((i) => !Number.isInteger(i) || i < 0 || i >= dim)) fail(
        `indices [${Array.from(idx.data)}] are out of range for size ${dim}`);
      const id = pickAlong(g, node, a, axis, picked.map((i) => [i, 1] as [number, number]));
      const full = [...a.full.slice(0, axis), ...idx.dims, ...a.full.slice(axis + 1)];
      const b = a.b < axis ? a.b : a.b - 1 + idx.dims.length;
      return [{ kind: 'act', id, full, b }];
    }
    case 'Slice': {
      let cur = act(ins[0], 'data');
      const { starts, ends, axes, steps } = sliceOperands(ins, cst, optCst);
      for (let i = 0; i < axes.length; i++) {
        const axis = normAxis(axes[i]!, cur.full.length);
        const dim = cur.full[axis]!;
        const keep = sliceIndices(dim, starts[i]!, ends[i]!, steps[i]!);
        if (axis === cur.b) {
          if (steps[i] === 1 && keep.length === dim && keep[0] === 0) continue;
          fail('slicing the batch axis is not supported');
        }
        if (steps[i] !== 1) fail(`steps other than 1 (got ${steps[i]}) are not supported`);
        if (keep.length === 0) fail('empty slices are not supported');
        if (keep.length === dim) continue;
        const id = pickAlong(g, node, cur, axis, [[keep[0]!, keep.length]]);
        const full = [...cur.full];
        full[axis] = keep.length;
        cur = { kind: 'act', id, full, b: cur.b };
      }
      return [cur];
    }
    case 'Concat': {
      const parts = ins.filter((s): s is SeqSlot => !!s).map((s, i) => act(s, `${i}`));
      const axis = normAxis(attr('axis', 0), parts[0]!.full.length);
      let cur = parts[0]!;
      for (const next of parts.slice(1)) {
        if (next.b !== cur.b || next.full.length !== cur.full.length || next.full.some((d, k) => k !== axis && d !== cur.full[k])) {
          fail(`inputs [${cur.full}] and [${next.full}] differ outside axis ${axis} (or in where the batch is)`);
        }
        if (axis === cur.b) fail('concatenating along the batch axis is not supported');
        const p = perSample(cur.full, cur.b);
        const k = axis < cur.b ? axis : axis - 1;
        const rows = elementCount(p.slice(0, k));
        const ca = sampleCount(cur) / rows, cb = sampleCount(next) / rows;
        const out = fresh([rows, ca + cb], ':concat');
        g.nodes.push({ op: 'concat', a: viewAs(g, cur.id, [rows, ca]), b: viewAs(g, next.id, [rows, cb]), axis: 1, out, name: node.name });
        const full = [...cur.full];
        full[axis] = cur.full[axis]! + next.full[axis]!;
        cur = { kind: 'act', id: out, full, b: cur.b };
      }
      return [cur];
    }
    case 'Transpose': {
      const a = act(ins[0], 'data');
      const r = a.full.length;
      const perm = attr<number[]>('perm', Array.from({ length: r }, (_, i) => r - 1 - i));
      const full = perm.map((i) => a.full[i]!);
      const b = perm.indexOf(a.b);
      const rest = perm.filter((i) => i !== a.b).map((i) => (i < a.b ? i : i - 1));
      if (rest.every((v, i) => i === 0 || v > rest[i - 1]!)) return [same(a, full, b)]; // per-sample order unchanged
      const p = perSample(a.full, a.b);
      if (p.length > 4) fail('per-sample rank above 4 is not supported');
      const dims = [...p, ...Array(4 - p.length).fill(1)];
      const q = [...rest, ...Array.from({ length: 4 - p.length }, (_, i) => p.length + i)];
      const out = fresh([sampleCount(a)]);
      g.nodes.push({ op: 'transpose', a: viewAs(g, a.id, [sampleCount(a)]), out, name: node.name, dims, perm: q });
      return [{ kind: 'act', id: out, full, b }];
    }
    case 'Reshape': case 'Squeeze': case 'Unsqueeze': case 'Flatten': {
      const a = act(ins[0], 'data');
      let full: number[];
      if (op === 'Reshape') {
        try { full = resolveReshape(a.full, ints(cst(ins[1], 'shape'))!, attr('allowzero', 0) === 1); } catch (e) {
          return fail((e as Error).message); }
      } else if (op === 'Flatten') {
        const axis = normAxis(attr('axis', 1), a.full.length);
        full = [elementCount(a.full.slice(0, axis)), elementCount(a.full.slice(axis))];
      } else {
        const axes = opset >= 13 ? ints(optCst(ins[1], 'axes')) : (node.attrs.get('axes') as number[] | undefined);
        if (op === 'Unsqueeze' && !axes) fail('missing axes');
        full = op === 'Squeeze' ? (axes ? squeezeDims(a.full, axes) : a.full.filter((d) => d !== 1)) : unsqueezeDims(a.full, axes!);
      }
      // The batch stays one axis with the same number of elements before it: then the per-sample order is unchanged.
      const before = elementCount(a.full.slice(0, a.b));
      const b = full.findIndex((d, i) => d === N && elementCount(full.slice(0, i)) === before);
      if (b < 0) fail(`the result [${full}] mixes the batch with other dims`);
      return [same(a, full, b)];
    }
    case 'Gemm': case 'MatMul': {
      const a = act(ins[0], 'A');
      if (a.b !== 0 || a.full.length !== 2) fail(
        `the activation operand must be [batch, features], got [${a.full}] with the batch on axis ${a.b}`);
      const K = a.full[1]!;
      const slot = (s: SeqSlot | undefined): Slot | undefined =>
        (s ? (s.kind === 'const' ? s : { kind: 'act', id: viewAs(g, s.id, [K]) }) : undefined);
      const plainIns = ins.map(slot);
      const id =
        importDense(g, node, plainIns, fail, (s, w) => (s?.kind === 'act' ? s.id : fail(`input ${w} must depend on the graph inputs`)),
        (s, w) => (s?.kind === 'const' ? s.t : fail(`input ${w} must be a constant`)), (s, w) =>
          (s ? (s.kind === 'const' ? s.t : fail(`input ${w} must be a constant`)) : undefined),
        attr as never);
      const M = elementCount(g.values[id]!.shape);
      return [{ kind: 'act', id, full: [N, M], b: 0 }];
    }
    case 'LSTM': case 'GRU': {
      checkRecurrentInputs(node, fail);
      const ra = recurrentAttrs(node, fail);
      const x = act(ins[0], 'X');
      const timeMajor = ra.layout === 0;
      if (x.full.length !== 3 || x.b !== (timeMajor ? 1 : 0)) {
        fail(`X must be [${timeMajor ? 'T, N, I' : 'N, T, I'}] (layout ${ra.layout}), got [${x.full}] with the batch on axis ${x.b}`);
      }
      const T = x.full[timeMajor ? 0 : 1]!, I = x.full[2]!;
      const state = (s: SeqSlot | undefined, what: string) => {
        if (!s) return undefined;
        const v = act(s, what);
        const want = timeMajor ? [ra.D, N, ra.H] : [N, ra.D, ra.H];
        if (v.full.length !== 3 || v.full.some((d, i) => d !== want[i]) || v.b !== (timeMajor ? 1 : 0)) fail(
          `${what} has shape [${v.full}], expected [${want}]`);
        return viewAs(g, v.id, [ra.D * ra.H]);
      };
      const h0 = state(ins[5], 'initial_h');
      const c0 = ra.lstm ? state(ins[6], 'initial_c') : undefined;
      const want = node.outputs.map((o) => !!o);
      const ids = addRecurrent(g, node, ra, {
        x: viewAs(g, x.id, [T * I]), T, I, W: cst(ins[1], 'W'), R: cst(ins[2], 'R'), B: optCst(ins[3], 'B'), h0, c0,
      }, fail, want);
      const yFull = timeMajor ? [T, ra.D, N, ra.H] : [N, T, ra.D, ra.H];
      const sFull = timeMajor ? [ra.D, N, ra.H] : [N, ra.D, ra.H];
      const sb = timeMajor ? 1 : 0;
      return ids.map((id, k) =>
        (id === undefined ? undefined : { kind: 'act', id, full: k === 0 ? yFull : sFull, b: k === 0 ? (timeMajor ? 2 : 0) : sb }));
    }
    case 'Softmax': case 'LogSoftmax': case 'ArgMax': {
      const a = act(ins[0], 'input');
      const r = a.full.length;
      const axis = normAxis(attr('axis', op === 'ArgMax' ? 0 : -1), r);
      if (axis !== r - 1 || axis === a.b) fail(
        `axis ${attr('axis', -1)} is not supported (only the last axis, which must not be the batch)`);
      if (op !== 'ArgMax' && opset < 13 && r !== 2) fail('before opset 13 only rank-2 inputs are supported');
      const L = a.full[r - 1]!;
      if (op === 'ArgMax' && attr('select_last_index', 0) !== 0) fail('select_last_index=1 is not supported');
      const count = sampleCount(a);
      const out = fresh([op === 'ArgMax' ? count / L : count]);
      const x = viewAs(g, a.id, [count]);
      if (op === 'Softmax') g.nodes.push({ op: 'softmax', a: x, out, name: node.name, L });
      else if (op === 'LogSoftmax') g.nodes.push({ op: 'logsoftmax', a: x, out, name: node.name, L });
      else g.nodes.push({ op: 'argmax', a: x, out, name: node.name, L });
      const full = op !== 'ArgMax' ? a.full : attr('keepdims', 1) ? [...a.full.slice(0, -1), 1] : a.full.slice(0, -1);
      return [{ kind: 'act', id: out, full, b: a.b }];
    }
  }
  return fail('op type is not supported in a sequence model graph');
}

/** Runs [start, start+count) along `axis` of `a`, as SLICEs joined by CONCATs on rank-2 views. */
function pickAlong(g: Graph, node: OnnxNode, a: { id: number; full: number[]; b: number }, axis: number, runs: [number, number][]): number {
  const p = perSample(a.full, a.b);
  const k = axis < a.b ? axis : axis - 1;
  const rows = elementCount(p.slice(0, k));
  const inner = elementCount(p.slice(k + 1));
  const width = p[k]! * inner;
  const src = viewAs(g, a.id, [rows, width]);
  // merge consecutive picks into runs
  const merged: [number, number][] = [];
  for (const [s, c] of runs) {
    const last = merged[merged.length - 1];
    if (last && last[0] + last[1] === s) last[1] += c;
    else merged.push([s, c]);
  }
  let cur = -1;
  let curWidth = 0;
  merged.forEach(([s, c], i) => {
    const part = addValue(g, `${node.outputs[0] || node.name}:run${i}`, [rows, c * inner]);
    g.nodes.push({ op: 'slice', a: src, out: part, axis: 1, start: s * inner, count: c * inner, name: node.name });
    if (cur < 0) { cur = part; curWidth = c * inner; return; }
    const joined = addValue(g, `${node.outputs[0] || node.name}:join${i}`, [rows, curWidth + c * inner]);
    g.nodes.push({ op: 'concat', a: cur, b: part, axis: 1, out: joined, name: node.name });
    cur = joined;
    curWidth += c * inner;
  });
  return cur;
}
