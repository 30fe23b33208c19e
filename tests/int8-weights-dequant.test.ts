// int8-weights ops (i8 weights with per-output-channel scales, f32 activations): the loader dequantizes the
// weights once, w = f32(q) * scale[channel] (assembly/kernels/dequantize_weights.ts), and runs the f32 kernels.
// Each case is checked (a) against onnxruntime-node on the float model with those dequantized weights, and
// (b) against the runtime on an f32 model holding the same dequantized weights: same kernels, same f32
// weights, so the outputs must be identical bit for bit.
import { describe, it, expect } from 'vitest';
import * as ort from 'onnxruntime-node';
import { Act, DType, EntryKind, Op } from '../runtime/format-constants.js';
import { ModelBuilder } from './helpers/model-builder.js';
import { buildModel, type NodeSpec } from './helpers/onnx-build.js';
import { WasmRuntime, expectClose, randInt, randomArray, rng } from './kernels/harness.js';
import {
  type ConvSpec, type RefResult, convOutSize, convTransposeOutSize, packConvTransposeWeights, packConvWeights, refConv,
  refConvTranspose, refDense,
} from './kernels/reference.js';

type Case =
  | { name: string; op: 'Conv' | 'ConvTranspose'; s: ConvSpec; act: Act; bias: boolean }
  | { name: string; op: 'Dense'; K: number; M: number; n: number; act: Act; bias: boolean };

const conv = (over: Partial<ConvSpec>): ConvSpec => ({
  n: 1, Ci: 4, H: 6, W: 6, Co: 4, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, pb: 1, pr: 1, dh: 1, dw: 1, groups: 1, ...over,
});

const CASES: Case[] = [
  // 12 channels per group: the f32 conv repacks the dequantized weights into channel blocks
  { name: 'conv, stride 2, uneven pads, relu', op: 'Conv', s: conv({ n: 2, Ci: 5, H: 9, W: 8, Co: 12, sh: 2, sw: 2, pb: 0 }), act: Act.Relu, bias: true },
  // 8 channels: the f32 conv reads the dequantized weights in the format's layout
  { name: 'conv, 8 output channels, sigmoid', op: 'Conv', s: conv({ Ci: 3, Co: 8 }), act: Act.Sigmoid, bias: true },
  { name: 'grouped conv (3 groups), dilation 2, no bias', op: 'Conv', s: conv({ Ci: 6, Co: 9, H: 8, W: 7, dh: 2, dw: 2, pt: 2, pl: 2, pb: 2, pr: 1, groups: 3 }), act: Act.None, bias: false },
  { name: 'depthwise conv', op: 'Conv', s: conv({ Ci: 8, Co: 8, groups: 8, H: 5, W: 7 }), act: Act.Relu, bias: true },
  { name: 'transposed conv, stride 2, output padding', op: 'ConvTranspose', s: conv({ Ci: 6, Co: 10, H: 4, W: 5, sh: 2, sw: 2, pt: 1, pl: 1, pb: 1, pr: 1, oph: 1, opw: 1 }), act: Act.Relu, bias: true },
  { name: 'grouped transposed conv', op: 'ConvTranspose', s: conv({ n: 2, Ci: 4, Co: 6, H: 3, W: 4, sh: 2, sw: 1, pt: 0, pl: 1, pb: 1, pr: 0, groups: 2 }), act: Act.Tanh, bias: true },
  // weights (32 x 12 x 9 floats) larger than the whole activation arena: dequantized into their own scratch
  { name: 'conv whose weights outgrow the arena', op: 'Conv', s: conv({ Ci: 32, Co: 12, H: 3, W: 3 }), act: Act.None, bias: true },
  { name: 'dense, 3 samples, sigmoid', op: 'Dense', K: 37, M: 19, n: 3, act: Act.Sigmoid, bias: true },
  { name: 'dense, one sample, no bias', op: 'Dense', K: 50, M: 33, n: 1, act: Act.None, bias: false },
];

