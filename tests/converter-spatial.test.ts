// Spatial and attention ops (Pad, Resize linear / general nearest, pools, DepthToSpace / SpaceToDepth,
// MatMul of activations, Softmax, Transpose, an SD-style attention block) converted from small ONNX graphs
// and run in the wasm runtime, compared with onnxruntime-node; plus the op streams they lower to.
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertGraph } from '../converter/index.js';
import { Op } from '../runtime/format-constants.js';
import type { ModelInfo } from '../runtime/format.js';
import { buildModel, randomData, type ModelSpec, type NodeSpec, type TensorSpec } from './helpers/onnx-build.js';
import { compareWithOrt } from './helpers/convert-compare.js';
import { attentionNodes } from './helpers/attention-graph.js';

const dir = mkdtempSync(join(tmpdir(), 'evae-spatial-'));
let module: WebAssembly.Module;
let fileNo = 0;
beforeAll(async () => { module = await WebAssembly.compile(readFileSync(new URL('../build/edgevae.wasm', import.meta.url))); });

const count = (d: number[]) => d.reduce((a, b) => a * b, 1);
const w = (dims: number[], seed: number, scale = 0.5): TensorSpec => ({ dims, data: randomData(count(dims), seed, scale) });
const ints = (data: number[]): TensorSpec => ({ dims: [data.length], data, type: 'int64' });
const floatsT = (data: number[]): TensorSpec => ({ dims: [data.length], data });
const opcodes = (info: ModelInfo) => info.ops.map((o) => o.opcode);

async function compare(spec: ModelSpec, n = 2, tol = 1e-5): Promise<ModelInfo> {
  const k = fileNo++;
  return (await compareWithOrt(module, spec, join(dir, `m${k}.onnx`), 99 + k + 1, n, 0, tol)).info;
}

const single = (x: (number | string)[], nodes: NodeSpec[], inits: Record<string, TensorSpec> = {}, opset = 13): ModelSpec => ({
  inputs: [{ name: 'x', dims: x }], outputs: [{ name: 'y' }], nodes, initializers: inits, opset,
});

describe('Pad vs onnxruntime', () => {
  for (const mode of ['constant', 'reflect', 'edge']) it(`${mode} pad (opset 13 input pads, constant value)`, async () => {
    const info = await compare(single(['N', 3, 5, 6], [{ op: 'Pad', inputs: ['x', 'p', 'v'], outputs: ['y'], attrs: { mode } }],
      { p: ints([0, 0, 1, 2, 0, 0, 3, 1]), v: floatsT([0.25]) }));
    expect(opcodes(info)).toContain(Op.Pad);
  });
  it('negative pads crop, 1D input', async () => {
    await compare(single(['N', 2, 5, 6], [{ op: 'Pad', inputs: ['x', 'p', 'v'], outputs: ['y'] }], { p: ints([0, 0, -1, 2, 0, 0, 1, -2]), v: floatsT([-1]) }, 11));
    await compare(single(['N', 3, 9], [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], attrs: { mode: 'reflect' } }], { p: ints([0, 0, 2, 0, 0, 3]) }));
  });
  it('zero pad before a conv folds into the conv padding (asymmetric, stride 2)', async () => {
    const info = await compare(single(['N', 3, 8, 8], [
      { op: 'Pad', inputs: ['x', 'p'], outputs: ['px'] },
      { op: 'Conv', inputs: ['px', 'W', 'B'], outputs: ['y'], attrs: { strides: [2, 2] } },
    ], { p: ints([0, 0, 0, 0, 0, 0, 1, 1]), W: w([4, 3, 3, 3], 1), B: w([4], 2) }));
    expect(opcodes(info)).toEqual([Op.Layout, Op.Conv2D, Op.Layout]);
    const oneD = await compare(single(['N', 3, 12], [
      { op: 'Pad', inputs: ['x', 'p'], outputs: ['px'] },
      { op: 'Conv', inputs: ['px', 'W'], outputs: ['y'], attrs: { strides: [2] } },
    ], { p: ints([0, 0, 2, 0, 0, 1]), W: w([4, 3, 4], 3) }));
    expect(opcodes(oneD)).toEqual([Op.Layout, Op.Conv2D, Op.Layout]);
  });
  it('a reflect pad or a pad beyond the kernel stays a PAD', async () => {
    const info = await compare(single(['N', 3, 8, 8], [
      { op: 'Pad', inputs: ['x', 'p'], outputs: ['px'], attrs: { mode: 'reflect' } },
      { op: 'Conv', inputs: ['px', 'W'], outputs: ['y'] },
    ], { p: ints([0, 0, 1, 1, 0, 0, 1, 1]), W: w([4, 3, 3, 3], 4) }));
    expect(opcodes(info)).toContain(Op.Pad);
    const far = await compare(single(['N', 3, 8, 8], [
      { op: 'Pad', inputs: ['x', 'p'], outputs: ['px'] },
      { op: 'Conv', inputs: ['px', 'W'], outputs: ['y'] },
    ], { p: ints([0, 0, 3, 0, 0, 0, 0, 0]), W: w([4, 3, 3, 3], 5) }));
    expect(opcodes(far)).toContain(Op.Pad);
  });
});

