// int8 around the new ops: a small SD-style decoder block (conv, GroupNorm + SiLU, nearest upsample, conv,
// clip to [0, 1]) quantized to int8 keeps the norm and the activations in f32 between DEQUANTIZE and
// QUANTIZE, passes both validators, stays close to onnxruntime, and `inspect` lists what runs in float.
import { describe, expect, it } from 'vitest';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { convert } from '../converter/index.js';
import { inspectModel } from '../converter/inspect.js';
import { latentBatch } from '../reference/sampler.js';
import { mean, psnr } from '../converter/quantize/metrics.js';
import { Act, EntryKind, Op } from '../runtime/format-constants.js';
import { readModel } from '../runtime/format.js';
import { buildModel, randomData, type TensorSpec } from './helpers/onnx-build.js';
import { runOnnx } from './helpers/ort.js';
import { runSamples } from './kernels/harness.js';

const count = (d: number[]) => d.reduce((a, b) => a * b, 1);
const w = (dims: number[], seed: number, scale = 0.3, offset = 0): TensorSpec => ({ dims, data: randomData(count(dims), seed, scale).map((v) => v + offset) });
const ints = (data: number[]): TensorSpec => ({ dims: [data.length], data, type: 'int64' });

describe('int8 with normalisation and new activations', () => {
  it('GroupNorm and SiLU stay f32 between int8 convs; close to onnxruntime; inspect lists them', async () => {
    const L = 8;
    const onnx = buildModel({
      inputs: [{ name: 'z', dims: ['N', L] }], outputs: [{ name: 'y' }], opset: 21,
      nodes: [
        { op: 'Gemm', inputs: ['z', 'W0', 'B0'], outputs: ['h'] },
        { op: 'Reshape', inputs: ['h', 'shape'], outputs: ['r'] },
        { op: 'Conv', inputs: ['r', 'W1', 'B1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'GroupNormalization', inputs: ['c1', 'gs', 'gb'], outputs: ['n'], attrs: { num_groups: 4 } },
        { op: 'Sigmoid', inputs: ['n'], outputs: ['s'] },
        { op: 'Mul', inputs: ['n', 's'], outputs: ['a'] },
        { op: 'Resize', inputs: ['a', '', 'sc'], outputs: ['u'], attrs: { mode: 'nearest' } },
        { op: 'Conv', inputs: ['u', 'W2', 'B2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] } },
        { op: 'Clip', inputs: ['c2', 'lo', 'hi'], outputs: ['y'] },
      ],
      initializers: {
        W0: w([L, 8 * 4 * 4], 1), B0: w([128], 2), shape: ints([-1, 8, 4, 4]), W1: w([8, 8, 3, 3], 3), B1: w([8], 4),
        gs: w([8], 5, 0.3, 1), gb: w([8], 6), sc: { dims: [4], data: [1, 1, 2, 2] }, W2: w([3, 8, 3, 3], 7), B2: w([3], 8, 0.3, 0.5),
        lo: { dims: [], data: [0] }, hi: { dims: [], data: [1] },
      },
    });
    const path = join(mkdtempSync(join(tmpdir(), 'evae-qna-')), 'dec.onnx');
    writeFileSync(path, onnx);
    const { bytes } = await convert({ decoder: onnx, quant: 'int8' });
    const info = readModel(bytes);
    const ops = info.ops.map((o) => o.opcode);
    const gn = ops.indexOf(Op.GroupNorm);
    expect(gn).toBeGreaterThan(0);
    expect(info.ops[gn]!.activation).toBe(Act.Silu);
    expect(ops[gn - 1]).toBe(Op.Dequantize);
    expect(ops.filter((o) => o === Op.Quantize).length).toBeGreaterThanOrEqual(2);
    expect(inspectModel(bytes)).toMatch(/float ops in this int8 entry \(QUANTIZE\/DEQUANTIZE around them\): .*1 GroupNorm\(silu\)/);

    const z = latentBatch(32, L, 99);
    const packed = new Float32Array(32 * L);
    z.forEach((v, i) => packed.set(v, i * L));
    const ref = (await runOnnx(path, { z: { data: packed, dims: [32, L] } })).y!.data;
    const got = runSamples(bytes, EntryKind.Decode, z, [3 * 8 * 8])[0]!;
    const p = mean(got.map((g, i) => psnr(ref.subarray(i * 192, (i + 1) * 192), g)));
    console.log(`int8 decoder with GroupNorm + SiLU + clip: mean PSNR ${p.toFixed(1)} dB vs onnxruntime`);
    expect(p).toBeGreaterThan(30);
  });
});
