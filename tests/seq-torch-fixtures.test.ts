// The PyTorch sequence fixtures (tests/fixtures/seq-torch, made by scripts/fixtures/make_seq_fixtures.py):
// both exports of every module load in onnxruntime-node and reproduce the outputs PyTorch computed
// (stored beside them) within 1e-5, at the stored batch of 3 and at batch 1 (the batch axis is dynamic);
// the README lists every file.
import { readdirSync, readFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import * as ort from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';

const DIR = resolve(import.meta.dirname, 'fixtures', 'seq-torch');
const TOL = 1e-5;

interface StoredTensor {
  dtype: 'int64' | 'float32';
  dims: number[];
  data: number[];
}

interface Reference {
  module: string;
  inputs: Record<string, StoredTensor>;
  outputs: Record<string, StoredTensor>;
}

const files = readdirSync(DIR);
const names = files.filter((f) => f.endsWith('.ref.json')).map((f) => f.slice(0, -'.ref.json'.length)).sort();

/** State tensors [layers, N, H] carry the batch on axis 1 (as PyTorch's RNNs), everything else on axis 0. */
const batchAxis = (name: string) => (/^(h|c)(_next)?$/.test(name) ? 1 : 0);

/** Sample `s` of a stored tensor, as a tensor with batch 1. */
function sample(t: StoredTensor, name: string, s: number): StoredTensor {
  const axis = batchAxis(name);
  const outer = t.dims.slice(0, axis).reduce((a, b) => a * b, 1);
  const inner = t.dims.slice(axis + 1).reduce((a, b) => a * b, 1);
  const data: number[] = [];
  for (let o = 0; o < outer; o++) data.push(...t.data.slice((o * t.dims[axis] + s) * inner, (o * t.dims[axis] + s + 1) * inner));
  const dims = [...t.dims];
  dims[axis] = 1;
  return { dtype: t.dtype, dims, data };
}

function toOrt(t: StoredTensor): ort.Tensor {
  if (t.dtype === 'int64') return new ort.Tensor('int64', BigInt64Array.from(t.data, (v) => BigInt(v)), t.dims);
  return new ort.Tensor('float32', Float32Array.from(t.data), t.dims);
}

async function run(path: string, inputs: Record<string, StoredTensor>): Promise<Record<string, ort.Tensor>> {
  const session = await ort.InferenceSession.create(path, { intraOpNumThreads: 1 });
  try {
    expect([...session.inputNames].sort()).toEqual(Object.keys(inputs).sort());
    return await session.run(Object.fromEntries(Object.entries(inputs).map(([k, v]) => [k, toOrt(v)])));
  } finally {
    await session.release();
  }
}

function expectClose(got: ort.Tensor, want: StoredTensor, what: string): void {
  expect(Array.from(got.dims), `${what} shape`).toEqual(want.dims);
  const data = got.data as Float32Array;
  let worst = 0;
  for (let i = 0; i < want.data.length; i++) worst =
    Math.max(worst, Math.abs(data[i] - want.data[i]) / Math.max(1, Math.abs(want.data[i])));
  expect(worst, `${what}: largest difference from PyTorch`).toBeLessThanOrEqual(TOL);
}

describe('PyTorch sequence fixtures in onnxruntime-node', () => {
  it('covers LSTM and GRU encoders (uni/bidirectional, batch-first both ways), step decoders and init graphs', () => {
    expect(names).toEqual(expect.arrayContaining([
      'lstm_enc_uni_bf', 'lstm_enc_bi_tf', 'gru_enc_uni_tf', 'gru_enc_bi_bf', 'lstm_step_bf', 'lstm_step_tf', 'gru_step_bf', 'gru_step_tf',
        'lstm_init', 'gru_init',
    ]));
    for (const name of names) {
      const exports = files.filter((f) => f.startsWith(`${name}.`) && f.endsWith('.onnx'));
      expect(exports.some((f) => /\.ts1[4-9]\.onnx$/.test(f)), `${name}: TorchScript export at opset 14+`).toBe(true);
      expect(exports.some((f) => /\.dynamo1[89]\.onnx$/.test(f)), `${name}: dynamo export`).toBe(true);
    }
  });

  for (const name of names) {
    it(`${name}: both exports match PyTorch at batch 3 and batch 1`, async () => {
      const ref = JSON.parse(readFileSync(join(DIR, `${name}.ref.json`), 'utf8')) as Reference;
      const exports = files.filter((f) => f.startsWith(`${name}.`) && f.endsWith('.onnx'));
      expect(exports).toHaveLength(2);
      for (const file of exports) {
        const full = await run(join(DIR, file), ref.inputs);
        for (const [out, want] of Object.entries(ref.outputs)) expectClose(full[out], want, `${file} ${out}`);
        const single = await run(join(DIR, file), Object.fromEntries(Object.entries(ref.inputs).map(([k, v]) => [k, sample(v, k, 2)])));
        for (const [out, want] of Object.entries(ref.outputs)) expectClose(single[out], sample(want, out, 2), `${file} ${out} (batch 1)`);
      }
    });
  }

  it('README lists every fixture', () => {
    const readme = readFileSync(join(DIR, 'README.md'), 'utf8');
    for (const f of files.filter((x) => x !== 'README.md')) expect(readme, f).toContain(
      f.replace(/\.(ts1\d|dynamo1\d)\.onnx$|\.ref\.json$/, ''));
    for (const name of names) expect(readme, name).toContain(`\`${name}\``);
  });
});