const ACT_NODE: Partial<Record<Act, string>> = { [Act.Relu]: 'Relu', [Act.Sigmoid]: 'Sigmoid', [Act.Tanh]: 'Tanh' };

interface Data {
  x: Float32Array;
  q: Int8Array; // weights in ONNX layout
  scales: Float32Array; // one per output channel
  deq: Float32Array; // f32(q) * scale, ONNX layout
  bias: Float32Array | null;
}

/** Output channel of each weight in ONNX layout: Conv [Co, Cig, kh, kw], ConvTranspose [Ci, Cog, kh, kw], Gemm B [K, M]. */
function channelOf(c: Case, index: number): number {
  if (c.op === 'Dense') return index % c.M;
  const { s } = c;
  const taps = s.kh * s.kw, Cig = s.Ci / s.groups, Cog = s.Co / s.groups;
  if (c.op === 'Conv') return Math.floor(index / (Cig * taps));
  const ci = Math.floor(index / (Cog * taps)), co = Math.floor(index / taps) % Cog;
  return Math.floor(ci / Cig) * Cog + co;
}

function makeData(c: Case, seed: number): Data {
  const rand = rng(seed);
  const channels = c.op === 'Dense' ? c.M : c.s.Co;
  const count = c.op === 'Dense' ? c.K * c.M : c.s.Co * (c.s.Ci / c.s.groups) * c.s.kh * c.s.kw;
  const inputs = c.op === 'Dense' ? c.n * c.K : c.s.n * c.s.Ci * c.s.H * c.s.W;
  const q = Int8Array.from({ length: count }, () => randInt(rand, -127, 127));
  const scales = Float32Array.from({ length: channels }, () => 1e-3 + 2e-2 * rand());
  const deq = Float32Array.from(q, (v, i) => Math.fround(v * scales[channelOf(c, i)]!));
  return { x: randomArray(rand, inputs), q, scales, deq, bias: c.bias ? randomArray(rand, channels) : null };
}

const outSize = (c: Case & { op: 'Conv' | 'ConvTranspose' }) => (c.op === 'Conv' ? convOutSize(c.s) : convTransposeOutSize(c.s));

/** The .evae of the case with either i8 weights + scales (int8-weights) or f32 weights, in the format's layout. */
function evae(c: Case, d: Data, weights: 'i8' | 'f32'): Uint8Array {
  const mb = new ModelBuilder();
  const toFormat = (w: Float32Array): Float32Array =>
    c.op === 'Dense' ? w : c.op === 'Conv' ? packConvWeights(c.s, w) : packConvTransposeWeights(c.s, w);
  const weightTensor = (dims: number[]): number => {
    if (weights === 'f32') return mb.constF32(toFormat(d.deq), dims);
    const t = mb.constRaw(DType.I8, new Uint8Array(Int8Array.from(toFormat(Float32Array.from(d.q))).buffer), dims);
    mb.tensors[t]!.channelScales = d.scales;
    return t;
  };
  if (c.op === 'Dense') {
    const input = mb.activation([c.K]);
    const out = mb.activation([c.M]);
    mb.op({ op: Op.Dense, out, a: input, b: weightTensor([c.K, c.M]), c: d.bias ? mb.constF32(d.bias, [c.M]) : undefined, act: c.act });
    return mb.build(input, [out]);
  }
  const { s } = c;
  const [OH, OW] = outSize(c);
  const { input, hwc } = mb.spatialInput(s.Ci, s.H, s.W);
  const y = mb.activation([s.Co, OH, OW]);
  mb.op({
    op: c.op === 'Conv' ? Op.Conv2D : Op.ConvTranspose, out: y, a: hwc,
    b: weightTensor([s.groups * s.kh, s.kw, s.Ci / s.groups, s.Co / s.groups]),
    c: d.bias ? mb.constF32(d.bias, [s.Co]) : undefined, act: c.act,
    params: [s.kh, s.kw, s.sh, s.sw, s.pt, s.pl, s.dh, s.dw, s.groups],
  });
  return mb.build(input, [mb.spatialOutput(y, s.Co, OH, OW)]);
}