describe('ConvTranspose + Slice crop vs onnxruntime', () => {
  it('a crop of height and width folds into the transposed conv padding', async () => {
    const info = await compare(single(['N', 4, 5, 5], [
      { op: 'ConvTranspose', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { strides: [2, 2] } },
      { op: 'Slice', inputs: ['c', 'st', 'en', 'ax'], outputs: ['y'] },
    ], { W: w([4, 3, 4, 4], 5), B: w([3], 6), st: ints([1, 1]), en: ints([11, 10]), ax: ints([2, 3]) }));
    expect(opcodes(info)).toEqual([Op.Layout, Op.ConvTranspose, Op.Layout]);
  });
  it('a 1D crop folds too', async () => {
    const info = await compare(single(['N', 4, 7], [
      { op: 'ConvTranspose', inputs: ['x', 'W', 'B'], outputs: ['c'], attrs: { strides: [2] } },
      { op: 'Slice', inputs: ['c', 'st', 'en', 'ax'], outputs: ['y'] },
    ], { W: w([4, 3, 4], 8), B: w([3], 9), st: ints([1]), en: ints([-1]), ax: ints([2]) }));
    expect(opcodes(info)).toEqual([Op.Layout, Op.ConvTranspose, Op.Layout]);
  });
  it('a crop beyond the kernel stays a SLICE', async () => {
    const info = await compare(single(['N', 4, 5, 5], [
      { op: 'ConvTranspose', inputs: ['x', 'W'], outputs: ['c'], attrs: { strides: [2, 2] } },
      { op: 'Slice', inputs: ['c', 'st', 'en', 'ax'], outputs: ['y'] },
    ], { W: w([4, 3, 3, 3], 7), st: ints([4]), en: ints([9]), ax: ints([2]) }));
    expect(opcodes(info)).toContain(Op.Slice);
  });
});

