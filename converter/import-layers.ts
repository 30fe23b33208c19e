// Import of the weight-bearing ONNX layers: Gemm/MatMul -> dense (a MatMul other than a constant matrix applied to
// one vector is import-attention.ts's), Conv/ConvTranspose (1D and 2D).
import { Act } from '../runtime/format-constants.js';
import { broadcastShape, broadcastTo } from './const-eval.js';
import { importMatMul } from './import-attention.js';
import { actSlot, reshapeTo, type NodeImport, type ActGetter, type AttrGetter, type ConstGetter, type Fail, type OptConstGetter, type Slot } from './import-context.js';
import { addValue, type Graph } from './ir.js';
import type { ConstTensor, OnnxNode } from './onnx-load.js';

export const LAYER_OPS = ['Gemm', 'MatMul', 'Conv', 'ConvTranspose'];

export function importLayer(c: NodeImport): Slot[] {
  const { g, node, ins, fail, act, cst, optCst, attr } = c;
  if (node.opType === 'Conv' || node.opType === 'ConvTranspose') {
    return [actSlot(importConv(g, node, act(ins[0], 'X'), cst(ins[1], 'W'), optCst(ins[2], 'B'), fail, attr))];
  }
  const m = node.opType === 'MatMul' ? importMatMul(g, node, ins, fail) : undefined;
  if (m !== undefined) return [actSlot(m)];
  return [actSlot(importDense(g, node, ins, fail, act, cst, optCst, attr))];
}

export function importDense(
  g: Graph, node: OnnxNode, ins: (Slot | undefined)[], fail: Fail,
  act: ActGetter, cst: ConstGetter, optCst: OptConstGetter, attr: AttrGetter,
): number {
  const isGemm = node.opType === 'Gemm';
  if (ins[0]?.kind === 'const') fail('a constant first operand (activation as the weight) is not supported');
  const a = act(ins[0], 'A');
  const inShape = g.values[a]!.shape;
  if (isGemm && attr('transA', 0)) fail('transA=1 is not supported (it would transpose the batch away)');
  // Leading size-1 dims (e.g. [N,1,K] after an Unsqueeze) keep one vector per sample.
  const lead = inShape.slice(0, -1);
  if (inShape.length === 0 || lead.some((d) => d !== 1) || (isGemm && inShape.length !== 1)) {
    fail(`the activation operand must be a batch of vectors; per-sample shape [${inShape}] (rank ${inShape.length + 1} ${node.opType}) is not supported`);
  }
  const B = cst(ins[1], 'B');
  const K = inShape[inShape.length - 1]!;
  const transB = isGemm && attr('transB', 0) === 1;
  let M: number;
  if (B.dims.length === 1 && !isGemm) M = 1;
  else if (B.dims.length === 2) M = transB ? B.dims[0]! : B.dims[1]!;
  else return fail(`weight of shape [${B.dims}] is not a matrix`);
  const bK = B.dims.length === 1 ? B.dims[0]! : transB ? B.dims[1]! : B.dims[0]!;
  if (bK !== K) fail(`weight of shape [${B.dims}] does not match input size ${K}`);
  const alpha = isGemm ? attr('alpha', 1) : 1;
  const w = new Float32Array(K * M);
  for (let k = 0; k < K; k++) for (let m = 0; m < M; m++) w[k * M + m] = alpha * B.data[transB ? m * K + k : k * M + m]!;
  let bias: Float32Array | null = null;
  const C = isGemm ? optCst(ins[2], 'C') : undefined;
  if (C) {
    if (C.dims.length === 2 && C.dims[0] !== 1) fail(`bias of shape [${C.dims}] varies across the batch`);
    const cd = C.dims.length === 2 ? C.dims.slice(1) : C.dims;
    if (!broadcastShape(cd, [M]) || (cd.length === 1 && cd[0] !== 1 && cd[0] !== M)) fail(`bias of shape [${C.dims}] does not broadcast to [${M}]`);
    const beta = attr('beta', 1);
    bias = Float32Array.from(broadcastTo(C.data, cd, [M]), (v) => v * beta);
  }
  const vec = reshapeTo(g, a, [K], `${node.outputs[0]}:vector`);
  const out = addValue(g, node.outputs[0]!, [M]);
  g.nodes.push({ op: 'dense', a: vec, out, name: node.name, K, M, w, bias, act: Act.None, alpha: 0 });
  const outShape = B.dims.length === 1 ? lead : [...lead, M];
  return reshapeTo(g, out, outShape, `${node.outputs[0]}:shaped`);
}

