// ONNX loading: external data (resolved next to the model, refused when it leaves the model folder),
// raw_data initializers, Constant nodes, symbolic batch; results checked against onnxruntime-node.
import { mkdirSync, mkdtempSync, readFileSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertGraph } from '../converter/index.js';
import { loadOnnx } from '../converter/onnx-load.js';
import { Engine } from '../runtime/engine.js';
import { buildModel, floats, randomData, tensorBytes, type ModelSpec, type TensorSpec } from './helpers/onnx-build.js';
import { runOnnx } from './helpers/ort.js';

const root = mkdtempSync(join(tmpdir(), 'evae-load-'));
let module: WebAssembly.Module;
beforeAll(async () => {
  module = await WebAssembly.compile(readFileSync(new URL('../build/edgevae.wasm', import.meta.url)));
});

const W: TensorSpec = { dims: [6, 4], data: randomData(24, 7) };
const B: TensorSpec = { dims: [4], data: randomData(4, 8) };
const dense = (extra: Partial<ModelSpec> = {}): ModelSpec => ({
  inputs: [{ name: 'x', dims: ['batch', 6] }], outputs: [{ name: 'y' }], opset: 17,
  nodes: [{ op: 'MatMul', inputs: ['x', 'W'], outputs: ['m'] }, { op: 'Add', inputs: ['m', 'B'], outputs: ['y'] }],
  initializers: { W, B }, ...extra,
});

async function agreesWithOrt(path: string, bytes?: Uint8Array): Promise<void> {
  const x = randomData(18, 9, 2);
  const ref = Object.values(await runOnnx(path, { x: { data: x, dims: [3, 6] } }))[0]!.data;
  const engine = await Engine.create(module);
  await engine.load(await convertGraph(bytes ?? path), 3);
  const [got] = engine.run('decode', x, 3);
  for (let i = 0; i < ref.length; i++) expect(Math.abs(got![i]! - ref[i]!)).toBeLessThan(1e-5);
}

function folder(name: string): string {
  const d = join(root, name);
  mkdirSync(d, { recursive: true });
  return d;
}

describe('external data', () => {
  it('is read from the file next to the model (offsets respected)', async () => {
    const d = folder('ok');
    const wBytes = tensorBytes(W);
    const data = new Uint8Array(16 + wBytes.length);
    data.set(wBytes, 16); // W starts at offset 16
    writeFileSync(join(d, 'm.onnx.data'), data);
    writeFileSync(join(d, 'm.onnx'), buildModel(dense({ external: { W: { location: 'm.onnx.data', offset: 16 } } })));
    await agreesWithOrt(join(d, 'm.onnx'));
  });

  it('is refused when given as bytes (nothing to resolve it against)', async () => {
    await expect(convertGraph(buildModel(dense({ external: { W: { location: 'm.onnx.data' } } })))).rejects.toThrow(/pass the model as a file path/);
  });

  it.each([
    ['an absolute path', '/etc/passwd', /leaves the model folder/],
    ['a .. segment', '../secret.bin', /leaves the model folder/],
  ])('is refused for %s', async (_what, location, error) => {
    const d = folder(`bad-${location.length}`);
    writeFileSync(join(d, 'm.onnx'), buildModel(dense({ external: { W: { location } } })));
    await expect(loadOnnx(join(d, 'm.onnx'))).rejects.toThrow(error);
  });

  it('is refused through a symlink that points outside the folder', async () => {
    const outside = folder('outside');
    writeFileSync(join(outside, 'w.bin'), tensorBytes(W));
    const d = folder('link');
    symlinkSync(join(outside, 'w.bin'), join(d, 'w.bin'));
    writeFileSync(join(d, 'm.onnx'), buildModel(dense({ external: { W: { location: 'w.bin' } } })));
    await expect(loadOnnx(join(d, 'm.onnx'))).rejects.toThrow(/resolves outside the model folder/);
  });

  it('is refused when the range exceeds the file', async () => {
    const d = folder('short');
    writeFileSync(join(d, 'w.bin'), tensorBytes(W).subarray(0, 50));
    writeFileSync(join(d, 'm.onnx'), buildModel(dense({ external: { W: { location: 'w.bin' } } })));
    await expect(loadOnnx(join(d, 'm.onnx'))).rejects.toThrow(/outside "w.bin"/);
  });
});

describe('initializers and constants', () => {
  it('raw_data initializers (unaligned inside the protobuf) decode exactly', async () => {
    const d = folder('raw');
    const bytes = buildModel(dense({ raw: true }));
    writeFileSync(join(d, 'm.onnx'), bytes);
    const m = await loadOnnx(bytes);
    expect(Array.from(m.initializers.get('W')!.data)).toEqual(Array.from(Float32Array.from(W.data)));
    await agreesWithOrt(join(d, 'm.onnx'), bytes);
  });

  it('Constant nodes (value tensor, value_floats) feed weights', async () => {
    const d = folder('const');
    const spec = dense({
      initializers: {},
      nodes: [
        { op: 'Constant', inputs: [], outputs: ['W'], attrs: { value: W } },
        { op: 'Constant', inputs: [], outputs: ['B'], attrs: { value_floats: floats(Array.from(B.data)) } },
        { op: 'MatMul', inputs: ['x', 'W'], outputs: ['m'] },
        { op: 'Add', inputs: ['m', 'B'], outputs: ['y'] },
      ],
    });
    writeFileSync(join(d, 'm.onnx'), buildModel(spec));
    await agreesWithOrt(join(d, 'm.onnx'));
  });

  it('reads producer, opset, IR version and symbolic batch', async () => {
    const m = await loadOnnx(buildModel(dense({ producer: 'unit' })));
    expect([m.producerName, m.opset, m.irVersion]).toEqual(['unit', 17, 8]);
    expect(m.inputs[0]!.dims).toEqual(['batch', 6]);
  });

  it('refuses IR versions outside 5..10 and non-ONNX bytes', async () => {
    await expect(loadOnnx(buildModel(dense({ irVersion: 11 })))).rejects.toThrow('ONNX IR version 11 is not supported');
    await expect(loadOnnx(new Uint8Array([1, 2, 3, 4, 5]))).rejects.toThrow(/not an ONNX model|opset/);
  });
});
