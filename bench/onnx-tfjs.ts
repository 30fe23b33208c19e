// Builds a TensorFlow.js computation from an ONNX graph, so tfjs-backend-wasm runs the *same* model as
// the other engines. Covers the ops of the benchmark VAEs (Conv, ConvTranspose, Gemm/MatMul, activations,
// BatchNormalization, Reshape/Flatten, nearest Resize, Split/Slice and the small integer "shape" sub-graphs
// PyTorch exports). Spatial tensors run NHWC (what tfjs kernels want); weights are re-laid out once, BNs
// after a Conv are folded into it and an activation that follows a Conv/Gemm is fused into it, as a
// tfjs user writing the model by hand would do. Outputs are checked against onnxruntime before timing.
import type * as tfTypes from '@tensorflow/tfjs-core';
import type { ConstTensor, OnnxModel, OnnxNode } from '../converter/onnx-load.js';

type Tf = typeof tfTypes;
type Tensor = tfTypes.Tensor;
type Activation = 'linear' | 'relu' | 'leakyrelu' | 'sigmoid';

/** A value during execution: small integer/float arrays computed on the host, or a tfjs tensor. */
type Value =
  | { kind: 'host'; dims: number[]; data: number[] }
  | { kind: 'tf'; t: Tensor; /** a 4-D ONNX NCHW tensor held as NHWC */ nhwc: boolean };

export interface TfjsGraph {
  inputName: string;
  outputNames: string[];
  /** input: batch * prod(input dims) floats in ONNX order; returns each output flat in ONNX order */
  run(input: Float32Array, batch: number): Float32Array[];
  /** multiply-accumulates of one run on `batch` samples (Conv, ConvTranspose, Gemm, MatMul) */
  countMacs(input: Float32Array, batch: number): number;
  dispose(): void;
}

export class UnsupportedOnnxError extends Error {}

export function buildTfjsGraph(tf: Tf, model: OnnxModel): TfjsGraph {
  if (model.inputs.length !== 1) throw new UnsupportedOnnxError(`expected one graph input, found ${model.inputs.length}`);
  const input = model.inputs[0]!;
  const inputDims = (input.dims ?? []).slice(1).map((d) => (typeof d === 'number' ? d : NaN));
  if (inputDims.some((d) => !Number.isInteger(d))) throw new UnsupportedOnnxError(`input ${input.name} needs fixed dims after the batch axis`);
  const consts = new Map<string, ConstTensor>(model.initializers);
  const nodes = rewrite(model.nodes, consts, new Set(model.outputs.map((o) => o.name)));
  const weights: Tensor[] = [];
  const keep = <T extends Tensor>(t: T): T => { weights.push(t); return t; };
  let macs = 0;
  let counting = false;

  // Small constants (shapes, axes, scales) are host values at run time; weights live only in tfjs tensors.
  const hostConsts = new Map<string, Value>([...consts].filter(([, c]) => c.data.length <= 1024).map(([name, c]) => [name, hostOf(c)]));
  const steps = nodes.map((node) => compileNode(tf, node, consts, keep, (n) => { if (counting) macs += n; }));

  const execute = (data: Float32Array, batch: number): Float32Array[] => {
    const per = inputDims.reduce((a, b) => a * b, 1);
    if (data.length !== batch * per) throw new Error(`tfjs graph: input has ${data.length} values, expected ${batch} x ${per}`);
    return tf.tidy(() => {
      const env = new Map<string, Value>(hostConsts);
      // ONNX layout in; the first convolution moves it to NHWC (an MLP never pays for a transpose)
      env.set(input.name, { kind: 'tf', t: tf.tensor(data, [batch, ...inputDims]), nhwc: false });
      for (const step of steps) step(env);
      return model.outputs.map((o) => {
        const v = env.get(o.name);
        if (!v) throw new Error(`tfjs graph: output ${o.name} was not computed`);
        return v.kind === 'host' ? Float32Array.from(v.data) : (toOnnxLayout(tf, v).dataSync() as Float32Array);
      });
    });
  };

  return {
    inputName: input.name,
    outputNames: model.outputs.map((o) => o.name),
    run: execute,
    countMacs(data, batch) {
      macs = 0;
      counting = true;
      try { execute(data, batch); } finally { counting = false; }
      return macs;
    },
    dispose() { for (const w of weights) w.dispose(); },
  };
}

