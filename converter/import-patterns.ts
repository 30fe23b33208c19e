// Recognises decomposed activations and normalisations that exporters write as chains of elementary ONNX
// ops, and replaces the chain's last node by the one op it computes (Gelu, HardSwish, Mish,
// LayerNormalization). The other nodes of the chain stay in the list but are no longer needed, so the
// importer skips them, unless something else reads their outputs.
import type { ConstTensor, OnnxModel, OnnxNode } from './onnx-load.js';

interface Index {
  producer: Map<string, OnnxNode>;
  uses: Map<string, number>;
  scalar: (name: string) => number | undefined;
  ints: (name: string) => number[] | undefined;
}

function indexModel(model: OnnxModel): Index {
  const producer = new Map<string, OnnxNode>();
  const uses = new Map<string, number>();
  for (const n of model.nodes) {
    for (const o of n.outputs) producer.set(o, n);
    for (const i of n.inputs) if (i) uses.set(i, (uses.get(i) ?? 0) + 1);
  }
  for (const o of model.outputs) uses.set(o.name, (uses.get(o.name) ?? 0) + 1);
  const tensor = (name: string): ConstTensor | undefined => {
    const init = model.initializers.get(name);
    if (init) return init;
    const p = producer.get(name);
    if (p?.opType !== 'Constant') return undefined;
    const v = p.attrs.get('value');
    if (v && typeof v === 'object' && !Array.isArray(v)) return v;
    const f = p.attrs.get('value_float');
    if (typeof f === 'number') return { dims: [], kind: 'float', data: Float32Array.of(f) };
    const ints = p.attrs.get('value_ints');
    if (Array.isArray(ints)) return { dims: [ints.length], kind: 'int', data: Float64Array.from(ints as number[]) };
    return undefined;
  };
  const scalar = (name: string) => {
    const t = tensor(name);
    return t && t.data.length === 1 ? t.data[0] : undefined;
  };
  const ints = (name: string) => {
    const t = tensor(name);
    return t ? Array.from(t.data) : undefined;
  };
  return { producer, uses, scalar, ints };
}

const near = (v: number | undefined, want: number, tol = 1e-6) => v !== undefined && Math.abs(v - want) <= tol * Math.max(1, Math.abs(want));

/** Returns a copy of the model whose fused patterns are single nodes; the input model is left unchanged. */
export function rewritePatterns(model: OnnxModel): OnnxModel {
  const idx = indexModel(model);
  const nodes = model.nodes.map((n) => rewriteNode(n, idx) ?? n);
  return { ...model, nodes };
}

function rewriteNode(n: OnnxNode, idx: Index): OnnxNode | undefined {
  if (n.opType === 'Mul') return gelu(n, idx) ?? xTimes(n, idx);
  if (n.opType === 'Div') return layerNorm(n, idx);
  return undefined;
}

const replace = (n: OnnxNode, opType: string, inputs: string[], attrs: Map<string, number | number[] | string> = new Map()): OnnxNode =>
  ({ name: n.name, opType, domain: '', inputs, outputs: n.outputs, attrs });

/** The other input of a binary node (undefined when neither input is `x`). */
const other = (n: OnnxNode, x: string) => (n.inputs[0] === x ? n.inputs[1] : n.inputs[1] === x ? n.inputs[0] : undefined);

/** The sole consumer-free producer of `name` with op type `op` (its output read only once). */
function soleProducer(idx: Index, name: string | undefined, op: string): OnnxNode | undefined {
  if (!name) return undefined;
  const p = idx.producer.get(name);
  return p?.opType === op && idx.uses.get(name) === 1 ? p : undefined;
}

/**
 * x * 0.5 * (1 + erf(x / sqrt 2)) in any association of the three factors (PyTorch's GELU before opset 20):
 * Erf(Div(x, sqrt 2) or Mul(x, 1/sqrt 2)) -> Add 1 -> the product with x and 0.5; likewise the tanh
 * approximation with Tanh(sqrt(2/pi) (x + 0.044715 x^3)) in place of the Erf.
 */
