// IR (after passes and planning) -> writer structures: tensor table entries, ops with their parameter
// words, constants in the runtime's layouts (dense [K,M], conv [G,KH,KW,Ci/G,Co/G], BINARY period vectors).
import { DType, EntryKind, Op, TensorKind } from '../runtime/format-constants.js';
import { elementCount, storageAxis, storageDims, toStorageOrder, type ConvNode, type Graph, type Node, type ResizeAxis } from './ir.js';
import type { ArenaPlan } from './plan.js';
import type { WEntry, WOp, WTensor } from './writer.js';

export interface EmitContext { tensors: WTensor[] }

const f32Bits = (v: number): number => new Uint32Array(new Float32Array([v]).buffer)[0]!;
const f32Bytes = (a: Float32Array): Uint8Array => new Uint8Array(a.buffer.slice(a.byteOffset, a.byteOffset + a.byteLength));

function constant(ctx: EmitContext, data: Float32Array, dims: number[], name: string): number {
  ctx.tensors.push({ kind: TensorKind.Constant, dtype: DType.F32, dims, data: f32Bytes(data), name });
  return ctx.tensors.length - 1;
}

/** Smallest period L (a suffix product of the storage dims) with data[i] == data[i mod L]. */
export function smallestPeriod(data: Float32Array, shape: number[]): number {
  const sd = storageDims(shape);
  const candidates = [1];
  for (let k = sd.length - 1, p = 1; k >= 0; k--) { p *= sd[k]!; candidates.push(p); }
  for (const L of candidates) {
    let ok = true;
    for (let i = L; i < data.length && ok; i++) ok = data[i] === data[i % L];
    if (ok) return L;
  }
  return data.length;
}

/** Conv weights from ONNX layout to [G, KH, KW, Ci/G, Co/G] (stored with dims [G*KH, KW, Ci/G, Co/G]: rank is at most 4). */
export function convWeights(n: ConvNode): Float32Array {
  const G = n.groups;
  const ciG = n.ci / G;
  const coG = n.co / G;
  const out = new Float32Array(n.w.length);
  for (let g = 0; g < G; g++) for (let ky = 0; ky < n.kh; ky++) for (let kx = 0; kx < n.kw; kx++)
    for (let ci = 0; ci < ciG; ci++) for (let co = 0; co < coG; co++) {
      const src = n.op === 'conv'
        ? (((g * coG + co) * ciG + ci) * n.kh + ky) * n.kw + kx
        : (((g * ciG + ci) * coG + co) * n.kh + ky) * n.kw + kx;
      out[((((g * n.kh + ky) * n.kw + kx) * ciG + ci) * coG) + co] = n.w[src]!;
    }
  return out;
}

/** Appends one entry's tensors to ctx and returns its entry and op names (for the metadata). */
export function emitEntry(ctx: EmitContext, g: Graph, plan: ArenaPlan, kind: EntryKind, reserved?: number): { entry: WEntry;
  layers: string[] } {
  const index = new Map<number, number>();
  const tensorOf = (id: number): number => {
    let t = index.get(id);
    if (t === undefined) {
      const v = g.values[id]!;
      if (v.shape.length > 4) throw new Error(
        `value "${v.name}" has per-sample rank ${v.shape.length}; the format holds at most 4 (only a Transpose may read such a reshape)`);
      const off = plan.offsets.get(id);
      if (off === undefined) throw new Error(`internal: value "${v.name}" has no arena slot`);
      ctx.tensors.push({
        kind: TensorKind.Activation, dtype: DType.F32, dims: v.shape.length ? [...v.shape] : [1],
        offset: off, byteLength: Math.max(1, elementCount(v.shape)) * 4, name: v.name,
      });
      t = ctx.tensors.length - 1;
      index.set(id, t);
    }
    return t;
  };
  const input = tensorOf(g.input);
  const ops: WOp[] = g.nodes.map((n) => emitOp(ctx, g, n, tensorOf));
  const outputs = g.outputs.map(tensorOf);
  return { entry: { kind, input, outputs, ops, ...(reserved ? { reserved } : {}) }, layers: g.nodes.map((n) => n.name) };
}