describe('Resize vs onnxruntime', () => {
  const resize = (mode: string, ctm: string, scalesOrSizes: { scales?: number[]; sizes?: number[] }, extra: Record<string, string> = {}) =>
    single(['N', 3, 5, 6], [{ op: 'Resize', inputs: scalesOrSizes.scales ? ['x', '', 's'] : ['x', '', '', 'z'], outputs: ['y'],
      attrs: { mode, coordinate_transformation_mode: ctm, ...extra } }],
    scalesOrSizes.scales ? { s: floatsT(scalesOrSizes.scales) } : { z: ints(scalesOrSizes.sizes!) });
  for (const ctm of ['half_pixel', 'pytorch_half_pixel', 'align_corners', 'asymmetric']) {
    it(`linear ${ctm}, scale 2 and sizes 7x13`, async () => {
      const info = await compare(resize('linear', ctm, { scales: [1, 1, 2, 2] }));
      expect(opcodes(info)).toContain(Op.Resize);
      await compare(resize('linear', ctm, { sizes: [2, 3, 7, 13] }));
    });
  }
  it('linear downscale 0.6 half_pixel, sizes to a single row (pytorch_half_pixel)', async () => {
    await compare(resize('linear', 'half_pixel', { scales: [1, 1, 0.6, 0.6] }));
    await compare(resize('linear', 'align_corners', { scales: [1, 1, 0.6, 0.7] }));
    await compare(resize('linear', 'pytorch_half_pixel', { scales: [1, 1, 0.3, 0.7] }));
    await compare(resize('linear', 'pytorch_half_pixel', { sizes: [2, 3, 1, 4] }));
  });
  for (const nm of ['round_prefer_floor', 'round_prefer_ceil', 'floor', 'ceil']) {
    it(`nearest ${nm} with scale 1.5 / 0.5 and asymmetric x3`, async () => {
      await compare(resize('nearest', 'half_pixel', { scales: [1, 1, 1.5, 1.5] }, { nearest_mode: nm }));
      await compare(resize('nearest', 'asymmetric', { scales: [1, 1, 0.5, 0.5] }, { nearest_mode: nm }));
      await compare(resize('nearest', 'align_corners', { sizes: [2, 3, 9, 4] }, { nearest_mode: nm }));
    });
  }
  it('nearest integer upsampling keeps the fast RESIZE_NEAREST', async () => {
    const info = await compare(resize('nearest', 'asymmetric', { scales: [1, 1, 2, 2] }, { nearest_mode: 'floor' }));
    expect(opcodes(info)).toContain(Op.ResizeNearest);
  });
});