function runEvae(c: Case, bytes: Uint8Array, x: Float32Array): Float32Array {
  const n = c.op === 'Dense' ? c.n : c.s.n;
  const rt = new WasmRuntime();
  expect(rt.load(bytes, n)).toBe(0);
  const size = c.op === 'Dense' ? c.M : c.s.Co * outSize(c)[0] * outSize(c)[1];
  return rt.run(EntryKind.Decode, x, n, [size])[0]!;
}

/** onnxruntime-node on the float graph with the dequantized weights. */
async function runOrt(c: Case, d: Data): Promise<Float32Array> {
  const nodes: NodeSpec[] = [];
  const initializers: Record<string, { dims: number[]; data: Float32Array }> = {};
  let xDims: number[];
  if (c.op === 'Dense') {
    xDims = [c.n, c.K];
    initializers.w = { dims: [c.K, c.M], data: d.deq };
    if (d.bias) initializers.b = { dims: [c.M], data: d.bias };
    nodes.push({ op: 'Gemm', inputs: d.bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['pre'] });
  } else {
    const { s } = c;
    xDims = [s.n, s.Ci, s.H, s.W];
    const Cig = s.Ci / s.groups, Cog = s.Co / s.groups;
    initializers.w = { dims: c.op === 'Conv' ? [s.Co, Cig, s.kh, s.kw] : [s.Ci, Cog, s.kh, s.kw], data: d.deq };
    if (d.bias) initializers.b = { dims: [s.Co], data: d.bias };
    const attrs: Record<string, number | number[]> = {
      kernel_shape: [s.kh, s.kw], strides: [s.sh, s.sw], pads: [s.pt, s.pl, s.pb, s.pr], dilations: [s.dh, s.dw], group: s.groups,
    };
    if (c.op === 'ConvTranspose') attrs.output_padding = [s.oph ?? 0, s.opw ?? 0];
    nodes.push({ op: c.op, inputs: d.bias ? ['x', 'w', 'b'] : ['x', 'w'], outputs: ['pre'], attrs });
  }
  const actOp = ACT_NODE[c.act];
  nodes.push(actOp ? { op: actOp, inputs: ['pre'], outputs: ['y'] } : { op: 'Identity', inputs: ['pre'], outputs: ['y'] });
  const model = buildModel({ inputs: [{ name: 'x', dims: xDims }], outputs: [{ name: 'y' }], nodes, initializers });
  const session = await ort.InferenceSession.create(model, { graphOptimizationLevel: 'disabled', intraOpNumThreads: 1 });
  const out = await session.run({ x: new ort.Tensor('float32', d.x, xDims) });
  return out.y!.data as Float32Array;
}

/** The float64 reference on the dequantized weights: its magnitudes bound the f32 rounding of both engines. */
function reference(c: Case, d: Data): RefResult {
  if (c.op === 'Dense') return refDense(d.x, c.n, c.K, c.M, d.deq, d.bias, c.act);
  return c.op === 'Conv' ? refConv(c.s, d.x, d.deq, d.bias, c.act) : refConvTranspose(c.s, d.x, d.deq, d.bias, c.act);
}

describe('int8-weights: weights dequantized at load, then the f32 kernels', () => {
  CASES.forEach((c, k) => {
    it(c.name, async () => {
      const d = makeData(c, 100 + k);
      const got = runEvae(c, evae(c, d, 'i8'), d.x);
      // (b) the f32 runtime on the same dequantized weights: identical
      expect(Array.from(got)).toEqual(Array.from(runEvae(c, evae(c, d, 'f32'), d.x)));
      // (a) onnxruntime-node on the dequantized float model
      expectClose(got, await runOrt(c, d), reference(c, d).magnitude, 1e-5, c.name);
    });
  });
});