function gelu(n: OnnxNode, idx: Index): OnnxNode | undefined {
  // The factor 1 + erf(x / sqrt 2), or 1 + tanh(sqrt(2/pi) (x + 0.044715 x^3)) (the tanh approximation).
  const onePlusErf = (name: string | undefined): { x: string; tanh: boolean } | undefined => {
    const add = soleProducer(idx, name, 'Add');
    if (!add) return undefined;
    for (const k of [0, 1]) {
      if (!near(idx.scalar(add.inputs[1 - k]!), 1)) continue;
      const tanh = soleProducer(idx, add.inputs[k], 'Tanh');
      if (tanh) {
        const x = tanhArgument(tanh.inputs[0]);
        if (x) return { x, tanh: true };
        continue;
      }
      const erf = soleProducer(idx, add.inputs[k], 'Erf');
      if (!erf) continue;
      const arg = soleProducer(idx, erf.inputs[0], 'Div') ?? soleProducer(idx, erf.inputs[0], 'Mul');
      if (!arg) continue;
      if (arg.opType === 'Div' && near(idx.scalar(arg.inputs[1]!), Math.SQRT2)) return { x: arg.inputs[0]!, tanh: false };
      if (arg.opType === 'Mul') for (const j of [0, 1]) if (near(idx.scalar(arg.inputs[j]!), Math.SQRT1_2)) return { x: arg.inputs[1 - j]!, tanh: false };
    }
    return undefined;
  };
  // sqrt(2/pi) * (x + 0.044715 * x^3), x^3 as Pow(x, 3) or x * (x * x)
  const tanhArgument = (name: string | undefined): string | undefined => {
    const scaled = soleProducer(idx, name, 'Mul');
    if (!scaled) return undefined;
    for (const k of [0, 1]) {
      if (!near(idx.scalar(scaled.inputs[1 - k]!), Math.sqrt(2 / Math.PI))) continue;
      const sum = soleProducer(idx, scaled.inputs[k], 'Add');
      if (!sum) continue;
      for (const j of [0, 1]) {
        const x = sum.inputs[1 - j]!;
        const term = soleProducer(idx, sum.inputs[j], 'Mul');
        const cube = term && [0, 1].map((i) => (near(idx.scalar(term.inputs[1 - i]!), 0.044715) ? term.inputs[i] : undefined)).find((c) => c);
        if (cube && isCube(cube, x)) return x;
      }
    }
    return undefined;
  };
  const isCube = (name: string, x: string): boolean => {
    const pow = soleProducer(idx, name, 'Pow');
    if (pow) return pow.inputs[0] === x && idx.scalar(pow.inputs[1]!) === 3;
    const m = soleProducer(idx, name, 'Mul');
    const sq = m && (m.inputs[0] === x ? m.inputs[1] : m.inputs[1] === x ? m.inputs[0] : undefined);
    const s2 = sq !== undefined ? soleProducer(idx, sq, 'Mul') : undefined;
    return !!s2 && s2.inputs[0] === x && s2.inputs[1] === x;
  };
  const gelu = (f: { x: string; tanh: boolean }) => replace(n, 'Gelu', [f.x], f.tanh ? new Map([['approximate', 'tanh']]) : new Map());
  const isHalf = (name: string | undefined) => near(name === undefined ? undefined : idx.scalar(name), 0.5);
  const halfOf = (name: string | undefined, x: string) => { // Mul(x, 0.5)
    const m = soleProducer(idx, name, 'Mul');
    return !!m && other(m, x) !== undefined && isHalf(other(m, x));
  };
  for (const k of [0, 1]) {
    const [p, q] = [n.inputs[k], n.inputs[1 - k]];
    // (1 + erf) * (x * 0.5)
    const f = onePlusErf(p);
    if (f && halfOf(q, f.x)) return gelu(f);
    // ((1 + erf) * x) * 0.5  or  ((1 + erf) * 0.5) * x
    const inner = soleProducer(idx, p, 'Mul');
    if (!inner) continue;
    for (const j of [0, 1]) {
      const g = onePlusErf(inner.inputs[j]);
      if (!g) continue;
      const rest = inner.inputs[1 - j];
      if (rest === g.x && isHalf(q)) return gelu(g);
      if (isHalf(rest) && q === g.x) return gelu(g);
    }
  }
  return undefined;
}

