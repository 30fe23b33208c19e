// Converted + quantized models against onnxruntime (the independent float oracle) and against the
// TypeScript interpreter (whole-model twin of the runtime): f16, int8-weights, int8 and mixed.
import { describe, it, expect, beforeAll } from 'vitest';
import { existsSync } from 'node:fs';
import { convert } from '../converter/index.js';
import { quantizeModel } from '../converter/quantize/index.js';
import { loadCalibrationImages } from '../converter/quantize/calibration-data.js';
import { readEditable, writeEditable } from '../converter/quantize/editable-model.js';
import { Interpreter } from '../reference/interpreter.js';
import { latentBatch } from '../reference/sampler.js';
import { mean, psnr } from '../converter/quantize/metrics.js';
import { readModel } from '../runtime/format.js';
import { Op } from '../runtime/format-constants.js';
import { runOnnx, ortSignature } from './helpers/ort.js';
import { runSamples } from './kernels/harness.js';
import { main as quantizeCli } from '../converter/quantize/cli.js';
import { mkdtempSync, writeFileSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ENC = 'tests/fixtures/conv.encoder.op13.onnx';
const DEC = 'tests/fixtures/conv.decoder.op13.onnx';
const L = 16;
const N = 64;

let floatBytes: Uint8Array;
let images: Float32Array[];
let latents: Float32Array[];
let reference: Float32Array[]; // onnxruntime decoder outputs for `latents`

const runWasm = runSamples;

const meanPsnr = (got: Float32Array[]) => mean(got.map((g, i) => psnr(reference[i]!, g)));

beforeAll(async () => {
  floatBytes = (await convert({ encoder: ENC, decoder: DEC })).bytes;
  const fmnist = process.env.EDGEVAE_FASHION_MNIST_DIR ?? '/usr/share/datasets/fashion-mnist';
  if (!existsSync(fmnist)) throw new Error(`Fashion-MNIST is missing at ${fmnist} (apt package dataset-fashion-mnist)`);
  images = loadCalibrationImages('fashion-mnist', [1, 28, 28], 64).images;
  latents = latentBatch(N, L, 4242);
  const { inputs } = await ortSignature(DEC);
  const packed = new Float32Array(N * L);
  latents.forEach((z, i) => packed.set(z, i * L));
  const out = Object.values(await runOnnx(DEC, { [inputs[0]!]: { data: packed, dims: [N, L] } }))[0]!;
  reference = latents.map((_, i) => out.data.slice(i * 784, (i + 1) * 784));
});

describe('int8 (full integer)', () => {
  let q: Uint8Array;
  beforeAll(async () => {
    q = (await quantizeModel(floatBytes, { mode: 'int8', images, latents: 256 })).bytes;
  });

  it('is at most 28% of the f32 file and says how it was calibrated', () => {
    expect(q.length / floatBytes.length).toBeLessThanOrEqual(0.28);
    const meta = readModel(q).metadata as { quantization: string; calibration: { method: string; decoder: { randomLatents: number } } };
    expect(meta.quantization).toBe('int8');
    expect(meta.calibration.method).toBe('percentile');
    expect(meta.calibration.decoder.randomLatents).toBe(256);
  });

  it('re-plans the arena for i8 activations (smaller than the float plan)', () => {
    expect(readModel(q).arenaPerSample).toBeLessThanOrEqual(readModel(floatBytes).arenaPerSample / 2);
  });

  it('decoder matches the float ONNX model within PSNR bounds', () => {
    const got = runWasm(q, 1, latents, [784])[0]!;
    const ps = got.map((g, i) => psnr(reference[i]!, g));
    expect(mean(ps)).toBeGreaterThanOrEqual(40);
    expect(Math.min(...ps)).toBeGreaterThanOrEqual(32);
  });

  it('integer part is bit-identical between the wasm runtime and the TypeScript interpreter', () => {
    // Drop the final f32 sigmoid (UNARY, in place on the DEQUANTIZE output): what remains is pure integer
    // arithmetic plus one exact dequantization, so both engines must agree bit for bit.
    const m = readEditable(q);
    const dec = m.entries.find((e) => e.kind === 1)!;
    expect(dec.ops.at(-1)!.op).toBe(Op.Unary);
    dec.ops.pop();
    expect(dec.ops.at(-1)!.op).toBe(Op.Dequantize);
    const bytes = writeEditable(m);
    const wasm = runWasm(bytes, 1, latents.slice(0, 16), [784])[0]!;
    const interp = new Interpreter(readEditable(bytes));
    latents.slice(0, 16).forEach((z, i) => expect(Array.from(wasm[i]!)).toEqual(Array.from(interp.run(1, z)[0]!)));
  });

  it('encoder mu stays close to the float encoder (relative to the latent spread)', async () => {
    const test = loadCalibrationImages('fashion-mnist', [1, 28, 28], 64, 'test').images;
    const [mu] = runWasm(q, 0, test, [L, L]);
    const { inputs } = await ortSignature(ENC);
    const packed = new Float32Array(test.length * 784);
    test.forEach((x, i) => packed.set(x, i * 784));
    const refOut = Object.values(await runOnnx(ENC, { [inputs[0]!]: { data: packed, dims: [test.length, 1, 28, 28] } }));
    const refMu = refOut[0]!.data;
    let diff = 0, std = 0;
    for (let k = 0; k < L; k++) {
      const col = test.map((_, i) => refMu[i * refOut[0]!.dims[1]! + k]!);
      const m = mean(col);
      std += Math.sqrt(mean(col.map((v) => (v - m) ** 2))) / L;
      test.forEach((_, i) => { diff += Math.abs(col[i]! - mu![i]![k]!) / (L * test.length); });
    }
    expect(diff / std).toBeLessThan(0.05);
  });

  it('refuses to quantize an encoder without calibration images', async () => {
    await expect(quantizeModel(floatBytes, { mode: 'int8' })).rejects.toThrow(/calibration images/);
  });
});

describe('weight-only and f16', () => {
  it('int8-weights decoder reaches 50 dB and the file shrinks', async () => {
    const q = (await quantizeModel(floatBytes, { mode: 'int8-weights' })).bytes;
    expect(q.length / floatBytes.length).toBeLessThan(0.3);
    expect(meanPsnr(runWasm(q, 1, latents, [784])[0]!)).toBeGreaterThanOrEqual(50);
  });
  it('f16 decoder is within f16 rounding of the float model', async () => {
    const q = (await quantizeModel(floatBytes, { mode: 'f16' })).bytes;
    expect(q.length / floatBytes.length).toBeLessThan(0.55);
    expect(meanPsnr(runWasm(q, 1, latents, [784])[0]!)).toBeGreaterThanOrEqual(60);
  });
});

describe('mixed', () => {
  it('keeps the most harmful layers in float until the target PSNR is met', async () => {
    const { bytes, report } = await quantizeModel(floatBytes, { mode: 'mixed', images, latents: 128, targetPsnr: 50, evalSamples: 48, method: 'minmax' });
    const dec = report.entries.find((e) => e.kind === 'decode')!;
    expect(dec.psnrDb).toBeGreaterThanOrEqual(50);
    expect(dec.floatOps).toBeGreaterThan(0);
    // the layers kept in float are the ones that cost most when quantized alone
    const kept = dec.layers!.filter((l) => !l.int8).map((l) => l.psnrAloneDb);
    const int8 = dec.layers!.filter((l) => l.int8).map((l) => l.psnrAloneDb);
    if (int8.length) expect(Math.max(...kept)).toBeLessThanOrEqual(Math.min(...int8));
    expect((readModel(bytes).metadata as { calibration: { method: string } }).calibration.method).toBe('minmax');
    expect(meanPsnr(runWasm(bytes, 1, latents, [784])[0]!)).toBeGreaterThanOrEqual(48);
  });
});

describe('edgevae quantize', () => {
  it('writes a quantized copy, and rejects bad options with exit codes 1 / 2', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'h8-qcli-'));
    writeFileSync(join(dir, 'f.evae'), floatBytes);
    expect(await quantizeCli(['--model', join(dir, 'f.evae'), '--quant', 'int8-weights', '-o', join(dir, 'q.evae')])).toBe(0);
    expect((readModel(readFileSync(join(dir, 'q.evae'))).metadata as { quantization: string }).quantization).toBe('int8-weights');
    expect(await quantizeCli(['--model', join(dir, 'f.evae'), '--quant', 'int4', '-o', join(dir, 'x.evae')])).toBe(2); // a bad value is a usage error
    expect(await quantizeCli(['--model', join(dir, 'f.evae'), '--quant', 'int8', '-o', join(dir, 'x.evae')])).toBe(1); // encoder needs --calib
    expect(await quantizeCli(['--model', join(dir, 'f.evae')])).toBe(2);
  });
});