function importConv(
  g: Graph, node: OnnxNode, x: number, W: ConstTensor, B: ConstTensor | undefined, fail: Fail, attr: AttrGetter,
): number {
  const transposed = node.opType === 'ConvTranspose';
  let shape = g.values[x]!.shape;
  const oneD = shape.length === 2;
  if (shape.length !== 3 && !oneD) fail(`only 1D and 2D convolutions are supported (input per-sample shape [${shape}])`);
  if (W.dims.length !== shape.length + 1) fail(`weight of rank ${W.dims.length} does not match the input`);
  const lift = (v: number[] | undefined, d: number) => (v ? (oneD ? [d, ...v] : v) : undefined);
  let xin = x;
  if (oneD) {
    shape = [shape[0]!, 1, shape[1]!];
    xin = reshapeTo(g, x, shape, `${node.outputs[0]}:as2d`);
  }
  const [Ci, H, Wd] = shape as [number, number, number];
  const groups = attr('group', 1);
  const kh = oneD ? 1 : W.dims[2]!;
  const kw = oneD ? W.dims[2]! : W.dims[3]!;
  const ks = lift(node.attrs.get('kernel_shape') as number[] | undefined, 1);
  if (ks && (ks[0] !== kh || ks[1] !== kw)) fail(`kernel_shape [${ks}] does not match the weight [${W.dims}]`);
  const [sH, sW] = lift(attr<number[]>('strides', oneD ? [1] : [1, 1]), 1)!;
  const [dH, dW] = lift(attr<number[]>('dilations', oneD ? [1] : [1, 1]), 1)!;
  // The format's limits (docs/format.md); 0 or negative values would also break the size arithmetic below.
  if (![sH, sW, dH, dW].every((v) => Number.isInteger(v) && v >= 1 && v <= 65536)) {
    fail(`strides [${sH},${sW}] and dilations [${dH},${dW}] must be integers in 1..65536`);
  }
  let pads = attr<number[]>('pads', oneD ? [0, 0] : [0, 0, 0, 0]);
  if (oneD) pads = [0, pads[0]!, 0, pads[1]!];
  let [pT, pL, pB, pR] = pads as [number, number, number, number];
  if (pads.some((p) => p < 0)) fail('negative pads are not supported');
  const autoPad = attr('auto_pad', 'NOTSET');
  if (!['NOTSET', 'SAME_UPPER', 'SAME_LOWER', 'VALID'].includes(autoPad)) fail(`auto_pad "${autoPad}" is unknown`);
  if (Ci % groups !== 0) fail(`${Ci} input channels are not divisible by group=${groups}`);
  let Co: number;
  let OH: number;
  let OW: number;
  const eff = (k: number, d: number) => (k - 1) * d + 1;
  if (!transposed) {
    Co = W.dims[0]!;
    if (W.dims[1]! * groups !== Ci) fail(`weight [${W.dims}] expects ${W.dims[1]! * groups} input channels, input has ${Ci}`);
    if (Co % groups !== 0) fail(`${Co} output channels are not divisible by group=${groups}`);
    if (autoPad === 'VALID') [pT, pL, pB, pR] = [0, 0, 0, 0];
    if (autoPad.startsWith('SAME')) {
      const same = (n: number, s: number, k: number, d: number) => {
        const total = Math.max(0, (Math.ceil(n / s) - 1) * s + eff(k, d) - n);
        const small = Math.floor(total / 2);
        return autoPad === 'SAME_UPPER' ? [small, total - small] : [total - small, small];
      };
      [pT, pB] = same(H, sH!, kh, dH!) as [number, number];
      [pL, pR] = same(Wd, sW!, kw, dW!) as [number, number];
    }
    OH = Math.floor((H + pT + pB - eff(kh, dH!)) / sH!) + 1;
    OW = Math.floor((Wd + pL + pR - eff(kw, dW!)) / sW!) + 1;
  } else {
    Co = W.dims[1]! * groups;
    if (W.dims[0] !== Ci) fail(`weight [${W.dims}] expects ${W.dims[0]} input channels, input has ${Ci}`);
    const outPad = lift(attr<number[]>('output_padding', oneD ? [0] : [0, 0]), 0)!;
    const outShape = node.attrs.get('output_shape') as number[] | undefined;
    const want = outShape ? lift(outShape.slice(-(oneD ? 1 : 2)), 1)! : null;
    const resolve = (n: number, s: number, k: number, d: number, op: number, wantSize: number | null, head: number, tail: number) => {
      if (wantSize === null && !autoPad.startsWith('SAME')) {
        if (autoPad === 'VALID') { head = 0; tail = 0; }
        return [head, (n - 1) * s + op + eff(k, d) - head - tail];
      }
      const target = wantSize ?? n * s;
      // ONNX: total padding = full output - wanted output; SAME_UPPER puts the odd unit at the end,
      // SAME_LOWER and NOTSET at the start. A wanted size beyond the full output just adds empty rows.
      const total = (n - 1) * s + op + eff(k, d) - target;
      if (total <= 0) return [0, target];
      const h = autoPad === 'SAME_UPPER' ? Math.floor(total / 2) : total - Math.floor(total / 2);
      return [h, target];
    };
    [pT, OH] = resolve(H, sH!, kh, dH!, outPad[0]!, want ? want[0]! : null, pT, pB) as [number, number];
    [pL, OW] = resolve(Wd, sW!, kw, dW!, outPad[1]!, want ? want[1]! : null, pL, pR) as [number, number];
  }
  if (OH < 1 || OW < 1) fail(`output would be empty (${OH}x${OW})`);
  // The runtime implies the bottom/right padding from the output size; it must stay within one kernel.
  for (const [axis, n, o, k, s, d, p] of [['height', H, OH, kh, sH!, dH!, pT], ['width', Wd, OW, kw, sW!, dW!, pL]] as const) {
    const e = eff(k, d);
    const end = transposed ? (n - 1) * s + e - p - o : (o - 1) * s + e - n - p;
    const lowest = transposed ? -(Math.max(s, d) - 1) : -s + 1;
    if (p >= e || end < lowest || end > e - 1) fail(`${axis} padding ${p}/${end} is not smaller than the dilated kernel ${e} (or output_padding too large); not supported`);
  }
  let bias: Float32Array | null = null;
  if (B) {
    if (B.data.length !== Co) fail(`bias has ${B.data.length} values for ${Co} output channels`);
    bias = Float32Array.from(B.data);
  }
  const out2d = addValue(g, oneD ? `${node.outputs[0]}:2d` : node.outputs[0]!, [Co, OH, OW]);
  g.nodes.push({
    op: transposed ? 'convT' : 'conv', a: xin, out: out2d, name: node.name, w: Float32Array.from(W.data), bias,
    ci: Ci, co: Co, kh, kw, sH: sH!, sW: sW!, padT: pT, padL: pL, dH: dH!, dW: dW!, groups, act: Act.None, alpha: 0,
  });
  return oneD ? reshapeTo(g, out2d, [Co, OW], node.outputs[0]!) : out2d;
}
