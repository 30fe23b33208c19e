// Conversion-time evaluation of ONNX nodes whose inputs are all constants (shape sub-graphs, weight
// preprocessing). Only the ops that appear in such sub-graphs of exported VAEs are covered.
import type { AttrValue, ConstTensor, ElemKind, OnnxNode, Widen } from './onnx-load.js';

export const constTensor = (dims: number[], data: ArrayLike<number>, kind: ElemKind): ConstTensor => ({
  dims: [...dims],
  kind,
  data: kind === 'float' ? Float32Array.from(data) : Float64Array.from(data),
});

const count = (dims: readonly number[]) => dims.reduce((p, d) => p * d, 1);
/** Largest constant built at conversion time (the format's element limit). */
const MAX_FOLDED = 1 << 26;

export function stridesOf(dims: readonly number[]): number[] {
  const s = new Array<number>(dims.length);
  let acc = 1;
  for (let i = dims.length - 1; i >= 0; i--) { s[i] = acc; acc *= dims[i]!; }
  return s;
}

/** Numpy-style broadcast of two shapes; null when they are incompatible. */
export function broadcastShape(a: readonly number[], b: readonly number[]): number[] | null {
  const r = Math.max(a.length, b.length);
  const out: number[] = [];
  for (let i = 0; i < r; i++) {
    const da = a[a.length - r + i] ?? 1;
    const db = b[b.length - r + i] ?? 1;
    if (da !== db && da !== 1 && db !== 1) return null;
    out.push(da === 1 ? db : da);
  }
  return out;
}

/** Expands `data` with shape `dims` to shape `to` (numpy broadcasting; `to` must be a valid target). */
export function broadcastTo(data: ArrayLike<number>, dims: readonly number[], to: readonly number[]): Float64Array {
  const out = new Float64Array(count(to));
  const r = to.length;
  const padded = [...new Array<number>(r - dims.length).fill(1), ...dims];
  const srcStrides = stridesOf(padded).map((s, i) => (padded[i] === 1 ? 0 : s));
  const idx = new Array<number>(r).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < r; k++) src += idx[k]! * srcStrides[k]!;
    out[o] = data[src]!;
    for (let k = r - 1; k >= 0; k--) { if (++idx[k]! < to[k]!) break; idx[k] = 0; }
  }
  return out;
}

export function transposeData(data: ArrayLike<number>, dims: readonly number[], perm: readonly number[]): { dims: number[]; data: Float64Array } {
  const outDims = perm.map((p) => dims[p]!);
  const inStrides = stridesOf(dims);
  const out = new Float64Array(count(dims));
  const idx = new Array<number>(dims.length).fill(0);
  for (let o = 0; o < out.length; o++) {
    let src = 0;
    for (let k = 0; k < perm.length; k++) src += idx[k]! * inStrides[perm[k]!]!;
    out[o] = data[src]!;
    for (let k = perm.length - 1; k >= 0; k--) { if (++idx[k]! < outDims[k]!) break; idx[k] = 0; }
  }
  return { dims: outDims, data: out };
}

/** ONNX Slice index arithmetic for one axis: clamps and resolves negatives; returns the picked indices. */
export function sliceIndices(dim: number, start: number, end: number, step: number): number[] {
  if (step === 0) throw new Error('Slice step 0 is invalid');
  const norm = (v: number) => (v < 0 ? v + dim : v);
  let s = norm(start);
  let e = norm(end);
  if (step > 0) { s = Math.min(Math.max(s, 0), dim); e = Math.min(Math.max(e, 0), dim); }
  else { s = Math.min(Math.max(s, -1), dim - 1); e = Math.min(Math.max(e, -1), dim - 1); }
  const out: number[] = [];
  for (let i = s; step > 0 ? i < e : i > e; i += step) out.push(i);
  return out;
}

/** Takes elements `picked` along `axis` (shared by Gather and Slice on constants). */
export function takeAlong(data: ArrayLike<number>, dims: readonly number[], axis: number, picked: readonly number[]): { dims: number[]; data: Float64Array } {
  const outer = count(dims.slice(0, axis));
  const inner = count(dims.slice(axis + 1));
  const d = dims[axis]!;
  const out = new Float64Array(outer * picked.length * inner);
  let o = 0;
  for (let i = 0; i < outer; i++) for (const p of picked) for (let j = 0; j < inner; j++) out[o++] = data[(i * d + p) * inner + j]!;
  const outDims = [...dims];
  outDims[axis] = picked.length;
  return { dims: outDims, data: out };
}

