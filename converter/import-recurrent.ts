// ONNX LSTM and GRU nodes -> the converter's recurrent IR node (docs/format.md "Sequence ops"): attribute checks
// (what the runtime does not compute is refused naming the attribute), and the weights moved into the kernel's
// layout. Shared by the image importer (batch-first layout only) and the sequence importer (import-sequence.ts).
import { addValue, type Graph } from './ir.js';
import type { ConstTensor, OnnxNode } from './onnx-load.js';
import type { Fail } from './import-context.js';

const DIRECTIONS = { forward: 0, reverse: 1, bidirectional: 2 } as const;
const DEFAULT_ACTIVATIONS = { LSTM: ['Sigmoid', 'Tanh', 'Tanh'], GRU: ['Sigmoid', 'Tanh'] } as const;

export interface RecurrentAttrs { lstm: boolean; H: number; dir: 0 | 1 | 2; D: number; layout: 0 | 1; lbr: 0 | 1 }

/** Reads and checks the attributes of an LSTM/GRU node. */
export function recurrentAttrs(node: OnnxNode, fail: Fail): RecurrentAttrs {
  const lstm = node.opType === 'LSTM';
  const get = (k: string) => node.attrs.get(k);
  const H = Number(get('hidden_size') ?? 0);
  if (!Number.isInteger(H) || H < 1) fail('attribute hidden_size must be a positive integer');
  const dirName = String(get('direction') ?? 'forward');
  if (!(dirName in DIRECTIONS)) fail(`attribute direction "${dirName}" is not forward, reverse or bidirectional`);
  const dir = DIRECTIONS[dirName as keyof typeof DIRECTIONS];
  if (get('clip') !== undefined) fail('attribute clip is not supported (cell clipping)');
  if (get('activation_alpha') !== undefined || get('activation_beta') !== undefined) fail(
    'attributes activation_alpha/activation_beta are not supported');
  const acts = get('activations') as string[] | undefined;
  if (acts) {
    const want = DEFAULT_ACTIVATIONS[lstm ? 'LSTM' : 'GRU'];
    const D = dir === 2 ? 2 : 1;
    const ok = acts.length === want.length * D && acts.every((a, i) => String(a).toLowerCase() === want[i % want.length]!.toLowerCase());
    if (!ok) fail(`attribute activations [${acts.join(', ')}] is not supported (only the defaults ${want.join(', ')})`);
  }
  if (lstm && Number(get('input_forget') ?? 0) !== 0) fail('attribute input_forget=1 (coupled input-forget gate) is not supported');
  const layout = Number(get('layout') ?? 0);
  if (layout !== 0 && layout !== 1) fail(`attribute layout ${layout} is not 0 or 1`);
  const lbr = lstm ? 0 : Number(get('linear_before_reset') ?? 0);
  if (lbr !== 0 && lbr !== 1) fail(`attribute linear_before_reset ${lbr} is not 0 or 1`);
  return { lstm, H, dir, D: dir === 2 ? 2 : 1, layout: layout as 0 | 1, lbr: lbr as 0 | 1 };
}

/** [D, rows, cols] -> per direction [cols, rows] (K-major for the GEMV). */
function transposeBlocks(data: ArrayLike<number>, D: number, rows: number, cols: number): Float32Array {
  const out = new Float32Array(D * rows * cols);
  for (let d = 0; d < D; d++) {
    const base = d * rows * cols;
    for (let r = 0; r < rows; r++) for (let c = 0; c < cols; c++) out[base + c * rows + r] = data[base + r * cols + c]!;
  }
  return out;
}

export interface RecurrentOperands {
  /** per-sample [T, I] activation */
  x: number;
  T: number;
  I: number;
  W: ConstTensor;
  R: ConstTensor;
  B?: ConstTensor;
  /** per-sample [D, H] activations */
  h0?: number;
  c0?: number;
}

/**
 * Adds the recurrent node and returns the IR values of Y [T*D*H], Y_h [D*H] and (LSTM) Y_c [D*H], each a slice of
 * the node's packed output. Only the outputs the graph uses are sliced (`want`).
 */
export function addRecurrent(g: Graph, node: OnnxNode, a: RecurrentAttrs, o: RecurrentOperands, fail: Fail,
  want: boolean[]): (number | undefined)[] {
  const { H, D, lstm } = a;
  const G = lstm ? 4 : 3;
  const GH = G * H;
  const dims = (t: ConstTensor) => `[${t.dims.join(', ')}]`;
  if (o.W.dims.length !== 3 || o.W.dims[0] !== D || o.W.dims[1] !== GH || o.W.dims[2] !== o.I) fail(
    `W has shape ${dims(o.W)}, expected [${D}, ${GH}, ${o.I}]`);
  if (o.R.dims.length !== 3 || o.R.dims[0] !== D || o.R.dims[1] !== GH || o.R.dims[2] !== H) fail(
    `R has shape ${dims(o.R)}, expected [${D}, ${GH}, ${H}]`);
  if (o.B && (o.B.dims.length !== 2 || o.B.dims[0] !== D || o.B.dims[1] !== 2 * GH)) fail(
    `B has shape ${dims(o.B)}, expected [${D}, ${2 * GH}]`);
  const out = addValue(g, `${node.outputs.find((x) => x) ?? node.name}:packed`, [o.T * D * H + D * H * (lstm ? 2 : 1)]);
  g.nodes.push({
    op: lstm ? 'lstm' : 'gru', a: o.x, out, name: node.name,
    w: transposeBlocks(o.W.data, D, GH, o.I), r: transposeBlocks(o.R.data, D, GH, H),
    bias: o.B ? Float32Array.from(o.B.data) : new Float32Array(D * 2 * GH),
    ...(o.h0 !== undefined ? { h0: o.h0 } : {}), ...(o.c0 !== undefined ? { c0: o.c0 } : {}),
    H, dir: a.dir, T: o.T, lbr: a.lbr,
  });
  const parts: [number, number][] = [[0, o.T * D * H], [o.T * D * H, D * H], [o.T * D * H + D * H, D * H]];
  const total = o.T * D * H + D * H * (lstm ? 2 : 1);
  const view = addValue(g, `${node.name}:packed2d`, [1, total]);
  g.values[view]!.viewOf = out;
  return parts.slice(0, lstm ? 3 : 2).map(([start, count], k) => {
    if (!want[k]) return undefined;
    const v = addValue(g, node.outputs[k] || `${node.name}:${k}`, [1, count]);
    g.nodes.push({ op: 'slice', a: view, out: v, axis: 1, start, count, name: node.name });
    return v;
  });
}

