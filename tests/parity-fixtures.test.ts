// The fixtures are what tests/fixtures/README.md says they are: right opsets, external data where promised,
// a dynamic batch axis that really works, and an opset-18 rewrite that keeps the opset-13 semantics.
// Guards the parity tests against a fixture regeneration that silently changed what they cover.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import onnxProto from 'onnx-proto';
import { describe, expect, it } from 'vitest';
import { runOnnx, type OrtTensor } from './helpers/ort.js';
import { seededNormal, seededUniform } from './helpers/seeded-data.js';

const { onnx } = onnxProto;
const FIXTURES = join(dirname(fileURLToPath(import.meta.url)), 'fixtures');
const MODELS = ['mlp', 'conv', 'bn', 'mixed'];
const PARTS = [
  { part: 'encoder', input: 'x', outputs: ['mu', 'logvar'] },
  { part: 'decoder', input: 'z', outputs: ['x_hat'] },
];
const LATENT: Record<string, number> = { mlp: 20, conv: 16, bn: 8, mixed: 6 };

function load(file: string): { opset: number; graph: InstanceType<typeof onnx.GraphProto> } {
  const model = onnx.ModelProto.decode(readFileSync(join(FIXTURES, file)));
  if (!model.graph) throw new Error(`${file}: no graph`);
  const opset = Number(model.opsetImport.find((o) => !o.domain || o.domain === 'ai.onnx')?.version);
  return { opset, graph: model.graph as InstanceType<typeof onnx.GraphProto> };
}

function inputFor(model: string, part: string, batch: number): Record<string, OrtTensor> {
  return part === 'encoder'
    ? { x: { data: seededUniform(batch * 784, 11), dims: [batch, 1, 28, 28] } }
    : { z: { data: seededNormal(batch * LATENT[model], 12), dims: [batch, LATENT[model]] } };
}

function maxAbsDiff(a: Float32Array, b: Float32Array): number {
  expect(a.length).toBe(b.length);
  let worst = 0;
  for (let i = 0; i < a.length; i++) worst = Math.max(worst, Math.abs(a[i] - b[i]));
  return worst;
}

it('the fixture folder holds exactly the documented files', () => {
  const expected = MODELS.flatMap((m) => PARTS.flatMap(({ part }) =>
    [`${m}.${part}.op13.onnx`, `${m}.${part}.op18.onnx`, `${m}.${part}.op18.onnx.data`]));
  const present = readdirSync(FIXTURES).filter((f) => f.includes('.onnx'));
  expect(present.sort()).toEqual(expected.sort());
});

describe.each(MODELS.flatMap((model) => PARTS.map((p) => ({ model, ...p }))))('$model $part', ({ model, part, input, outputs }) => {
  it('op13: opset 13, weights inline, dynamic batch, named inputs/outputs', () => {
    const m = load(`${model}.${part}.op13.onnx`);
    expect(m.opset).toBe(13);
    expect(m.graph.initializer.every((t) => t.dataLocation !== onnx.TensorProto.DataLocation.EXTERNAL)).toBe(true);
    expect(m.graph.input.map((i) => i.name)).toEqual([input]);
    expect(m.graph.output.map((o) => o.name)).toEqual(outputs);
    expect(m.graph.input[0].type!.tensorType!.shape!.dim![0].dimParam).toBe('batch');
  });

  it('op18: opset 18, large weights in the one .onnx.data file', () => {
    const m = load(`${model}.${part}.op18.onnx`);
    expect(m.opset).toBe(18);
    const external = m.graph.initializer.filter((t) => t.dataLocation === onnx.TensorProto.DataLocation.EXTERNAL);
    expect(external.length).toBeGreaterThan(0);
    for (const t of external) {
      const location = (t.externalData ?? []).find((e) => e.key === 'location')?.value;
      expect(location).toBe(`${model}.${part}.op18.onnx.data`);
    }
  });

  it('batch axis is really dynamic and op18 computes what op13 computes (onnxruntime)', async () => {
    const path13 = join(FIXTURES, `${model}.${part}.op13.onnx`);
    const path18 = join(FIXTURES, `${model}.${part}.op18.onnx`);
    const batch5 = await runOnnx(path13, inputFor(model, part, 5));
    const batch1 = await runOnnx(path13, inputFor(model, part, 1));
    const other = await runOnnx(path18, inputFor(model, part, 5));
    for (const name of outputs) {
      expect(batch5[name].dims[0]).toBe(5);
      expect(batch1[name].dims[0]).toBe(1);
      const perSample = batch1[name].data.length;
      expect(maxAbsDiff(batch5[name].data.subarray(0, perSample), batch1[name].data)).toBeLessThanOrEqual(1e-5);
      expect(maxAbsDiff(other[name].data, batch5[name].data)).toBe(0);
    }
  });
});