export const normAxis = (axis: number, rank: number): number => (axis < 0 ? axis + rank : axis);

const ELEMENTWISE: Record<string, (a: number, b: number, int: boolean) => number> = {
  Add: (a, b) => a + b,
  Sub: (a, b) => a - b,
  Mul: (a, b) => a * b,
  Div: (a, b, int) => (int ? Math.trunc(a / b) : a / b),
  Pow: (a, b) => a ** b,
  Equal: (a, b) => (a === b ? 1 : 0),
  Less: (a, b) => (a < b ? 1 : 0),
  Greater: (a, b) => (a > b ? 1 : 0),
  Max: (a, b) => Math.max(a, b),
  Min: (a, b) => Math.min(a, b),
  GreaterOrEqual: (a, b) => (a >= b ? 1 : 0),
  LessOrEqual: (a, b) => (a <= b ? 1 : 0),
  And: (a, b) => (a && b ? 1 : 0),
  Or: (a, b) => (a || b ? 1 : 0),
  Xor: (a, b) => (!a !== !b ? 1 : 0),
};
/** Elementwise ops whose result is a bool tensor. */
const BOOL_RESULT = new Set(['Equal', 'Less', 'Greater', 'GreaterOrEqual', 'LessOrEqual', 'And', 'Or', 'Xor']);
const UNARY: Record<string, (a: number) => number> = {
  Neg: (a) => -a, Sqrt: Math.sqrt, Abs: Math.abs, Reciprocal: (a) => 1 / a, Floor: Math.floor, Ceil: Math.ceil,
  Relu: (a) => Math.max(a, 0), Exp: Math.exp, Sigmoid: (a) => 1 / (1 + Math.exp(-a)), Tanh: Math.tanh, Not: (a) => (a ? 0 : 1), Sign: Math.sign,
};

export const CONST_EVAL_OPS = new Set([
  'Constant', 'Identity', 'Dropout', 'Cast', 'Gather', 'Unsqueeze', 'Squeeze', 'Reshape', 'Flatten', 'Concat', 'Slice',
  'ConstantOfShape', 'Transpose', 'Where', 'Range', 'Mod', 'Expand', ...Object.keys(ELEMENTWISE), ...Object.keys(UNARY),
]);

const intList = (t: ConstTensor | undefined): number[] | undefined => (t ? Array.from(t.data) : undefined);

/**
 * Evaluates `node` on constant inputs (`undefined` for omitted optional ones); returns its outputs.
 * `opset` decides where attributes moved to inputs (Squeeze/Unsqueeze/Split axes at 13).
 */