describe('pools and pixel shuffles vs onnxruntime', () => {
  it('MaxPool 3x3 stride 2 pad 1, ceil_mode, 1D', async () => {
    await compare(single(['N', 4, 9, 8], [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [3, 3], strides: [2, 2], pads: [1, 1, 1, 1] } }]));
    await compare(single(['N', 4, 9, 8], [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [2, 2], strides: [2, 2], ceil_mode: 1 } }]));
    await compare(single(['N', 4, 9], [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [3], strides: [2] } }]));
  });
  it('AveragePool with and without count_include_pad, ceil_mode; GlobalAveragePool; GlobalMaxPool', async () => {
    for (const cip of [0, 1]) {
      await compare(single(['N', 4, 7, 8], [{ op: 'AveragePool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], count_include_pad: cip } }]));
      await compare(single(['N', 4, 7, 8], [{ op: 'AveragePool', inputs: ['x'], outputs: ['y'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [2, 2], count_include_pad: cip, ceil_mode: 1 } }]));
    }
    await compare(single(['N', 5, 6, 7], [{ op: 'GlobalAveragePool', inputs: ['x'], outputs: ['y'] }]));
    await compare(single(['N', 5, 6, 7], [{ op: 'GlobalMaxPool', inputs: ['x'], outputs: ['y'] }]));
  });
  it('DepthToSpace DCR and CRD, SpaceToDepth', async () => {
    for (const mode of ['DCR', 'CRD']) {
      const info = await compare(single(['N', 12, 3, 4], [{ op: 'DepthToSpace', inputs: ['x'], outputs: ['y'], attrs: { blocksize: 2, mode } }]));
      expect(opcodes(info)).toContain(Op.Transpose);
    }
    await compare(single(['N', 3, 6, 4], [{ op: 'SpaceToDepth', inputs: ['x'], outputs: ['y'], attrs: { blocksize: 2 } }]));
  });
  it("PyTorch's pixel_unshuffle export: Reshape to rank 6, Transpose, Reshape back", async () => {
    const info = await compare(single(['N', 3, 6, 4], [
      { op: 'Reshape', inputs: ['x', 's6'], outputs: ['r'] },
      { op: 'Transpose', inputs: ['r'], outputs: ['t'], attrs: { perm: [0, 1, 3, 5, 2, 4] } },
      { op: 'Reshape', inputs: ['t', 's4'], outputs: ['y'] },
    ], { s6: ints([-1, 3, 3, 2, 2, 2]), s4: ints([-1, 12, 3, 2]) }));
    // patterns/ recognises this as SpaceToDepth (one byte move) plus a channel reorder; the raw path needs two.
    const moves = opcodes(info).filter((o) => o === Op.Transpose).length;
    expect(moves).toBeGreaterThanOrEqual(1);
    expect(moves).toBeLessThanOrEqual(2);
  });
});

describe('attention pieces vs onnxruntime', () => {
  it('Softmax over the last axis, another axis, and opset 11 coerced 2D', async () => {
    await compare(single(['N', 3, 4, 5], [{ op: 'Softmax', inputs: ['x'], outputs: ['y'] }]));
    await compare(single(['N', 3, 4, 5], [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 2 } }]));
    await compare(single(['N', 3, 4, 5], [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], attrs: { axis: 2 } }], {}, 11));
  });
  it('Transpose of all per-sample axes (a permutation LAYOUT cannot do)', async () => {
    const info = await compare(single(['N', 2, 3, 4, 5], [{ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [0, 3, 1, 4, 2] } }]));
    expect(opcodes(info)).toContain(Op.Transpose);
  });
  it('MatMul of two activations batched over heads, and a Linear over tokens', async () => {
    await compare(single(['N', 2, 6, 8], [
      { op: 'Transpose', inputs: ['x'], outputs: ['xt'], attrs: { perm: [0, 1, 3, 2] } },
      { op: 'MatMul', inputs: ['x', 'xt'], outputs: ['y'] },
    ]));
    const info = await compare(single(['N', 6, 8], [{ op: 'MatMul', inputs: ['x', 'Wl'], outputs: ['y'] }], { Wl: w([8, 5], 3) }));
    expect(opcodes(info)).toEqual([Op.Conv2D]);
  });

  it('a Stable-Diffusion-style mid-block attention (1x1 q/k/v convs, bmm, softmax, proj, residual)', async () => {
    const [C, H, W] = [8, 4, 4];
    const HW = H * W;
    const nodes = attentionNodes('x', 'y', 'shp', 'shp4');
    const inits: Record<string, TensorSpec> = {
      Wq: w([C, C, 1, 1], 11), Bq: w([C], 12), Wk: w([C, C, 1, 1], 13), Bk: w([C], 14), Wv: w([C, C, 1, 1], 15), Bv: w([C], 16),
      Wo: w([C, C, 1, 1], 17), Bo: w([C], 18), shp: ints([1, C, HW]), shp4: ints([1, C, H, W]), scale: floatsT([C ** -0.5]),
    };
    const spec = single([1, C, H, W], nodes, inits);
    await compare(spec, 1);
    // the diffusers form: tokens [N, HW, C] through Linear layers, q . k^T by a Transpose of k
    const nodes2: NodeSpec[] = [
      { op: 'Reshape', inputs: ['x', 'shp'], outputs: ['x2'] },
      { op: 'Transpose', inputs: ['x2'], outputs: ['tok'], attrs: { perm: [0, 2, 1] } },
      { op: 'MatMul', inputs: ['tok', 'Lq'], outputs: ['q'] },
      { op: 'MatMul', inputs: ['tok', 'Lk'], outputs: ['k'] },
      { op: 'MatMul', inputs: ['tok', 'Lv'], outputs: ['v'] },
      { op: 'Transpose', inputs: ['k'], outputs: ['kt'], attrs: { perm: [0, 2, 1] } },
      { op: 'MatMul', inputs: ['q', 'kt'], outputs: ['att'] },
      { op: 'Mul', inputs: ['att', 'scale'], outputs: ['atts'] },
      { op: 'Softmax', inputs: ['atts'], outputs: ['p'], attrs: { axis: -1 } },
      { op: 'MatMul', inputs: ['p', 'v'], outputs: ['h'] },
      { op: 'MatMul', inputs: ['h', 'Lo'], outputs: ['o'] },
      { op: 'Transpose', inputs: ['o'], outputs: ['ot'], attrs: { perm: [0, 2, 1] } },
      { op: 'Reshape', inputs: ['ot', 'shp4'], outputs: ['o4'] },
      { op: 'Add', inputs: ['x', 'o4'], outputs: ['y'] },
    ];
    const inits2: Record<string, TensorSpec> = {
      Lq: w([C, C], 21), Lk: w([C, C], 22), Lv: w([C, C], 23), Lo: w([C, C], 24), shp: ints([1, C, HW]), shp4: ints([1, C, H, W]), scale: floatsT([C ** -0.5]),
    };
    await compare(single([1, C, H, W], nodes2, inits2), 1);
  });
});