// ---------------------------------------------------------------------------------------------------
// Graph rewrites done once: Constant nodes -> constants, Conv+BatchNormalization -> Conv, activation fusion.

interface Node extends OnnxNode { fused?: { act: Activation; alpha: number } }

const FUSABLE: Record<string, Activation> = { Relu: 'relu', LeakyRelu: 'leakyrelu', Sigmoid: 'sigmoid' };

function rewrite(source: OnnxNode[], consts: Map<string, ConstTensor>, graphOutputs: Set<string>): Node[] {
  let nodes: Node[] = [];
  for (const n of source) {
    if (n.opType === 'Constant') {
      const value = n.attrs.get('value');
      if (!value || typeof value !== 'object' || Array.isArray(value)) throw new UnsupportedOnnxError(`Constant ${n.name}: only the "value" attribute is supported`);
      consts.set(n.outputs[0]!, value as ConstTensor);
    } else if (n.opType === 'Identity' || n.opType === 'Dropout') {
      nodes.push({ ...n, opType: 'Identity', outputs: n.outputs.slice(0, 1) });
    } else {
      nodes.push({ ...n });
    }
  }
  const consumers = (name: string) => nodes.filter((m) => m.inputs.includes(name));
  const single = (n: Node, op: (t: string) => boolean): Node | undefined => {
    const out = n.outputs[0]!;
    if (graphOutputs.has(out)) return undefined;
    const users = consumers(out);
    return users.length === 1 && op(users[0]!.opType) && users[0]!.inputs[0] === out ? users[0] : undefined;
  };
  // Conv -> BatchNormalization: scale the conv's output channels.
  for (const conv of nodes.filter((n) => n.opType === 'Conv')) {
    const bn = single(conv, (t) => t === 'BatchNormalization');
    if (!bn) continue;
    const w = consts.get(conv.inputs[1]!)!;
    const co = w.dims[0]!;
    const { scale, shift } = bnAffine(bn, consts);
    const per = w.data.length / co;
    const wf = new Float32Array(w.data.length);
    for (let o = 0; o < co; o++) for (let i = 0; i < per; i++) wf[o * per + i] = w.data[o * per + i]! * scale[o]!;
    const b = conv.inputs[2] ? consts.get(conv.inputs[2])!.data : new Float32Array(co);
    const bf = new Float32Array(co);
    for (let o = 0; o < co; o++) bf[o] = b[o]! * scale[o]! + shift[o]!;
    const wName = `${conv.name}::bn_w`, bName = `${conv.name}::bn_b`;
    consts.set(wName, { dims: w.dims, kind: 'float', data: wf });
    consts.set(bName, { dims: [co], kind: 'float', data: bf });
    conv.inputs = [conv.inputs[0]!, wName, bName];
    conv.outputs = bn.outputs.slice(0, 1);
    nodes = nodes.filter((n) => n !== bn);
  }
  // Conv/Gemm/MatMul -> activation: tfjs fused kernels apply it in place.
  for (const n of nodes.filter((m) => m.opType === 'Conv' || m.opType === 'Gemm' || m.opType === 'MatMul')) {
    const act = single(n, (t) => t in FUSABLE);
    if (!act) continue;
    n.fused = { act: FUSABLE[act.opType]!, alpha: act.opType === 'LeakyRelu' ? num(act.attrs.get('alpha') ?? 0.01) : 0 };
    n.outputs = act.outputs;
    nodes = nodes.filter((m) => m !== act);
  }
  return nodes;
}

