// int8 around the spatial and attention ops: a small decoder with an SD-style attention block, bilinear upsampling,
// reflect padding, a pool and a pixel shuffle, converted from ONNX and quantized to int8. Its convs run in int8,
// the new ops in f32 between QUANTIZE / DEQUANTIZE; `inspect` lists them; the runtime agrees with the TypeScript
// interpreter (the quantizer's calibration engine); the decoder's PSNR against onnxruntime-node stays high.
import { describe, it, expect, beforeAll } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convertGraph } from '../converter/index.js';
import { inspectModel } from '../converter/inspect.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { readEditable } from '../converter/quantize/editable-model.js';
import { Interpreter } from '../reference/interpreter.js';
import { latentBatch } from '../reference/sampler.js';
import { psnr } from '../converter/quantize/metrics.js';
import { DType, Op } from '../runtime/format-constants.js';
import { buildModel, randomData, type NodeSpec, type TensorSpec } from './helpers/onnx-build.js';
import { runOnnx } from './helpers/ort.js';
import { runSamples } from './kernels/harness.js';
import { attentionNodes } from './helpers/attention-graph.js';

const count = (d: number[]) => d.reduce((a, b) => a * b, 1);
const w = (dims: number[], seed: number, scale = 0.4): TensorSpec => ({ dims, data: randomData(count(dims), seed, scale) });
const ints = (data: number[]): TensorSpec => ({ dims: [data.length], data, type: 'int64' });