/** Refusals common to both importers: per-sequence lengths and peepholes. */
export function checkRecurrentInputs(node: OnnxNode, fail: Fail): void {
  if (node.inputs[4]) fail('input sequence_lens is not supported (every sequence runs the full length; pad with the stop token instead)');
  if (node.opType === 'LSTM' && node.inputs[7]) fail('input P (peephole weights) is not supported');
}

/**
 * LSTM/GRU, LogSoftmax and ArgMax inside an image-style graph (batch on dim 0 of every value): recurrent layers must
 * be batch-first (layout 1); softmax-like ops work on the last axis of values stored in ONNX order (not rank-3 HWC).
 */
export function importSequenceOpInImageGraph(
  g: Graph, node: OnnxNode, ins: ({ kind: 'const'; t: ConstTensor } | { kind: 'act'; id: number } | undefined)[], fail: Fail,
): (number | undefined)[] {
  const act = (k: number, what: string): number => {
    const s = ins[k];
    if (!s || s.kind !== 'act') return fail(`input ${what} must depend on the graph input`);
    return s.id;
  };
  const shapeOf = (id: number) => g.values[id]!.shape;
  const flat = (id: number) => {
    const shape = shapeOf(id);
    const n = shape.reduce((p, d) => p * d, 1);
    if (shape.length === 1) return id;
    const v = addValue(g, `${g.values[id]!.name}:flat`, [n]);
    g.nodes.push({ op: 'reshape', a: id, out: v, name: node.name });
    return v;
  };
  if (node.opType === 'LSTM' || node.opType === 'GRU') {
    checkRecurrentInputs(node, fail);
    const a = recurrentAttrs(node, fail);
    if (a.layout !== 1) fail(
      'layout 0 (time-major, batch on axis 1) needs a sequence model conversion (edgevae convert --seq); here only layout 1 is supported');
    const x = act(0, 'X');
    const xs = shapeOf(x);
    if (xs.length !== 2) fail(`X must be [N, T, I], got per-sample shape [${xs}]`);
    const cst = (k: number, what: string) => {
      const s = ins[k];
      if (!s || s.kind !== 'const') return fail(`input ${what} must be a constant`);
      return s.t;
    };
    const state = (k: number, what: string) => {
      if (!ins[k]) return undefined;
      const id = act(k, what);
      if (shapeOf(id).length !== 2 || shapeOf(id)[0] !== a.D || shapeOf(id)[1] !== a.H) fail(
        `${what} must be [N, ${a.D}, ${a.H}], got per-sample [${shapeOf(id)}]`);
      return flat(id);
    };
    const [T, I] = xs as [number, number];
    const ids = addRecurrent(g, node, a, {
      x: flat(x), T, I, W: cst(1, 'W'), R: cst(2, 'R'), B: ins[3] ? cst(3, 'B') : undefined,
      h0: state(5, 'initial_h'), c0: a.lstm ? state(6, 'initial_c') : undefined,
    }, fail, node.outputs.map((o) => !!o));
    const shapes = [[T, a.D, a.H], [a.D, a.H], [a.D, a.H]];
    return ids.map((id, k) => {
      if (id === undefined) return undefined;
      const v = addValue(g, `${node.outputs[k]}:shaped`, shapes[k]!);
      g.nodes.push({ op: 'reshape', a: id, out: v, name: node.name });
      return v;
    });
  }
  const x = act(0, 'input');
  const shape = shapeOf(x);
  const r = shape.length + 1;
  const raw = Number(node.attrs.get('axis') ?? (node.opType === 'ArgMax' ? 0 : -1));
  const axis = raw < 0 ? raw + r : raw;
  if (axis !== r - 1 || axis === 0) fail(`axis ${raw} is not supported (only the last axis, not the batch)`);
  if (shape.length === 3) fail('rank-4 inputs are not supported (only the last axis of values stored in ONNX order)');
  if (node.opType === 'ArgMax' && Number(node.attrs.get('select_last_index') ?? 0) !== 0) fail('select_last_index=1 is not supported');
  const L = shape[shape.length - 1]!;
  const keep = Number(node.attrs.get('keepdims') ?? 1) !== 0;
  const reduced = keep ? [...shape.slice(0, -1), 1] : shape.slice(0, -1);
  const out = addValue(g, node.outputs[0]!, node.opType === 'ArgMax' ? (reduced.length ? reduced : [1]) : shape);
  if (node.opType === 'ArgMax') g.nodes.push({ op: 'argmax', a: flat(x), out, name: node.name, L });
  else g.nodes.push({ op: 'logsoftmax', a: flat(x), out, name: node.name, L });
  return [out];
}