function bnAffine(bn: OnnxNode, consts: Map<string, ConstTensor>): { scale: Float32Array; shift: Float32Array } {
  const get = (k: number) => {
    const c = consts.get(bn.inputs[k]!);
    if (!c) throw new UnsupportedOnnxError(`BatchNormalization ${bn.name}: input ${k} must be a constant`);
    return c.data;
  };
  const [gamma, beta, mean, variance] = [get(1), get(2), get(3), get(4)];
  const eps = num(bn.attrs.get('epsilon') ?? 1e-5);
  const scale = new Float32Array(gamma.length), shift = new Float32Array(gamma.length);
  for (let c = 0; c < gamma.length; c++) {
    scale[c] = gamma[c]! / Math.sqrt(variance[c]! + eps);
    shift[c] = beta[c]! - mean[c]! * scale[c]!;
  }
  return { scale, shift };
}

// ---------------------------------------------------------------------------------------------------
// One closure per node.

type Step = (env: Map<string, Value>) => void;

function compileNode(tf: Tf, node: Node, consts: Map<string, ConstTensor>, keep: <T extends Tensor>(t: T) => T, addMacs: (n: number) => void): Step {
  const where = `${node.opType} ${node.name || node.outputs[0]}`;
  const fail = (why: string): never => { throw new UnsupportedOnnxError(`${where}: ${why}`); };
  const constant = (k: number): ConstTensor => consts.get(node.inputs[k]!) ?? fail(`input ${k} must be a constant`);
  const ints = (name: string, fallback: number[]): number[] => {
    const v = node.attrs.get(name);
    return v === undefined ? fallback : (v as number[]).map(Number);
  };
  const fused = node.fused ?? { act: 'linear' as Activation, alpha: 0 };
  const get = (env: Map<string, Value>, k: number): Value => env.get(node.inputs[k]!) ?? fail(`input ${node.inputs[k]} is not computed`);
  const tensorIn = (env: Map<string, Value>, k: number) => {
    const v = get(env, k);
    return v.kind === 'tf' ? v : { kind: 'tf' as const, t: tf.tensor(v.data, v.dims), nhwc: false };
  };
  const set = (env: Map<string, Value>, v: Value, k = 0) => env.set(node.outputs[k]!, v);
  const out = (env: Map<string, Value>, t: Tensor, nhwc: boolean) => set(env, { kind: 'tf', t, nhwc });

  switch (node.opType) {
    case 'Identity':
      return (env) => set(env, get(env, 0));

    case 'Gemm':
    case 'MatMul': {
      const b = constant(1);
      if (b.dims.length !== 2) fail('the weight must be a 2-D constant');
      const transA = num(node.attrs.get('transA') ?? 0), transB = num(node.attrs.get('transB') ?? 0);
      if (transA) fail('transA is not supported');
      const alpha = num(node.attrs.get('alpha') ?? 1), beta = num(node.attrs.get('beta') ?? 1);
      let w = tf.tensor(Float32Array.from(b.data, (v) => v * alpha), b.dims);
      if (transB) w = tf.transpose(w);
      const weight = keep(w as tfTypes.Tensor2D);
      const k = weight.shape[0], m = weight.shape[1];
      const biasConst = node.opType === 'Gemm' && node.inputs[2] ? constant(2) : undefined;
      if (biasConst && biasConst.data.length !== m && biasConst.data.length !== 1) fail('only a per-column or scalar bias is supported');
      const bias = biasConst ? keep(tf.tensor1d(Float32Array.from(biasConst.data, (v) => v * beta))) : undefined;
      return (env) => {
        const a = tf.reshape(toOnnxLayout(tf, tensorIn(env, 0)), [-1, k]) as tfTypes.Tensor2D;
        addMacs(a.shape[0] * k * m);
        out(env, tf.fused.matMul({ a, b: weight, bias, activation: fused.act, leakyreluAlpha: fused.alpha }), false);
      };
    }

    case 'Conv': {
      const w = constant(1);
      const [co, ciPerGroup, kh, kw] = w.dims as [number, number, number, number];
      const group = num(node.attrs.get('group') ?? 1);
      const strides = ints('strides', [1, 1]), dil = ints('dilations', [1, 1]);
      const pads = ints('pads', [0, 0, 0, 0]);
      if (node.attrs.has('auto_pad') && node.attrs.get('auto_pad') !== 'NOTSET') fail('auto_pad is not supported');
      const depthwise = group > 1 && ciPerGroup === 1 && group === co;
      if (group > 1 && !depthwise) fail('grouped convolutions other than depthwise are not supported');
      if (depthwise && pads.some((p) => p !== pads[0])) fail('tfjs depthwise convolutions need equal pads on every side');
      // ONNX [Co, Ci/g, KH, KW] -> tfjs [KH, KW, Ci, Co] (depthwise: [KH, KW, Ci, 1])
      const filter = keep(tf.transpose(rawTensor(tf, w), depthwise ? [2, 3, 0, 1] : [2, 3, 1, 0]) as tfTypes.Tensor4D);
      const bias = node.inputs[2] ? keep(tf.tensor1d(constant(2).data as Float32Array)) : undefined;
      const pad: [[number, number], [number, number], [number, number], [number, number]] = [[0, 0], [pads[0]!, pads[2]!], [pads[1]!, pads[3]!], [0, 0]];
      return (env) => {
        const x = nhwcOf(tf, tensorIn(env, 0));
        const n = x.shape[0];
        const y = depthwise
          ? tf.fused.depthwiseConv2d({ x, filter, strides: strides as [number, number], pad: pads[0]!, dilations: dil as [number, number], bias, activation: fused.act, leakyreluAlpha: fused.alpha })
          : tf.fused.conv2d({ x, filter, strides: strides as [number, number], pad, dilations: dil as [number, number], bias, activation: fused.act, leakyreluAlpha: fused.alpha });
        addMacs(n * y.shape[1] * y.shape[2] * co * ciPerGroup * kh * kw);
        out(env, y, true);
      };
    }

    case 'ConvTranspose': {
      const w = constant(1);
      const [ci, co, kh, kw] = w.dims as [number, number, number, number];
      if (num(node.attrs.get('group') ?? 1) !== 1) fail('grouped ConvTranspose is not supported');
      const strides = ints('strides', [1, 1]), dil = ints('dilations', [1, 1]);
      const pads = ints('pads', [0, 0, 0, 0]), outPad = ints('output_padding', [0, 0]);
      if (dil.some((d) => d !== 1)) fail('dilated ConvTranspose is not supported');
      if (node.attrs.has('output_shape')) fail('output_shape is not supported');
      // ONNX [Ci, Co, KH, KW] -> tfjs conv2dTranspose filter [KH, KW, Co, Ci]
      const filter = keep(tf.transpose(rawTensor(tf, w), [2, 3, 1, 0]) as tfTypes.Tensor4D);
      const bias = node.inputs[2] ? keep(tf.tensor1d(constant(2).data as Float32Array)) : undefined;
      const [pt, pl, pb, pr] = pads as [number, number, number, number];
      const [sh, sw] = strides as [number, number];
      return (env) => {
        const x = nhwcOf(tf, tensorIn(env, 0));
        const [n, h, wIn] = x.shape;
        const oh = (h - 1) * sh + kh - pt - pb + outPad[0]!;
        const ow = (wIn - 1) * sw + kw - pl - pr + outPad[1]!;
        // tfjs computes conv2dTranspose as the gradient of a conv2d from [oh, ow] to [h, w]; that conv's
        // padding must put the ONNX top/left pad first. Try a number, then 'same', else crop a 'valid' output.
        const numberFits = pt === pl && Math.floor((oh + 2 * pt - kh) / sh) + 1 === h && Math.floor((ow + 2 * pl - kw) / sw) + 1 === wIn;
        const sameBefore = (o: number, i: number, k: number, st: number) => (Math.ceil(o / st) === i ? Math.floor(Math.max((i - 1) * st + k - o, 0) / 2) : -1);
        const sameFits = sameBefore(oh, h, kh, sh) === pt && sameBefore(ow, wIn, kw, sw) === pl;
        let y: Tensor;
        if (numberFits || sameFits) {
          y = tf.conv2dTranspose(x, filter, [n, oh, ow, co], [sh, sw], numberFits ? pt : 'same');
        } else {
          const fh = (h - 1) * sh + kh, fw = (wIn - 1) * sw + kw;
          const full = tf.conv2dTranspose(x, filter, [n, fh, fw, co], [sh, sw], 'valid');
          const ch = Math.min(oh, fh - pt), cw = Math.min(ow, fw - pl);
          y = tf.slice(full, [0, pt, pl, 0], [n, ch, cw, co]);
          // output_padding beyond the full output: zeros (the bias is added below)
          if (ch < oh || cw < ow) y = tf.pad(y, [[0, 0], [0, oh - ch], [0, ow - cw], [0, 0]]);
        }
        if (bias) y = tf.add(y, bias);
        addMacs(n * h * wIn * ci * co * kh * kw);
        out(env, y, true);
      };
    }

    case 'Relu': return (env) => { const v = tensorIn(env, 0); out(env, tf.relu(v.t), v.nhwc); };
    case 'Sigmoid': return (env) => { const v = tensorIn(env, 0); out(env, tf.sigmoid(v.t), v.nhwc); };
    case 'Tanh': return (env) => { const v = tensorIn(env, 0); out(env, tf.tanh(v.t), v.nhwc); };
    case 'LeakyRelu': {
      const alpha = num(node.attrs.get('alpha') ?? 0.01);
      return (env) => { const v = tensorIn(env, 0); out(env, tf.leakyRelu(v.t, alpha), v.nhwc); };
    }

    case 'BatchNormalization': {
      const { scale, shift } = bnAffine(node, consts);
      const s = keep(tf.tensor1d(scale)), b = keep(tf.tensor1d(shift));
      return (env) => {
        const v = tensorIn(env, 0);
        if (!v.nhwc && v.t.rank !== 2) fail('BatchNormalization on a non-spatial tensor of rank > 2');
        out(env, tf.add(tf.mul(v.t, s), b), v.nhwc);
      };
    }

    case 'Resize': {
      const mode = node.attrs.get('mode') ?? 'nearest';
      const ctm = node.attrs.get('coordinate_transformation_mode') ?? 'half_pixel';
      const nearest = node.attrs.get('nearest_mode') ?? 'round_prefer_floor';
      if (mode !== 'nearest') fail(`mode ${String(mode)} is not supported`);
      if (ctm !== 'asymmetric' || nearest !== 'floor') fail(`only asymmetric/floor nearest resizing is supported (got ${String(ctm)}/${String(nearest)})`);
      return (env) => {
        const x = nhwcOf(tf, tensorIn(env, 0));
        const [, h, w] = x.shape;
        const scales = node.inputs[2] ? (get(env, 2) as { data: number[] }).data : [];
        const sizes = node.inputs[3] ? (get(env, 3) as { data: number[] }).data : [];
        const [oh, ow] = sizes.length === 4 ? [sizes[2]!, sizes[3]!] : [Math.floor(h * scales[2]!), Math.floor(w * scales[3]!)];
        if (oh % h || ow % w) fail('only integer upsampling factors are supported');
        out(env, tf.image.resizeNearestNeighbor(x, [oh, ow], false, false), true);
      };
    }

    case 'Flatten': {
      const axis = num(node.attrs.get('axis') ?? 1);
      return (env) => {
        const t = toOnnxLayout(tf, tensorIn(env, 0));
        const outer = t.shape.slice(0, axis).reduce((a, b) => a * b, 1);
        out(env, tf.reshape(t, [outer, -1]), false);
      };
    }

    case 'Reshape':
      return (env) => {
        const v = get(env, 0);
        const shape = (get(env, 1) as { data: number[] }).data;
        if (v.kind === 'host') return set(env, { kind: 'host', dims: resolveShape(v.dims, shape), data: v.data });
        const t = toOnnxLayout(tf, v);
        const dims = resolveShape(t.shape, shape);
        const y = tf.reshape(t, dims);
        if (dims.length === 4) out(env, tf.transpose(y, [0, 2, 3, 1]), true);
        else out(env, y, false);
      };

    case 'Split': {
      const axis = num(node.attrs.get('axis') ?? 0);
      return (env) => {
        const t = toOnnxLayout(tf, tensorIn(env, 0));
        const sizes = node.inputs[1] ? (get(env, 1) as { data: number[] }).data : ints('split', []);
        const a = axis < 0 ? axis + t.rank : axis;
        const parts = tf.split(t, sizes.length ? sizes : node.outputs.length, a);
        parts.forEach((p, k) => set(env, { kind: 'tf', t: p, nhwc: false }, k));
      };
    }

    case 'Shape':
      return (env) => {
        const v = get(env, 0);
        const dims = v.kind === 'host' ? v.dims : v.nhwc ? nchwShape(v.t.shape) : v.t.shape;
        set(env, { kind: 'host', dims: [dims.length], data: dims.slice() });
      };

    case 'Gather':
      return (env) => {
        const v = get(env, 0), idx = get(env, 1);
        if (v.kind !== 'host' || idx.kind !== 'host' || v.dims.length !== 1) fail('only 1-D host (shape) gathers are supported');
        const h = v as { dims: number[]; data: number[] }, i = idx as { dims: number[]; data: number[] };
        const pick = i.data.map((k) => h.data[k < 0 ? k + h.data.length : k]!);
        set(env, { kind: 'host', dims: i.dims, data: pick });
      };

    case 'Unsqueeze':
      return (env) => {
        const v = get(env, 0);
        if (v.kind !== 'host') fail('only host (shape) values are supported');
        const h = v as { dims: number[]; data: number[] };
        const axes = node.inputs[1] ? (get(env, 1) as { data: number[] }).data : ints('axes', []);
        const dims = h.dims.slice();
        for (const a of axes.map((x) => (x < 0 ? x + dims.length + axes.length : x)).sort((p, q) => p - q)) dims.splice(a, 0, 1);
        set(env, { kind: 'host', dims, data: h.data });
      };

    case 'Concat':
      return (env) => {
        const vs = node.inputs.map((_, k) => get(env, k));
        if (vs.every((v) => v.kind === 'host')) {
          const data = vs.flatMap((v) => (v as { data: number[] }).data);
          return set(env, { kind: 'host', dims: [data.length], data });
        }
        const axis = num(node.attrs.get('axis'));
        const ts = node.inputs.map((_, k) => toOnnxLayout(tf, tensorIn(env, k)));
        const y = tf.concat(ts, axis < 0 ? axis + ts[0]!.rank : axis);
        if (y.rank === 4) out(env, tf.transpose(y, [0, 2, 3, 1]), true);
        else out(env, y, false);
      };

    case 'Add': case 'Sub': case 'Mul': case 'Div': {
      const host = { Add: (a: number, b: number) => a + b, Sub: (a: number, b: number) => a - b, Mul: (a: number, b: number) => a * b, Div: (a: number, b: number) => a / b }[node.opType]!;
      const device = { Add: tf.add, Sub: tf.sub, Mul: tf.mul, Div: tf.div }[node.opType]!;
      return (env) => {
        const a = get(env, 0), b = get(env, 1);
        if (a.kind === 'host' && b.kind === 'host') {
          const integer = isIntegral(node.inputs[0]!, consts, a) && isIntegral(node.inputs[1]!, consts, b);
          const len = Math.max(a.data.length, b.data.length);
          const data = Array.from({ length: len }, (_, i) => {
            const r = host(a.data[i % a.data.length]!, b.data[i % b.data.length]!);
            return integer ? Math.trunc(r) : r;
          });
          return set(env, { kind: 'host', dims: a.data.length >= b.data.length ? a.dims : b.dims, data });
        }
        const ta = toOnnxLayout(tf, tensorIn(env, 0)), tb = toOnnxLayout(tf, tensorIn(env, 1));
        const y = device(ta, tb);
        if (y.rank === 4) out(env, tf.transpose(y, [0, 2, 3, 1]), true);
        else out(env, y, false);
      };
    }

    case 'Slice':
      return (env) => {
        const v = get(env, 0);
        const arr = (k: number) => (node.inputs[k] ? (get(env, k) as { data: number[] }).data : undefined);
        const starts = arr(1)!, ends = arr(2)!;
        const rank = v.kind === 'host' ? v.dims.length : v.t.rank;
        const axes = arr(3) ?? starts.map((_, i) => i);
        const steps = arr(4) ?? starts.map(() => 1);
        if (steps.some((s) => s !== 1)) fail('only step 1 is supported');
        const dims = v.kind === 'host' ? v.dims : toOnnxLayout(tf, v).shape;
        const begin = dims.map(() => 0), size = dims.slice();
        axes.forEach((ax, i) => {
          const a = ax < 0 ? ax + rank : ax, d = dims[a]!;
          const clamp = (x: number) => Math.min(Math.max(x < 0 ? x + d : x, 0), d);
          begin[a] = clamp(starts[i]!);
          size[a] = Math.max(clamp(ends[i]!) - begin[a]!, 0);
        });
        if (v.kind === 'host') {
          if (rank !== 1) fail('host slices must be 1-D');
          return set(env, { kind: 'host', dims: [size[0]!], data: v.data.slice(begin[0], begin[0]! + size[0]!) });
        }
        const y = tf.slice(toOnnxLayout(tf, v), begin, size);
        if (y.rank === 4) out(env, tf.transpose(y, [0, 2, 3, 1]), true);
        else out(env, y, false);
      };

    default:
      return fail('op is not supported by the tfjs mapping');
  }
}