export function evalConstNode(node: OnnxNode, ins: (ConstTensor | undefined)[], opset: number): ConstTensor[] {
  const attr = <T extends AttrValue>(k: string, d: T): Widen<T> => (node.attrs.has(k) ? (node.attrs.get(k) as Widen<T>) : (d as Widen<T>));
  const x = ins[0];
  const need = (t: ConstTensor | undefined, what: string): ConstTensor => {
    if (!t) throw new Error(`node "${node.name}" (${node.opType}): missing input ${what}`);
    return t;
  };
  const op = node.opType;
  if (op in ELEMENTWISE) {
    const a = need(x, 'A');
    const b = need(ins[1], 'B');
    const dims = broadcastShape(a.dims, b.dims);
    if (!dims) throw new Error(`node "${node.name}" (${op}): shapes [${a.dims}] and [${b.dims}] do not broadcast`);
    const av = broadcastTo(a.data, a.dims, dims);
    const bv = broadcastTo(b.data, b.dims, dims);
    const int = a.kind !== 'float';
    const f = ELEMENTWISE[op]!;
    const kind: ElemKind = BOOL_RESULT.has(op) ? 'bool' : a.kind;
    return [constTensor(dims, av.map((v, i) => f(v, bv[i]!, int)), kind)];
  }
  if (op in UNARY) {
    const a = need(x, 'X');
    return [constTensor(a.dims, Array.from(a.data, UNARY[op]!), a.kind)];
  }
  switch (op) {
    case 'Constant': {
      if (node.attrs.has('value')) return [node.attrs.get('value') as ConstTensor];
      if (node.attrs.has('value_float')) return [constTensor([], [attr('value_float', 0)], 'float')];
      if (node.attrs.has('value_floats')) { const v = attr<number[]>('value_floats', []); return [constTensor([v.length], v, 'float')]; }
      if (node.attrs.has('value_int')) return [constTensor([], [attr('value_int', 0)], 'int')];
      if (node.attrs.has('value_ints')) { const v = attr<number[]>('value_ints', []); return [constTensor([v.length], v, 'int')]; }
      throw new Error(`node "${node.name}" (Constant): only value, value_float(s) and value_int(s) are supported`);
    }
    case 'Identity': case 'Dropout': return [need(x, 'input')];
    case 'Cast': {
      const a = need(x, 'input');
      const to = attr('to', 1);
      const kind: ElemKind = [1, 10, 11, 16].includes(to) ? 'float' : to === 9 ? 'bool' : 'int';
      const data = Array.from(a.data, (v) => (kind === 'int' ? Math.trunc(v) : kind === 'bool' ? (v ? 1 : 0) : v));
      return [constTensor(a.dims, data, kind)];
    }
    case 'Gather': {
      const a = need(x, 'data');
      const ind = need(ins[1], 'indices');
      const axis = normAxis(attr('axis', 0), a.dims.length);
      const picked = Array.from(ind.data, (i) => (i < 0 ? i + a.dims[axis]! : i));
      const r = takeAlong(a.data, a.dims, axis, picked);
      const dims = [...a.dims.slice(0, axis), ...ind.dims, ...a.dims.slice(axis + 1)];
      return [constTensor(dims, r.data, a.kind)];
    }
    case 'Unsqueeze': case 'Squeeze': {
      const a = need(x, 'data');
      const axes = opset >= 13 ? intList(ins[1]) : (node.attrs.get('axes') as number[] | undefined);
      return [{ ...a, dims: op === 'Squeeze' ? squeezeDims(a.dims, axes) : unsqueezeDims(a.dims, axes ?? []) }];
    }
    case 'Reshape': {
      const a = need(x, 'data');
      return [{ ...a, dims: resolveReshape(a.dims, intList(need(ins[1], 'shape'))!, attr('allowzero', 0) === 1) }];
    }
    case 'Flatten': {
      const a = need(x, 'input');
      const axis = normAxis(attr('axis', 1), a.dims.length);
      return [{ ...a, dims: [count(a.dims.slice(0, axis)), count(a.dims.slice(axis))] }];
    }
    case 'Concat': {
      const parts = ins.filter((t): t is ConstTensor => !!t);
      const first = need(parts[0], 'inputs');
      const axis = normAxis(attr('axis', 0), first.dims.length);
      const outer = count(first.dims.slice(0, axis));
      const dims = [...first.dims];
      dims[axis] = parts.reduce((s, p) => s + p.dims[axis]!, 0);
      const out: number[] = [];
      for (let i = 0; i < outer; i++) for (const p of parts) {
        const chunk = count(p.dims.slice(axis));
        for (let j = 0; j < chunk; j++) out.push(p.data[i * chunk + j]!);
      }
      return [constTensor(dims, out, first.kind)];
    }
    case 'Slice': {
      const a = need(x, 'data');
      const starts = intList(need(ins[1], 'starts'))!;
      const ends = intList(need(ins[2], 'ends'))!;
      const axes = intList(ins[3]) ?? starts.map((_, i) => i);
      const steps = intList(ins[4]) ?? starts.map(() => 1);
      let cur: { dims: number[]; data: Float64Array } = { dims: [...a.dims], data: Float64Array.from(a.data) };
      axes.forEach((ax, i) => {
        const axis = normAxis(ax, a.dims.length);
        cur = takeAlong(cur.data, cur.dims, axis, sliceIndices(cur.dims[axis]!, starts[i]!, ends[i]!, steps[i]!));
      });
      return [constTensor(cur.dims, cur.data, a.kind)];
    }
    case 'ConstantOfShape': {
      const dims = intList(need(x, 'shape'))!;
      if (count(dims) > MAX_FOLDED) throw new Error(`node "${node.name}" (ConstantOfShape): shape [${dims}] is too large to fold (does it depend on the batch size?)`);
      const v = node.attrs.get('value') as ConstTensor | undefined;
      return [constTensor(dims, new Float64Array(count(dims)).fill(v ? v.data[0]! : 0), v ? v.kind : 'float')];
    }
    case 'Transpose': {
      const a = need(x, 'data');
      const perm = attr<number[]>('perm', a.dims.map((_, i) => a.dims.length - 1 - i));
      const r = transposeData(a.data, a.dims, perm);
      return [constTensor(r.dims, r.data, a.kind)];
    }
    case 'Where': {
      const c = need(x, 'condition'); const a = need(ins[1], 'X'); const b = need(ins[2], 'Y');
      const dims = broadcastShape(broadcastShape(c.dims, a.dims) ?? [], b.dims);
      if (!dims) throw new Error(`node "${node.name}" (Where): shapes do not broadcast`);
      const cv = broadcastTo(c.data, c.dims, dims); const av = broadcastTo(a.data, a.dims, dims); const bv = broadcastTo(b.data, b.dims, dims);
      return [constTensor(dims, cv.map((v, i) => (v ? av[i]! : bv[i]!)), a.kind)];
    }
    case 'Mod': {
      // fmod=0: the result takes the divisor's sign (Python's %); fmod=1: the dividend's (C's fmod).
      const a = need(x, 'A'); const b = need(ins[1], 'B');
      const dims = broadcastShape(a.dims, b.dims);
      if (!dims) throw new Error(`node "${node.name}" (Mod): shapes [${a.dims}] and [${b.dims}] do not broadcast`);
      const av = broadcastTo(a.data, a.dims, dims); const bv = broadcastTo(b.data, b.dims, dims);
      const fmod = attr('fmod', 0) === 1;
      return [constTensor(dims, av.map((v, i) => { const d = bv[i]!; return fmod ? v % d : v - d * Math.floor(v / d); }), a.kind)];
    }
    case 'Expand': {
      const a = need(x, 'input');
      const shape = intList(need(ins[1], 'shape'))!;
      const dims = broadcastShape(a.dims, shape);
      if (!dims) throw new Error(`node "${node.name}" (Expand): [${a.dims}] does not broadcast to [${shape}]`);
      if (count(dims) > MAX_FOLDED) throw new Error(`node "${node.name}" (Expand): shape [${dims}] is too large to fold (does it depend on the batch size?)`);
      return [constTensor(dims, broadcastTo(a.data, a.dims, dims), a.kind)];
    }
    case 'Range': {
      const [s, l, d] = [need(x, 'start').data[0]!, need(ins[1], 'limit').data[0]!, need(ins[2], 'delta').data[0]!];
      const n = Math.max(Math.ceil((l - s) / d), 0);
      if (n > MAX_FOLDED) throw new Error(`node "${node.name}" (Range): ${n} elements are too many to fold`);
      return [constTensor([n], Array.from({ length: n }, (_, i) => s + i * d), x!.kind)];
    }
  }
  throw new Error(`node "${node.name}" (${op}): cannot be evaluated at conversion time`);
}