describe('refusals name the node, the op and the missing feature', () => {
  const refuse = (spec: ModelSpec) => convertGraph(buildModel(spec), {});
  it('Pad: wrap mode, channel padding, reflect wider than the input', async () => {
    await expect(refuse(single(['N', 3, 4, 4], [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], name: 'pd', attrs: { mode: 'wrap' } }], { p: ints([0, 0, 1, 1, 0, 0, 1, 1]) }, 19)))
      .rejects.toThrow('node "pd" (Pad): mode "wrap" is not supported (constant, reflect, edge)');
    await expect(refuse(single(['N', 3, 4, 4], [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], name: 'pd' }], { p: ints([0, 1, 0, 0, 0, 0, 0, 0]) })))
      .rejects.toThrow('node "pd" (Pad): padding the channel axis is not supported');
    await expect(refuse(single(['N', 3, 4, 4], [{ op: 'Pad', inputs: ['x', 'p'], outputs: ['y'], name: 'pd', attrs: { mode: 'reflect' } }], { p: ints([0, 0, 4, 0, 0, 0, 0, 0]) })))
      .rejects.toThrow(/node "pd" \(Pad\): reflect pads .* must be smaller than the input size 4x4/);
  });
  it('Resize to more values than a tensor may hold; pools with dilations; DepthToSpace with a bad block size', async () => {
    await expect(refuse(single(['N', 3, 4, 4], [{ op: 'Resize', inputs: ['x', '', '', 'z'], outputs: ['y'], name: 'rs', attrs: { mode: 'linear' } }], { z: ints([1, 3, 10000, 10000]) })))
      .rejects.toThrow(/node "rs" \(Resize\): output \[3,10000,10000\] has 300000000 values, more than the 2\^26/);
    await expect(refuse(single(['N', 3, 8, 8], [{ op: 'MaxPool', inputs: ['x'], outputs: ['y'], name: 'mp', attrs: { kernel_shape: [2, 2], dilations: [2, 2] } }])))
      .rejects.toThrow('node "mp" (MaxPool): dilations [2,2] are not supported');
    await expect(refuse(single(['N', 8, 4, 4], [{ op: 'DepthToSpace', inputs: ['x'], outputs: ['y'], name: 'ds', attrs: { blocksize: 3 } }])))
      .rejects.toThrow('node "ds" (DepthToSpace): 8 channels are not divisible by blocksize^2 = 9');
  });
  it('Softmax over the batch axis; MatMul of activations with different batch dims', async () => {
    await expect(refuse(single(['N', 4], [{ op: 'Softmax', inputs: ['x'], outputs: ['y'], name: 'sm', attrs: { axis: 0 } }])))
      .rejects.toThrow('node "sm" (Softmax): axis 0 is the batch axis (not supported)');
    await expect(refuse(single(['N', 2, 3, 4], [
      { op: 'Reshape', inputs: ['x', 's'], outputs: ['r'] },
      { op: 'MatMul', inputs: ['x', 'r'], outputs: ['y'], name: 'mm' },
    ], { s: ints([-1, 3, 4, 2]) })))
      .rejects.toThrow(/node "mm" \(MatMul\): (inner sizes differ|batch dims)/);
  });
});