function emitOp(ctx: EmitContext, g: Graph, n: Node, t: (id: number) => number): WOp {
  const shapeA = g.values[n.a]!.shape;
  const base = { out: t(n.out), a: t(n.a), name: n.name };
  switch (n.op) {
    case 'dense': {
      const b = constant(ctx, n.w, [n.K, n.M], `${n.name}.weight`);
      const c = n.bias ? constant(ctx, n.bias, [n.M], `${n.name}.bias`) : undefined;
      return { ...base, op: Op.Dense, b, c, act: n.act, alpha: n.alpha };
    }
    case 'conv': case 'convT': {
      const G = n.groups;
      const b = constant(ctx, convWeights(n), [G * n.kh, n.kw, n.ci / G, n.co / G], `${n.name}.weight`);
      const c = n.bias ? constant(ctx, n.bias, [n.co], `${n.name}.bias`) : undefined;
      return {
        ...base, op: n.op === 'conv' ? Op.Conv2D : Op.ConvTranspose, b, c, act: n.act, alpha: n.alpha,
        params: [n.kh, n.kw, n.sH, n.sW, n.padT, n.padL, n.dH, n.dW, G],
      };
    }
    case 'unary': return { ...base, op: Op.Unary, act: n.act, alpha: n.alpha };
    case 'binary': {
      if (typeof n.b === 'number') {
        return { ...base, op: Op.Binary, b: t(n.b), act: n.act, alpha: n.alpha, params: [n.kind, Math.max(1, elementCount(shapeA))] };
      }
      const stored = toStorageOrder(n.b, shapeA);
      const L = smallestPeriod(stored, shapeA);
      const b = constant(ctx, stored.slice(0, L), [L], `${n.name}.operand`);
      return { ...base, op: Op.Binary, b, act: n.act, alpha: n.alpha, params: [n.kind, L] };
    }
    case 'resize': return { ...base, op: Op.ResizeNearest, params: [n.sH, n.sW] };
    case 'concat': {
      const sa = storageDims(shapeA);
      const sb = storageDims(g.values[n.b]!.shape);
      const ax = storageAxis(shapeA.length, n.axis);
      const rows = elementCount(sa.slice(0, ax));
      return { ...base, op: Op.Concat, b: t(n.b), params: [elementCount(sa.slice(ax)), elementCount(sb.slice(ax)), rows] };
    }
    case 'slice': {
      const sa = storageDims(shapeA);
      const ax = storageAxis(shapeA.length, n.axis);
      const inner = elementCount(sa.slice(ax + 1));
      return { ...base, op: Op.Slice, params: [sa[ax]! * inner, n.start * inner, n.count * inner, elementCount(sa.slice(0, ax))] };
    }
    case 'layout': return { ...base, op: Op.Layout, params: [n.mode, n.C, n.H, n.W] };
    case 'groupnorm': case 'layernorm': {
      const b = constant(ctx, n.gamma, [n.gamma.length], `${n.name}.scale`);
      const c = constant(ctx, n.beta, [n.beta.length], `${n.name}.bias`);
      const eps = new Uint32Array(Float32Array.of(n.eps).buffer)[0]!;
      const op = n.op === 'groupnorm' ? Op.GroupNorm : Op.LayerNorm;
      return { ...base, op, b, c, act: n.act, alpha: n.alpha, params: [n.op === 'groupnorm' ? n.groups : n.size, eps] };
    }
    case 'copy': return { ...base, op: Op.Copy };
    case 'pad': return { ...base, op: Op.Pad, params: [n.mode, n.pt >>> 0, n.pl >>> 0, f32Bits(n.value)] };
    case 'resizeAny': {
      const axis = (x: ResizeAxis) => [x.p, x.m, x.d, x.q].map(f32Bits);
      return { ...base, op: Op.Resize, params: [n.mode, ...axis(n.h), ...axis(n.w)] };
    }
    case 'pool': return { ...base, op: Op.Pool, params: [n.kind, n.kh, n.kw, n.sH, n.sW, n.pt, n.pl, n.pb, n.pr] };
    case 'matmul': return { ...base, op: Op.MatMul, b: t(n.b), params: [n.B, n.M, n.K, n.N] };
    case 'softmax': return { ...base, op: Op.Softmax, params: [n.L] };
    case 'transpose': return { ...base, op: Op.Transpose, params: [...n.dims, ...n.perm] };
    case 'embedding': return { ...base, op: Op.Embedding, b: constant(ctx, n.table, [n.V, n.E], `${n.name}.table`) };
    case 'argmax': return { ...base, op: Op.ArgMax, params: [n.L] };
    case 'logsoftmax': return { ...base, op: Op.LogSoftmax, params: [n.L] };
    case 'lstm': case 'gru': {
      const D = n.dir === 2 ? 2 : 1;
      const GH = (n.op === 'lstm' ? 4 : 3) * n.H;
      const b = constant(ctx, n.w, [n.w.length / GH, GH], `${n.name}.W`);
      const r = constant(ctx, n.r, [D * n.H, GH], `${n.name}.R`);
      const c = constant(ctx, n.bias, [D, 2 * GH], `${n.name}.B`);
      const NONE = 0xffffffff;
      const h0 = n.h0 !== undefined ? t(n.h0) : NONE;
      const c0 = n.c0 !== undefined ? t(n.c0) : NONE;
      return { ...base, op: n.op === 'lstm' ? Op.Lstm : Op.Gru, b, c, params: [r, h0, c0, n.H, n.dir, n.T, n.lbr] };
    }
    case 'reshape': throw new Error(`internal: reshape "${n.name}" reached the emitter`);
  }
}