/** x * HardSigmoid(x) with alpha 1/6, beta 1/2 -> HardSwish; x * Tanh(Softplus(x)) -> Mish. (x * Sigmoid(x) fuses in the IR.) */
function xTimes(n: OnnxNode, idx: Index): OnnxNode | undefined {
  for (const k of [0, 1]) {
    const x = n.inputs[1 - k]!;
    const hs = soleProducer(idx, n.inputs[k], 'HardSigmoid');
    if (hs && hs.inputs[0] === x && near(hs.attrs.get('alpha') as number | undefined, 1 / 6) && near((hs.attrs.get('beta') as number | undefined) ?? 0.5, 0.5)) {
      return replace(n, 'HardSwish', [x]);
    }
    const tanh = soleProducer(idx, n.inputs[k], 'Tanh');
    const sp = tanh && soleProducer(idx, tanh.inputs[0], 'Softplus');
    if (sp && sp.inputs[0] === x) return replace(n, 'Mish', [x]);
  }
  return undefined;
}

/**
 * (x - mean(x)) / sqrt(mean((x - mean(x))^2) + eps) over trailing axes -> LayerNormalization without affine
 * (the Mul/Add after it fold into its scale and bias in the IR). The axes ride along as `edgevae_axes`
 * so the importer can check that they are the trailing ones.
 */
function layerNorm(n: OnnxNode, idx: Index): OnnxNode | undefined {
  const d = idx.producer.get(n.inputs[0]!);
  if (d?.opType !== 'Sub') return undefined;
  const x = d.inputs[0]!;
  const mean = soleProducer(idx, d.inputs[1], 'ReduceMean');
  if (!mean || mean.inputs[0] !== x) return undefined;
  const sqrt = soleProducer(idx, n.inputs[1], 'Sqrt');
  const add = sqrt && soleProducer(idx, sqrt.inputs[0], 'Add');
  if (!add) return undefined;
  let eps: number | undefined;
  let varName: string | undefined;
  for (const k of [0, 1]) {
    const e = idx.scalar(add.inputs[1 - k]!);
    if (e !== undefined) { eps = e; varName = add.inputs[k]; }
  }
  const variance = soleProducer(idx, varName, 'ReduceMean');
  if (eps === undefined || !variance) return undefined;
  const sq = idx.producer.get(variance.inputs[0]!);
  const squares = sq && idx.uses.get(variance.inputs[0]!) === 1 && (
    (sq.opType === 'Pow' && sq.inputs[0] === d.outputs[0] && idx.scalar(sq.inputs[1]!) === 2) ||
    (sq.opType === 'Mul' && sq.inputs[0] === d.outputs[0] && sq.inputs[1] === d.outputs[0]));
  // d feeds exactly the square and this division
  if (!squares || idx.uses.get(d.outputs[0]!) !== (sq!.opType === 'Mul' ? 3 : 2)) return undefined;
  const axesOf = (r: OnnxNode) => (r.attrs.get('axes') as number[] | undefined) ?? (r.inputs[1] ? idx.ints(r.inputs[1]) : undefined);
  const a1 = axesOf(mean), a2 = axesOf(variance);
  const keep = (r: OnnxNode) => (r.attrs.get('keepdims') as number | undefined) ?? 1;
  if (!a1 || !a2 || a1.join() !== a2.join() || keep(mean) !== 1 || keep(variance) !== 1) return undefined;
  return replace(n, 'LayerNormalization', [x], new Map<string, number | number[]>([['epsilon', eps], ['edgevae_axes', a1]]));
}