export function squeezeDims(dims: readonly number[], axes: number[] | undefined): number[] {
  if (!axes || axes.length === 0) return dims.filter((d) => d !== 1);
  const drop = new Set(axes.map((a) => normAxis(a, dims.length)));
  for (const a of drop) if (dims[a] !== 1) throw new Error(`Squeeze axis ${a} has size ${dims[a]}, not 1`);
  return dims.filter((_, i) => !drop.has(i));
}

export function unsqueezeDims(dims: readonly number[], axes: number[]): number[] {
  const rank = dims.length + axes.length;
  const add = new Set(axes.map((a) => normAxis(a, rank)));
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < rank; i++) out.push(add.has(i) ? 1 : dims[j++]!);
  return out;
}

/** ONNX Reshape target resolution (0 copies the input dim unless allowzero, one -1 is inferred). */
export function resolveReshape(inDims: readonly number[], target: readonly number[], allowZero: boolean): number[] {
  const total = count(inDims);
  const out = target.map((t, i) => (t === 0 && !allowZero ? inDims[i]! : t));
  const neg = out.filter((t) => t === -1).length;
  if (neg > 1) throw new Error(`Reshape target [${target}] has more than one -1`);
  if (neg === 1) {
    const known = out.reduce((p, d) => (d === -1 ? p : p * d), 1);
    if (known === 0 || total % known !== 0) throw new Error(`Reshape cannot infer -1 in [${target}] for ${total} elements`);
    out[out.indexOf(-1)] = total / known;
  }
  if (count(out) !== total) throw new Error(`Reshape target [${target}] does not match ${total} elements of [${inDims}]`);
  return out;
}
