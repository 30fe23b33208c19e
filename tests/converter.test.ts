// Converter unit tests: small ONNX graphs (tests/helpers/onnx-build.ts) converted and run in the wasm
// runtime, compared with onnxruntime-node (the independent oracle); structural checks on the op stream
// (what was folded, fused, permuted) and an arena replay (tests/helpers/arena-replay.ts).
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convert, convertGraph } from '../converter/index.js';
import { inspectModel } from '../converter/inspect.js';
import { Op } from '../runtime/format-constants.js';
import { readModel, type ModelInfo } from '../runtime/format.js';
import { Engine } from '../runtime/engine.js';
import { buildModel, float, randomData, type AttrSpec, type ModelSpec, type NodeSpec, type TensorSpec } from './helpers/onnx-build.js';
import { runOnnx } from './helpers/ort.js';
import { checkArenaReplay, peakLiveBytes } from './helpers/arena-replay.js';
import { compareWithOrt, type Compared } from './helpers/convert-compare.js';

const WASM = new URL('../build/edgevae.wasm', import.meta.url);
const dir = mkdtempSync(join(tmpdir(), 'evae-conv-'));
let module: WebAssembly.Module;
let fileNo = 0;

beforeAll(async () => {
  const { readFileSync } = await import('node:fs');
  module = await WebAssembly.compile(readFileSync(WASM));
});

const count = (d: number[]) => d.reduce((a, b) => a * b, 1);
const w = (dims: number[], seed: number, scale = 0.5): TensorSpec => ({ dims, data: randomData(count(dims), seed, scale) });
const ints = (data: number[]): TensorSpec => ({ dims: [data.length], data, type: 'int64' });


/** Converts `spec` (input dim 0 = batch), runs batch `n` in our runtime and in onnxruntime, compares. */
async function compare(spec: ModelSpec, n = 3, output = 0, tol = 1e-5): Promise<Compared> {
  const k = fileNo++;
  return compareWithOrt(module, spec, join(dir, `m${k}.onnx`), 1234 + k + 1, n, output, tol);
}

const opcodes = (info: ModelInfo) => info.ops.map((o) => o.opcode);
const single = (x: (number | string)[], nodes: NodeSpec[], inits: Record<string, TensorSpec>, opset = 13): ModelSpec => ({
  inputs: [{ name: 'x', dims: x }], outputs: [{ name: 'y' }], nodes, initializers: inits, opset,
});