// ---------------------------------------------------------------------------------------------------

function num(v: unknown): number {
  return Number(v);
}

function rawTensor(tf: Tf, c: ConstTensor): Tensor {
  return tf.tensor(Float32Array.from(c.data), c.dims);
}

function hostOf(c: ConstTensor): Value {
  return { kind: 'host', dims: c.dims.slice(), data: Array.from(c.data) };
}

function isIntegral(name: string, consts: Map<string, ConstTensor>, v: { data: number[] }): boolean {
  const c = consts.get(name);
  return c ? c.kind !== 'float' : v.data.every(Number.isInteger);
}

function nchwShape(nhwc: number[]): number[] {
  return [nhwc[0]!, nhwc[3]!, nhwc[1]!, nhwc[2]!];
}

/** The tensor in ONNX axis order (NCHW for spatial tensors). */
function toOnnxLayout(tf: Tf, v: { t: Tensor; nhwc: boolean }): Tensor {
  return v.nhwc ? tf.transpose(v.t, [0, 3, 1, 2]) : v.t;
}

function nhwcOf(tf: Tf, v: { t: Tensor; nhwc: boolean }): tfTypes.Tensor4D {
  if (v.t.rank !== 4) throw new UnsupportedOnnxError(`a convolution input must be 4-D, got shape [${v.t.shape}]`);
  return (v.nhwc ? v.t : tf.transpose(v.t, [0, 2, 3, 1])) as tfTypes.Tensor4D;
}

/** ONNX Reshape semantics: 0 copies the input dim, -1 is inferred. */
export function resolveShape(inputDims: number[], shape: number[]): number[] {
  const total = inputDims.reduce((a, b) => a * b, 1);
  const dims = shape.map((d, i) => (d === 0 ? inputDims[i]! : d));
  const known = dims.filter((d) => d !== -1).reduce((a, b) => a * b, 1);
  const out = dims.map((d) => (d === -1 ? total / known : d));
  if (out.reduce((a, b) => a * b, 1) !== total || out.some((d) => !Number.isInteger(d))) {
    throw new UnsupportedOnnxError(`Reshape: cannot reshape [${inputDims}] to [${shape}]`);
  }
  return out;
}