const L = 16, C = 8, S = 4; // latent, channels, first spatial size
const nodes: NodeSpec[] = [
  { op: 'Gemm', inputs: ['z', 'Wd', 'Bd'], outputs: ['h0'], attrs: { transB: 1 } },
  { op: 'Reshape', inputs: ['h0', 'shp4'], outputs: ['x'] },
  ...attentionNodes('x', 'r', 'shp3', 'shp4'),
  { op: 'Resize', inputs: ['r', '', 'up'], outputs: ['u'], attrs: { mode: 'linear', coordinate_transformation_mode: 'half_pixel' } },
  { op: 'Pad', inputs: ['u', 'pads'], outputs: ['pu'], attrs: { mode: 'reflect' } },
  { op: 'Conv', inputs: ['pu', 'W1', 'B1'], outputs: ['c1'] },
  { op: 'Relu', inputs: ['c1'], outputs: ['a1'] },
  { op: 'AveragePool', inputs: ['a1'], outputs: ['ap'], attrs: { kernel_shape: [3, 3], pads: [1, 1, 1, 1], strides: [1, 1] } },
  { op: 'Conv', inputs: ['ap', 'W2', 'B2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] } },
  { op: 'DepthToSpace', inputs: ['c2'], outputs: ['d'], attrs: { blocksize: 2, mode: 'CRD' } },
  { op: 'Sigmoid', inputs: ['d'], outputs: ['y'] },
];
const inits: Record<string, TensorSpec> = {
  Wd: w([C * S * S, L], 1), Bd: w([C * S * S], 2), shp4: ints([-1, C, S, S]), shp3: ints([-1, C, S * S]),
  Wq: w([C, C, 1, 1], 3), Bq: w([C], 4), Wk: w([C, C, 1, 1], 5), Bk: w([C], 6), Wv: w([C, C, 1, 1], 7), Bv: w([C], 8),
  Wo: w([C, C, 1, 1], 9), Bo: w([C], 10), scale: { dims: [1], data: [C ** -0.5] },
  up: { dims: [4], data: [1, 1, 2, 2] }, pads: ints([0, 0, 1, 1, 0, 0, 1, 1]),
  W1: w([C, C, 3, 3], 11, 0.2), B1: w([C], 12), W2: w([4, C, 3, 3], 13, 0.2), B2: w([4], 14),
};
const OUT = 1 * (2 * S * 2) * (2 * S * 2);

describe('int8 decoder with attention, bilinear resize, reflect pad, pool and pixel shuffle', () => {
  let onnxPath: string;
  let f32: Uint8Array;
  let q: Uint8Array;
  beforeAll(async () => {
    const bytes = buildModel({ inputs: [{ name: 'z', dims: ['N', L] }], outputs: [{ name: 'y' }], nodes, initializers: inits, opset: 13 });
    onnxPath = join(mkdtempSync(join(tmpdir(), 'evae-int8sp-')), 'dec.onnx');
    writeFileSync(onnxPath, bytes);
    f32 = await convertGraph(bytes, {});
    q = (await quantizeModel(f32, { mode: 'int8', latents: 64 })).bytes;
  });

  it('convs run in int8; pad, resize, pool, matmul, softmax and transpose in f32 between QUANTIZE and DEQUANTIZE; inspect lists them', () => {
    const m = readEditable(q);
    const dec = m.entries.find((e) => e.kind === 1)!;
    const spatial = [Op.Pad, Op.Resize, Op.Pool, Op.MatMul, Op.Softmax, Op.Transpose];
    for (const op of dec.ops.filter((o) => spatial.includes(o.op))) {
      expect(m.tensors[op.a]!.dtype).toBe(DType.F32);
      expect(m.tensors[op.out]!.dtype).toBe(DType.F32);
    }
    expect(dec.ops.filter((o) => o.op === Op.Conv2D && m.tensors[o.a]!.dtype === DType.I8).length).toBeGreaterThanOrEqual(5);
    expect(dec.ops.some((o) => o.op === Op.Quantize)).toBe(true);
    expect(dec.ops.some((o) => o.op === Op.Dequantize)).toBe(true);
    const text = inspectModel(q);
    for (const name of ['Pad', 'Resize', 'Pool', 'MatMul', 'Softmax', 'Transpose', 'Quantize', 'Dequantize']) expect(text).toContain(name);
    const summary = text.split('\n').find((l) => l.startsWith('float ops in this int8 entry (QUANTIZE/DEQUANTIZE around them): '))!;
    for (const name of ['1 Pad', '1 Resize', '1 Pool', '2 MatMul', '1 Softmax', '1 Transpose']) expect(summary).toContain(name);
  });

  it('runtime and interpreter agree on the f32 and int8 models; int8 decoder PSNR against onnxruntime >= 35 dB', async () => {
    const zs = latentBatch(16, L, 7);
    for (const model of [f32, q]) {
      const interp = new Interpreter(readEditable(model));
      const got = runSamples(model, 1, zs, [OUT])[0]!;
      got.forEach((y, i) => {
        const ref = interp.run(1, zs[i]!)[0]!;
        for (let j = 0; j < y.length; j++) expect(Math.abs(y[j]! - ref[j]!)).toBeLessThan(2e-5);
      });
    }
    const packed = new Float32Array(zs.length * L);
    zs.forEach((z, i) => packed.set(z, i * L));
    const ref = Object.values(await runOnnx(onnxPath, { z: { data: packed, dims: [zs.length, L] } }))[0]!.data;
    const f32Out = runSamples(f32, 1, zs, [OUT])[0]!, qOut = runSamples(q, 1, zs, [OUT])[0]!;
    let worstF32 = 0, meanPsnr = 0;
    zs.forEach((_, i) => {
      const r = ref.subarray(i * OUT, (i + 1) * OUT);
      for (let j = 0; j < OUT; j++) worstF32 = Math.max(worstF32, Math.abs(f32Out[i]![j]! - r[j]!));
      meanPsnr += psnr(r, qOut[i]!) / zs.length;
    });
    expect(worstF32).toBeLessThan(1e-5);
    console.log(`int8 spatial decoder: mean PSNR ${meanPsnr.toFixed(1)} dB, f32 worst error ${worstF32.toExponential(2)}`);
    expect(meanPsnr).toBeGreaterThanOrEqual(35);
  });
});