describe('convolutions vs onnxruntime', () => {
  it('conv with stride, asymmetric pads and bias, relu fused', async () => {
    const { info } = await compare(single(['N', 3, 9, 9], [
      { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { strides: [2, 2], pads: [1, 0, 2, 1] } },
      { op: 'Relu', inputs: ['c'], outputs: ['y'] },
    ], { W: w([8, 3, 3, 3], 1), B: w([8], 2) }));
    expect(opcodes(info)).toEqual([Op.Layout, Op.Conv2D, Op.Layout]);
    expect(info.ops[1]!.activation).toBe(1);
  });

  it('depthwise conv with dilation 2 and leaky relu', async () => {
    const { info } = await compare(single(['N', 4, 8, 8], [
      { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { group: 4, pads: [2, 2, 2, 2], dilations: [2, 2] } },
      { op: 'LeakyRelu', inputs: ['c'], outputs: ['y'], attrs: { alpha: float(0.2) } },
    ], { W: w([4, 1, 3, 3], 3) }));
    expect(info.ops[1]!.params.slice(0, 9)).toEqual([3, 3, 1, 1, 2, 2, 2, 2, 4]);
  });

  it('grouped conv with channel multiplier and auto_pad SAME_LOWER / SAME_UPPER, stride 2', async () => {
    for (const autoPad of ['SAME_LOWER', 'SAME_UPPER']) {
      await compare(single(['N', 4, 8, 7], [
        { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs: { group: 2, strides: [2, 2], auto_pad: autoPad, kernel_shape: [4, 3] } },
      ], { W: w([8, 2, 4, 3], 4), B: w([8], 5) }));
    }
  });

  it('1D conv through a [C,1,L] view, sigmoid', async () => {
    await compare(single(['N', 3, 10], [
      { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { pads: [1, 2], strides: [2] } },
      { op: 'Sigmoid', inputs: ['c'], outputs: ['y'] },
    ], { W: w([5, 3, 3], 6), B: w([5], 7) }));
  });

  it('grouped transposed conv with pads and output_padding', async () => {
    await compare(single(['N', 4, 5, 5], [
      { op: 'ConvTranspose', inputs: ['x', 'W', 'B'], outputs: ['y'], attrs: { group: 2, strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
    ], { W: w([4, 3, 3, 3], 8), B: w([6], 9) }));
  });

  it('transposed conv with output_shape and auto_pad (odd total padding)', async () => {
    const variants: Record<string, AttrSpec>[] = [{ output_shape: [8, 8] }, { auto_pad: 'SAME_UPPER' }, { auto_pad: 'SAME_LOWER' }];
    for (const attrs of variants) {
      await compare(single(['N', 2, 4, 4], [
        { op: 'ConvTranspose', inputs: ['x', 'W'], outputs: ['y'], attrs: { strides: [2, 2], ...attrs } },
      ], { W: w([2, 3, 3, 3], 10) }));
    }
  });

  it('BatchNormalization after conv folds into it; relu fuses', async () => {
    const { info } = await compare(single(['N', 3, 6, 6], [
      { op: 'Conv', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'BatchNormalization', inputs: ['c', 's', 'b', 'm', 'v'], outputs: ['bn'], attrs: { epsilon: float(1e-3) } },
      { op: 'Relu', inputs: ['bn'], outputs: ['y'] },
    ], { W: w([4, 3, 3, 3], 11), B: w([4], 12), s: w([4], 13), b: w([4], 14), m: w([4], 15), v: { dims: [4], data: [0.5, 1, 2, 3] } }));
    expect(opcodes(info)).toEqual([Op.Layout, Op.Conv2D, Op.Layout]);
  });

  it('BatchNormalization without a preceding layer becomes a per-channel affine pair', async () => {
    const { info } = await compare(single(['N', 3, 4, 4], [
      { op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['y'] },
    ], { s: w([3], 16), b: w([3], 17), m: w([3], 18), v: { dims: [3], data: [0.5, 1, 2] } }));
    const binaries = info.ops.filter((o) => o.opcode === Op.Binary);
    expect(binaries.map((o) => o.params[1])).toEqual([3, 3]); // period = channels (HWC)
  });
});

describe('input normalisation folds into the next layer', () => {
  it('x * s - c before a dense: one dense op', async () => {
    const { info } = await compare(single(['N', 6], [
      { op: 'Mul', inputs: ['x', 's'], outputs: ['m'] },
      { op: 'Sub', inputs: ['m', 'c'], outputs: ['n'] },
      { op: 'Gemm', inputs: ['n', 'W', 'B'], outputs: ['y'] },
    ], { s: w([6], 44), c: { dims: [], data: [1] }, W: w([6, 5], 45), B: w([5], 46) }));
    expect(opcodes(info)).toEqual([Op.Dense]);
  });

  it('per-channel Mul/Div before grouped conv and transposed conv fold; Add before a padded conv stays', async () => {
    for (const [op, kind] of [['Conv', 'Mul'], ['ConvTranspose', 'Div']] as const) {
      const { info } = await compare(single(['N', 4, 5, 5], [
        { op: kind, inputs: ['x', 's'], outputs: ['m'] },
        { op, inputs: ['m', 'W', 'B'], outputs: ['y'], attrs: { group: 2, pads: [1, 1, 1, 1] } },
      ], { s: { dims: [4, 1, 1], data: [0.5, -2, 3, 1.5] }, W: w(op === 'Conv' ? [6, 2, 3, 3] : [4, 3, 3, 3], 47), B: w([6], 48) }));
      expect(opcodes(info)).toEqual([Op.Layout, op === 'Conv' ? Op.Conv2D : Op.ConvTranspose, Op.Layout]);
    }
    const { info } = await compare(single(['N', 2, 5, 5], [
      { op: 'Add', inputs: ['x', 's'], outputs: ['m'] },
      { op: 'Conv', inputs: ['m', 'W'], outputs: ['y'], attrs: { pads: [1, 1, 1, 1] } },
    ], { s: { dims: [2, 1, 1], data: [0.5, -2] }, W: w([3, 2, 3, 3], 49) }));
    expect(opcodes(info)).toContain(Op.Binary);
  });
});

describe('dense layers and layout vs onnxruntime', () => {
  // z -> Gemm -> Relu -> Reshape([N, 2, 4, 4], N from Shape) -> ConvTranspose -> Sigmoid
  const decoder = (): ModelSpec => ({
    inputs: [{ name: 'z', dims: ['batch', 6] }], outputs: [{ name: 'y' }], opset: 13,
    nodes: [
      { op: 'Gemm', inputs: ['z', 'W', 'C'], outputs: ['h'], attrs: { transB: 1, alpha: float(0.5), beta: float(2) } },
      { op: 'Relu', inputs: ['h'], outputs: ['r'] },
      { op: 'Shape', inputs: ['z'], outputs: ['shp'] },
      { op: 'Gather', inputs: ['shp', 'zero'], outputs: ['n'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['n', 'axes0'], outputs: ['n1'] },
      { op: 'Concat', inputs: ['n1', 'rest'], outputs: ['target'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['r', 'target'], outputs: ['img'] },
      { op: 'ConvTranspose', inputs: ['img', 'Wt'], outputs: ['t'], attrs: { strides: [2, 2], pads: [1, 1, 1, 1], output_padding: [1, 1] } },
      { op: 'Sigmoid', inputs: ['t'], outputs: ['y'] },
    ],
    initializers: {
      W: w([32, 6], 20), C: w([32], 21), zero: { dims: [], data: [0], type: 'int64' }, axes0: ints([0]), rest: ints([2, 4, 4]),
      Wt: w([2, 3, 3, 3], 22),
    },
  });

  it('decoder: dense writes HWC directly (columns permuted), no LAYOUT before the conv', async () => {
    const { info } = await compare(decoder(), 4);
    expect(opcodes(info)).toEqual([Op.Dense, Op.ConvTranspose, Op.Layout]);
    expect(info.ops[0]!.activation).toBe(1);
  });

  it('encoder: Flatten into Gemm reads HWC rows (rows permuted), no LAYOUT after the conv', async () => {
    const { info } = await compare(single(['N', 2, 6, 6], [
      { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { strides: [2, 2], pads: [1, 1, 1, 1] } },
      { op: 'Flatten', inputs: ['c'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'D', 'Db'], outputs: ['y'] },
    ], { W: w([5, 2, 3, 3], 23), D: w([45, 7], 24), Db: w([7], 25) }));
    expect(opcodes(info)).toEqual([Op.Layout, Op.Conv2D, Op.Dense]);
  });

  it('Flatten feeding a non-dense op becomes a LAYOUT op', async () => {
    const { info } = await compare(single(['N', 3, 4, 5], [
      { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Flatten', inputs: ['c'], outputs: ['f'] },
      { op: 'Add', inputs: ['f', 'k'], outputs: ['y'] },
    ], { W: w([2, 3, 3, 3], 26), k: w([40], 29) }));
    expect(opcodes(info)).toEqual([Op.Layout, Op.Conv2D, Op.Layout, Op.Binary]);
  });

  it('activations fuse through a reshape; BatchNormalization after a dense reshape folds into the dense', async () => {
    const { info } = await compare(single(['N', 3], [
      { op: 'Gemm', inputs: ['x', 'W'], outputs: ['h'] },
      { op: 'Reshape', inputs: ['h', 'shape'], outputs: ['img'] },
      { op: 'BatchNormalization', inputs: ['img', 's', 'b', 'm', 'v'], outputs: ['bn'] },
      { op: 'LeakyRelu', inputs: ['bn'], outputs: ['y'], attrs: { alpha: float(0.1) } },
    ], { W: w([3, 24], 35), shape: ints([-1, 2, 3, 4]), s: w([2], 36), b: w([2], 37), m: w([2], 38), v: { dims: [2], data: [0.7, 1.3] } }));
    expect(opcodes(info)).toEqual([Op.Dense, Op.Layout]);
    expect(info.ops[0]!.activation).toBe(2);
  });

  it('MatMul + Add bias folds into one dense; Elu and Softplus run as unary', async () => {
    const { info } = await compare(single(['N', 5], [
      { op: 'MatMul', inputs: ['x', 'W'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'b'], outputs: ['a'] },
      { op: 'Elu', inputs: ['a'], outputs: ['e'], attrs: { alpha: float(0.7) } },
      { op: 'Softplus', inputs: ['e'], outputs: ['s'] },
      { op: 'Exp', inputs: ['s'], outputs: ['y'] },
    ], { W: w([5, 4], 27), b: w([4], 28) }));
    expect(opcodes(info)).toEqual([Op.Dense, Op.Unary, Op.Unary]);
  });
});

describe('shapes computed from Shape sub-graphs', () => {
  it('MatMul on [N,1,K] and a Reshape target built with Shape/Gather/Div/Concat (symbolic batch)', async () => {
    await compare({
      inputs: [{ name: 'x', dims: ['batch', 1, 8] }], outputs: [{ name: 'y' }], opset: 17,
      nodes: [
        { op: 'MatMul', inputs: ['x', 'W'], outputs: ['m'] },
        { op: 'Shape', inputs: ['m'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'i2'], outputs: ['last'], attrs: { axis: 0 } },
        { op: 'Div', inputs: ['last', 'two'], outputs: ['half'] },
        { op: 'Gather', inputs: ['s', 'i0'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Concat', inputs: ['n', 'two', 'half'], outputs: ['target'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['m', 'target'], outputs: ['r'] },
        { op: 'Cast', inputs: ['r'], outputs: ['y'], attrs: { to: 1 } },
      ],
      initializers: { W: w([8, 6], 39), i2: ints([2]), i0: ints([0]), two: ints([2]) },
    }, 2);
  });
});

describe('transposes vs onnxruntime', () => {
  it('NHWC graph (tf2onnx style): Transpose to NCHW, Conv, Transpose back, Relu, a cancelling pair', async () => {
    const { info } = await compare(single(['N', 5, 6, 3], [
      { op: 'Transpose', inputs: ['x'], outputs: ['nchw'], attrs: { perm: [0, 3, 1, 2] } },
      { op: 'Conv', inputs: ['nchw', 'W', 'B'], outputs: ['c'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Transpose', inputs: ['c'], outputs: ['nhwc'], attrs: { perm: [0, 2, 3, 1] } },
      { op: 'Relu', inputs: ['nhwc'], outputs: ['r'] },
      { op: 'Transpose', inputs: ['r'], outputs: ['back'], attrs: { perm: [0, 3, 1, 2] } },
      { op: 'Transpose', inputs: ['back'], outputs: ['y'], attrs: { perm: [0, 2, 3, 1] } },
    ], { W: w([4, 3, 3, 3], 41), B: w([4], 42) }));
    // NHWC input bytes are the conv's HWC input; the relu fuses through the transposes; the output
    // transposes compose to the identity: one op remains.
    expect(opcodes(info)).toEqual([Op.Conv2D]);
    expect(info.ops[0]!.activation).toBe(1);
  });

  it('2-D per-sample transpose feeding a dense layer', async () => {
    await compare(single(['N', 3, 4], [
      { op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [0, 2, 1] } },
      { op: 'Flatten', inputs: ['t'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W'], outputs: ['y'] },
    ], { W: w([12, 5], 43) }));
  });
});

describe('elementwise and data movement vs onnxruntime', () => {
  it('binary broadcasting: per-channel, per-column, scalar minus x, division, two activations', async () => {
    await compare(single(['N', 3, 4, 5], [
      { op: 'Add', inputs: ['x', 'c'], outputs: ['a'] },
      { op: 'Mul', inputs: ['col', 'a'], outputs: ['b'] },
      { op: 'Sub', inputs: ['s', 'b'], outputs: ['d'] },
      { op: 'Div', inputs: ['d', 'hw'], outputs: ['e'] },
      { op: 'Relu', inputs: ['e'], outputs: ['r'] },
      { op: 'Add', inputs: ['e', 'r'], outputs: ['y'] },
    ], { c: w([3, 1, 1], 30), col: w([1, 5], 31), s: { dims: [], data: [0.25] }, hw: { dims: [4, 5], data: randomData(20, 32).map((v) => v + 2) } }));
  });

  it('nearest Resize by scales and by sizes', async () => {
    await compare(single(['N', 2, 3, 4], [
      { op: 'Resize', inputs: ['x', '', 'sc'], outputs: ['r'], attrs: { mode: 'nearest' } },
      { op: 'Resize', inputs: ['r', '', '', 'sz'], outputs: ['y'], attrs: { mode: 'nearest', coordinate_transformation_mode: 'asymmetric', nearest_mode: 'floor' } },
    ], { sc: { dims: [4], data: [1, 1, 2, 3] }, sz: ints([3, 2, 6, 24]) }));
  });

  it('Concat on channels, Split on channels (second output), Slice on width', async () => {
    const spec: ModelSpec = {
      inputs: [{ name: 'x', dims: ['N', 2, 5, 6] }], outputs: [{ name: 'p' }, { name: 'y' }], opset: 13,
      nodes: [
        { op: 'Conv', inputs: ['x', 'W1'], outputs: ['a'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Conv', inputs: ['x', 'W2'], outputs: ['b'] , attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Concat', inputs: ['a', 'b', 'x'], outputs: ['c'], attrs: { axis: 1 } },
        { op: 'Split', inputs: ['c', 'sp'], outputs: ['p', 'q'], attrs: { axis: 1 } },
        { op: 'Slice', inputs: ['q', 'st', 'en', 'ax'], outputs: ['y'] },
      ],
      initializers: { W1: w([3, 2, 3, 3], 33), W2: w([1, 2, 3, 3], 34), sp: ints([2, 4]), st: ints([1]), en: ints([4]), ax: ints([3]) },
    };
    await compare(spec, 2, 0);
    await compare(spec, 2, 1);
  });

  it('Gather on the channel axis (scalar index and non-contiguous indices) as slices and concats', async () => {
    await compare(single(['N', 5, 3, 4], [
      { op: 'Gather', inputs: ['x', 'idx'], outputs: ['g'], attrs: { axis: 1 } },
      { op: 'Gather', inputs: ['g', 'one'], outputs: ['h'], attrs: { axis: -1 } },
      { op: 'Sigmoid', inputs: ['h'], outputs: ['y'] },
    ], { idx: ints([4, 0, 1, 2, -1]), one: { dims: [], data: [2], type: 'int64' } }));
  });

  it('layout no-ops: Transpose of a size-1 dim, Unsqueeze, Squeeze, Reshape with 0 and -1', async () => {
    await compare(single(['N', 1, 6], [
      { op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [0, 2, 1] } },
      { op: 'Unsqueeze', inputs: ['t', 'ax'], outputs: ['u'] },
      { op: 'Squeeze', inputs: ['u', 'sq'], outputs: ['s'] },
      { op: 'Reshape', inputs: ['s', 'shape'], outputs: ['r'] },
      { op: 'Sigmoid', inputs: ['r'], outputs: ['y'] },
    ], { ax: ints([1]), sq: ints([1, 3]), shape: ints([0, -1]) }));
  });
});

describe('arena replay checker', () => {
  it('detects a plan that lets an op overwrite a tensor still needed', async () => {
    const bytes = await convertGraph(buildModel(single(['N', 4], [
      { op: 'Relu', inputs: ['x'], outputs: ['a'] },
      { op: 'Sigmoid', inputs: ['a'], outputs: ['b'] },
      { op: 'Add', inputs: ['a', 'b'], outputs: ['y'] },
    ], {})));
    const info = readModel(bytes);
    checkArenaReplay(info);
    const broken = { ...info, tensors: info.tensors.map((t) => ({ ...t, offset: t.kind === 'activation' ? 0 : t.offset })) };
    expect(() => checkArenaReplay(broken)).toThrow();
  });
});

describe('refusals name the node, op and problem', () => {
  const refuse = (spec: ModelSpec) => convertGraph(buildModel(spec));
  it('unsupported op', async () => {
    await expect(refuse(single(['N', 4], [{ op: 'Einsum', inputs: ['x'], outputs: ['y'], name: 'head', attrs: { equation: 'ij->ij' } }], {})))
      .rejects.toThrow('node "head" (Einsum): op type is not supported');
  });
  it('conv padding beyond the kernel', async () => {
    await expect(refuse(single(['N', 1, 5, 5], [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], name: 'c1', attrs: { pads: [3, 3, 3, 3] } }], { W: w([1, 1, 3, 3], 40) })))
      .rejects.toThrow(/node "c1" \(Conv\): height padding .* not smaller than the dilated kernel/);
  });
  it('weights computed from the input', async () => {
    await expect(refuse({ ...single(['N', 4], [{ op: 'Gemm', inputs: ['x', 'x'], outputs: ['y'], name: 'mm' }], {}) }))
      .rejects.toThrow('node "mm" (Gemm): input B must be a constant');
    await expect(refuse({ ...single(['N', 4], [{ op: 'MatMul', inputs: ['x', 'x'], outputs: ['y'], name: 'mm' }], {}) }))
      .rejects.toThrow('node "mm" (MatMul): activation operands of rank 2 and 2 are not supported (both need a matrix per sample)');
  });
  it('unknown attribute', async () => {
    await expect(refuse(single(['N', 4], [{ op: 'Relu', inputs: ['x'], outputs: ['y'], name: 'r', attrs: { fancy: 1 } }], {})))
      .rejects.toThrow('node "r" (Relu): attribute "fancy" is not supported');
  });
  it('opset outside 10..21', async () => {
    await expect(refuse(single(['N', 4], [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], {}, 9))).rejects.toThrow('ONNX opset 9 is not supported');
    await expect(refuse(single(['N', 4], [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }], {}, 22))).rejects.toThrow('ONNX opset 22 is not supported');
  });
  it('cubic resize', async () => {
    await expect(refuse(single(['N', 1, 4, 4], [{ op: 'Resize', inputs: ['x', '', 'sc'], outputs: ['y'], name: 'up', attrs: { mode: 'cubic' } }], { sc: { dims: [4], data: [1, 1, 1.5, 2] } })))
      .rejects.toThrow('node "up" (Resize): mode "cubic" is not supported (nearest, linear)');
  });
});

describe('convert(): encoder/decoder pairs', () => {
  const encoder = (outputs: number): ModelSpec => ({
    inputs: [{ name: 'x', dims: ['N', 1, 4, 4] }],
    outputs: outputs === 1 ? [{ name: 'h' }] : [{ name: 'mu' }, { name: 'lv' }],
    opset: 13,
    nodes: [
      { op: 'Flatten', inputs: ['x'], outputs: ['f'] },
      { op: 'Gemm', inputs: ['f', 'W', 'B'], outputs: ['h'] },
      ...(outputs === 2 ? [{ op: 'Split', inputs: ['h', 'sp'], outputs: ['mu', 'lv'], attrs: { axis: 1 } }] : []),
    ],
    initializers: { W: w([16, 6], 50), B: w([6], 51), sp: ints([3, 3]) },
  });
  const decoder: ModelSpec = single(['N', 3], [{ op: 'Gemm', inputs: ['x', 'W', 'B'], outputs: ['y'] }], { W: w([3, 16], 52), B: w([16], 53) });

  it('one encoder output of 2L is split into mu and logvar halves, and says so', async () => {
    const { bytes, report } = await convert({ encoder: buildModel(encoder(1)), decoder: buildModel(decoder), name: 'tiny' });
    const info = readModel(bytes);
    checkArenaReplay(info);
    expect(report.latentSize).toBe(3);
    expect(report.notes.join('\n')).toMatch(/split into mu = \[0, 3\) and logvar = \[3, 6\)/);
    expect(info.metadata.name).toBe('tiny');
    // The halves are computed by two dense ops (columns split), not one dense plus two slices.
    expect(opcodes(info)).toEqual([Op.Dense, Op.Dense, Op.Dense]);
    expect(info.metadata.quantization).toBe('f32');
    const engine = await Engine.create(module);
    await engine.load(bytes, 2);
    const x = randomData(32, 60);
    const [mu, lv] = engine.run('encode', x, 2);
    const path = join(dir, `enc${fileNo++}.onnx`);
    writeFileSync(path, buildModel(encoder(1)));
    const h = Object.values(await runOnnx(path, { x: { data: x, dims: [2, 1, 4, 4] } }))[0]!.data;
    for (let s = 0; s < 2; s++) for (let i = 0; i < 3; i++) {
      expect(mu![s * 3 + i]).toBeCloseTo(h[s * 6 + i]!, 5);
      expect(lv![s * 3 + i]).toBeCloseTo(h[s * 6 + 3 + i]!, 5);
    }
  });

  it('an extra sampling output (unsupported ops) is ignored with a note; its nodes are not imported', async () => {
    const spec = encoder(2);
    spec.outputs.push({ name: 'z' });
    spec.nodes.push(
      { op: 'RandomNormalLike', inputs: ['mu'], outputs: ['eps'] },
      { op: 'Mul', inputs: ['eps', 'lv'], outputs: ['s'] },
      { op: 'Add', inputs: ['mu', 's'], outputs: ['z'] },
    );
    const { bytes, report } = await convert({ encoder: buildModel(spec) });
    expect(report.notes).toEqual(['encoder has 3 outputs: using the first two as mu and logvar, ignoring the rest']);
    expect(readModel(bytes).entries.map((e) => e.outputs.length)).toEqual([2]);
    await expect(convertGraph(buildModel(spec), { output: 2 })).rejects.toThrow('(RandomNormalLike): op type is not supported');
  });

  it('two encoder outputs are mu and logvar; latent sizes must agree', async () => {
    const { report } = await convert({ encoder: buildModel(encoder(2)), decoder: buildModel(decoder) });
    expect(report.notes).toEqual([]);
    const wide = single(['N', 4], [{ op: 'Gemm', inputs: ['x', 'W'], outputs: ['y'] }], { W: w([4, 16], 54) });
    await expect(convert({ encoder: buildModel(encoder(2)), decoder: buildModel(wide) })).rejects.toThrow('encoder latent size 3 differs from decoder input size 4');
  });
});

describe('PyTorch fixtures (tests/fixtures): plan and inspection', () => {
  const fixtures = new URL('./fixtures/', import.meta.url).pathname;
  it.each(['mlp', 'conv', 'bn'])('%s: arena replay is clean, the plan reuses memory, inspect lists every op', async (model) => {
    const { bytes, report } = await convert({ encoder: `${fixtures}${model}.encoder.op13.onnx`, decoder: `${fixtures}${model}.decoder.op13.onnx`, name: model });
    const info = readModel(bytes);
    checkArenaReplay(info);
    // Close to the lower bound (the most bytes that must coexist at one op).
    const bound = peakLiveBytes(info);
    expect(info.arenaPerSample).toBeGreaterThanOrEqual(bound);
    expect(info.arenaPerSample / bound, `arena ${info.arenaPerSample} vs bound ${bound}`).toBeLessThanOrEqual(1.1);
    expect(report.entries.map((e) => e.kind)).toEqual(['encode', 'decode']);
    // No LAYOUT op survives: 1-channel images need none and dense layers absorb the flatten/view.
    expect(info.ops.filter((o) => o.opcode === Op.Layout)).toEqual([]);
    const text = inspectModel(bytes);
    expect(text).toContain(`model "${model}"`);
    expect(text.split('\n').filter((l) => /^\d+\s{2}/.test(l))).toHaveLength(info.ops.length);
    expect(text).toContain('quantization: f32');
  });
});
