// Import of the activation ops beyond the classic set: Gelu, PRelu, Clip (ReLU6, Hardtanh), HardSigmoid,
// HardSwish and Mish. Each becomes one elementwise IR node (or a short chain) that the passes can fuse
// into the conv/dense/norm op before it.
import { Act, BinaryKind } from '../runtime/format-constants.js';
import { clipAlpha, halfToNumber } from '../runtime/clip-bounds.js';
import { broadcastShape, broadcastTo } from './const-eval.js';
import type { ActGetter, AttrGetter, Fail, OptConstGetter, ConstGetter, Slot } from './import-context.js';
import { addValue, elementCount, type Graph } from './ir.js';
import type { ConstTensor, OnnxNode } from './onnx-load.js';
import { toHalfBits } from '../reference/quant-arithmetic.js';

const F32_MAX = 3.4028234663852886e38;

/** binary16 bits of a clip bound, or undefined when the bound is not exactly a binary16 value (+-FLT_MAX count as infinite). */
function halfBound(v: number): number | undefined {
  if (v >= F32_MAX) return 0x7c00;
  if (v <= -F32_MAX) return 0xfc00;
  const h = toHalfBits(v);
  return halfToNumber(h) === Math.fround(v) ? h : undefined;
}

/** Alpha word of a clip activation for [lo, hi], or undefined when a bound has no exact binary16 form. */
export function clipAlphaFor(lo: number, hi: number): number | undefined {
  const l = halfBound(lo), h = halfBound(hi);
  return l === undefined || h === undefined ? undefined : clipAlpha(l, h);
}

export function importActivation(
  g: Graph, node: OnnxNode, ins: (Slot | undefined)[], opset: number, fail: Fail,
  act: ActGetter, cst: ConstGetter, optCst: OptConstGetter, attr: AttrGetter,
): number {
  const a = act(ins[0], 'X');
  const shape = g.values[a]!.shape;
  const out = (suffix = '') => addValue(g, node.outputs[0] + suffix, shape);
  const unary = (x: number, kind: Act, alpha = 0, suffix = '') => {
    const o = out(suffix);
    g.nodes.push({ op: 'unary', a: x, out: o, name: node.name, act: kind, alpha });
    return o;
  };
  const binary = (x: number, kind: BinaryKind, b: Float32Array, suffix = '') => {
    const o = out(suffix);
    g.nodes.push({ op: 'binary', kind, a: x, b, out: o, name: node.name, act: Act.None, alpha: 0 });
    return o;
  };
  const filled = (v: number) => new Float32Array(Math.max(1, elementCount(shape))).fill(v);
  switch (node.opType) {
    case 'Gelu': {
      const approx = attr('approximate', 'none');
      if (approx !== 'none' && approx !== 'tanh') fail(`approximate="${approx}" is unknown (none or tanh)`);
      return unary(a, approx === 'tanh' ? Act.GeluTanh : Act.Gelu);
    }
    case 'HardSwish': return unary(a, Act.HardSwish);
    case 'Mish': return unary(a, Act.Mish);
    case 'HardSigmoid': {
      // max(0, min(1, alpha x + beta)): a scale and a shift (which fold into a conv before it) and a clip to [0, 1]
      const alpha = attr('alpha', 0.2), beta = attr('beta', 0.5);
      if (!Number.isFinite(alpha) || !Number.isFinite(beta)) fail(`alpha ${alpha} and beta ${beta} must be finite`);
      const scaled = binary(a, BinaryKind.Mul, filled(alpha), ':scale');
      const shifted = binary(scaled, BinaryKind.Add, filled(beta), ':shift');
      return unary(shifted, Act.Clip, clipAlphaFor(0, 1)!);
    }
    case 'Clip': {
      const bound = (i: number, name: string, d: number) => {
        const t = optCst(ins[i], name);
        if (!t) return d;
        if (t.data.length !== 1) fail(`${name} must be a scalar, got shape [${t.dims}]`);
        return t.data[0]!;
      };
      const lo = Math.fround(bound(1, 'min', -Infinity)), hi = Math.fround(bound(2, 'max', Infinity));
      if (Number.isNaN(lo) || Number.isNaN(hi) || lo > hi) fail(`bounds [${lo}, ${hi}] need min <= max`);
      if (lo <= -F32_MAX && hi >= F32_MAX) return a; // no bound: identity
      if (lo === 0 && hi >= F32_MAX) return unary(a, Act.Relu);
      const alpha = clipAlphaFor(lo, hi);
      if (alpha === undefined) fail(`bounds [${lo}, ${hi}] are not exact binary16 values, which the format's clip activation stores; not supported`);
      return unary(a, Act.Clip, alpha);
    }
    case 'PRelu': {
      const slope = cst(ins[1], 'slope');
      const values = perSampleConstant(slope, shape, fail);
      if (values.every((v) => v === values[0])) return unary(a, Act.LeakyRelu, values[0]!);
      return binary(a, BinaryKind.PRelu, values);
    }
  }
  return fail('op type is not supported');
}

/** A constant broadcast (ONNX unidirectional broadcasting) to the per-sample shape; must not vary over the batch. */
function perSampleConstant(c: ConstTensor, shape: number[], fail: Fail): Float32Array {
  const full = [1, ...shape];
  if (c.dims.length === full.length && c.dims[0] !== 1) fail(`slope of shape [${c.dims}] varies across the batch`);
  const b = broadcastShape(full, c.dims);
  if (!b || b.length !== full.length || b.some((d, i) => d !== full[i])) fail(`slope of shape [${c.dims}] does not broadcast to the input [N,${shape}]`);
  const dims = c.dims.length === full.length ? c.dims.slice(1) : c.dims;
  return Float32Array.from(broadcastTo(c.data, dims, shape));
}
