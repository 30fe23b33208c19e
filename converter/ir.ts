// The converter's graph IR: activations with per-sample shapes (batch dim dropped, ONNX order) and
// ops close to the .evae op set. Import builds it, passes rewrite it, the planner and emitter consume it.
import { Act, BinaryKind, LayoutMode, PadMode, PoolKind, ResizeMode } from '../runtime/format-constants.js';

export interface Value {
  id: number;
  name: string;
  /** per-sample dims in ONNX order ([C,H,W], [K], ...) */
  shape: number[];
  /** this value shares the storage of another value (a reshape that moves no data) */
  viewOf?: number;
}

interface NodeBase { a: number; out: number; name: string }

export interface DenseNode extends NodeBase { op: 'dense'; K: number; M: number; w: Float32Array /* [K,M] K-major */; bias: Float32Array | null; act: Act; alpha: number }

export interface ConvNode extends NodeBase {
  op: 'conv' | 'convT';
  /** ONNX weight layout: conv [Co, Ci/G, KH, KW]; convT [Ci, Co/G, KH, KW] */
  w: Float32Array;
  bias: Float32Array | null;
  ci: number; co: number; kh: number; kw: number;
  sH: number; sW: number; padT: number; padL: number; dH: number; dW: number; groups: number;
  act: Act; alpha: number;
}

export interface UnaryNode extends NodeBase { op: 'unary'; act: Act; alpha: number }

/** `b` is an activation id or a constant already broadcast to the per-sample shape of `a` (ONNX order). */
export interface BinaryNode extends NodeBase { op: 'binary'; kind: BinaryKind; b: number | Float32Array; act: Act; alpha: number }

export interface ResizeNode extends NodeBase { op: 'resize'; sH: number; sW: number }
export interface ConcatNode extends NodeBase { op: 'concat'; b: number; axis: number }
export interface SliceNode extends NodeBase { op: 'slice'; axis: number; start: number; count: number }
/** Logical reshape (ONNX order unchanged); the layout pass turns it into a view, a weight permutation or LAYOUT ops. */
export interface ReshapeNode extends NodeBase { op: 'reshape' }
export interface LayoutNode extends NodeBase { op: 'layout'; mode: LayoutMode; C: number; H: number; W: number }
export interface CopyNode extends NodeBase { op: 'copy' }

/**
 * Group normalisation of a [C,H,W] value (instance norm: groups == C): statistics per group of C/groups
 * channels over all pixels, then a per-channel affine `gamma`, `beta`.
 */
export interface GroupNormNode extends NodeBase { op: 'groupnorm'; groups: number; eps: number; gamma: Float32Array; beta: Float32Array; act: Act; alpha: number }
/** Layer normalisation of each row of `size` elements (ONNX order: `a` is [size] or [rows, size]); affine per position in the row. */
export interface LayerNormNode extends NodeBase { op: 'layernorm'; size: number; eps: number; gamma: Float32Array; beta: Float32Array; act: Act; alpha: number }

/** Spatial pad of a [C,H,W] value (negative pads crop); bottom/right follow from the output shape. */
export interface PadNode extends NodeBase { op: 'pad'; mode: PadMode; pt: number; pl: number; value: number }
/** Per-axis source coordinate ((o + p) * m) / d - q of a general resize (f32 values). */
export interface ResizeAxis { p: number; m: number; d: number; q: number }
export interface ResizeAnyNode extends NodeBase { op: 'resizeAny'; mode: ResizeMode; h: ResizeAxis; w: ResizeAxis }
export interface PoolNode extends NodeBase { op: 'pool'; kind: PoolKind; kh: number; kw: number; sH: number; sW: number; pt: number; pl: number; pb: number; pr: number }
/** Batched matrix product of two rank-1 (row-major) values: [B,M,K] . [B,K,N] -> [B,M,N]. */
export interface MatMulNode extends NodeBase { op: 'matmul'; b: number; B: number; M: number; K: number; N: number }
/** Softmax over consecutive runs of L values of a rank-1 value. */
export interface SoftmaxNode extends NodeBase { op: 'softmax'; L: number }
/** Reorders the stored bytes (storage order, not ONNX order): row-major dims (4) with their axes permuted. */
export interface TransposeNode extends NodeBase { op: 'transpose'; dims: number[]; perm: number[] }

/** Token embedding: rows of `table` [V, E] picked by the ids (f32 integers) of `a`. */
export interface EmbeddingNode extends NodeBase { op: 'embedding'; table: Float32Array; V: number; E: number }
/**
 * LSTM/GRU layer over T steps (docs/format.md "Sequence ops"): `a` is [T, I]; weights in the runtime's layout
 * (w [D][I, G*H], r [D][H, G*H], bias [D][2*G*H]); optional initial states [D, H]; out = Y [T,D,H] ++ Y_h (++ Y_c).
 */
export interface RecurrentNode extends NodeBase {
  op: 'lstm' | 'gru'; w: Float32Array; r: Float32Array; bias: Float32Array; h0?: number; c0?: number;
  H: number; dir: 0 | 1 | 2; T: number; lbr: 0 | 1;
}
/** Index of the first largest value of each run of L values (as f32). */
export interface ArgMaxNode extends NodeBase { op: 'argmax'; L: number }
/** Log-softmax over consecutive runs of L values. */
export interface LogSoftmaxNode extends NodeBase { op: 'logsoftmax'; L: number }

export type Node = DenseNode | ConvNode | UnaryNode | BinaryNode | ResizeNode | ConcatNode | SliceNode | ReshapeNode | LayoutNode | CopyNode
  | GroupNormNode | LayerNormNode | PadNode | ResizeAnyNode | PoolNode | MatMulNode | SoftmaxNode | TransposeNode
  | EmbeddingNode | RecurrentNode | ArgMaxNode | LogSoftmaxNode;

export interface Graph {
  values: Value[];
  nodes: Node[];
  /** rank-1 input of the entry */
  input: number;
  /** rank-1 outputs of the entry */
  outputs: number[];
  /** informative: ONNX shapes without batch */
  inputShape: number[];
  outputShapes: number[][];
}

export const elementCount = (shape: readonly number[]): number => shape.reduce((p, d) => p * d, 1);

export function addValue(g: Graph, name: string, shape: number[]): number {
  const id = g.values.length;
  g.values.push({ id, name, shape: [...shape] });
  return id;
}

/** Storage root of a value (follows view links). */
export function rootOf(g: Graph, id: number): number {
  let v = g.values[id]!;
  while (v.viewOf !== undefined) v = g.values[v.viewOf]!;
  return v.id;
}

/** Activation ids read by a node. */
export function nodeInputs(n: Node): number[] {
  if ((n.op === 'binary' && typeof n.b === 'number') || n.op === 'concat' || n.op === 'matmul') return [n.a, n.b as number];
  if (n.op === 'lstm' || n.op === 'gru') return [n.a, ...(n.h0 !== undefined ? [n.h0] : []), ...(n.c0 !== undefined ? [n.c0] : [])];
  return [n.a];
}

/**
 * Rank-3 activations are stored HWC; all others row-major. Returns true when the stored order equals
 * the ONNX (row-major) order, i.e. a reshape to or from this shape moves no data.
 */
export function storedInOnnxOrder(shape: readonly number[]): boolean {
  return shape.length !== 3 || shape[0] === 1 || shape[1]! * shape[2]! === 1;
}

/** Dims in storage order: [H,W,C] for rank 3, otherwise unchanged. */
export function storageDims(shape: readonly number[]): number[] {
  return shape.length === 3 ? [shape[1]!, shape[2]!, shape[0]!] : [...shape];
}

/** Maps an ONNX per-sample axis to its position in storage order. */
export function storageAxis(rank: number, axis: number): number {
  return rank === 3 ? [2, 0, 1][axis]! : axis;
}

/** Reorders CHW (ONNX) data into HWC storage order (identity for other ranks). */
export function toStorageOrder(data: Float32Array, shape: readonly number[]): Float32Array {
  if (shape.length !== 3) return data;
  const [C, H, W] = shape as [number, number, number];
  const out = new Float32Array(data.length);
  for (let c = 0; c < C; c++) for (let p = 0; p < H * W; p++) out[p * C + c] = data[c * H * W + p]!;
  return out;
}

/** Index permutation for a [C,H,W] vector: hwcToChw[i] = position in CHW of HWC element i. */
export function hwcToChwIndex(C: number, H: number, W: number): Int32Array {
  const idx = new Int32Array(C * H * W);
  for (let p = 0; p < H * W; p++) for (let c = 0; c < C; c++) idx[p * C + c] = c * H * W + p;
  return idx;
}

export function consumers(g: Graph): Map<number, Node[]> {
  const m = new Map<number, Node[]>();
  for (const n of g.nodes) for (const i of nodeInputs(n)) {
    const list = m.get(i) ?? [];
    list.push(n);
    m.set(i, list);
  }
  return m;
}
