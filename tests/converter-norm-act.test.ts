// Normalisation and activation ops (and the decomposed forms PyTorch's exporters write) converted and run
// in the wasm runtime, compared with onnxruntime-node on small graphs built in TypeScript; structural
// checks that the patterns became one op and fused where they should.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertGraph } from '../converter/index.js';
import { Act, BinaryKind, Op } from '../runtime/format-constants.js';
import { clipBounds } from '../runtime/clip-bounds.js';
import { readModel, type ModelInfo } from '../runtime/format.js';
import { Engine } from '../runtime/engine.js';
import { buildModel, float, randomData, type ModelSpec, type NodeSpec, type TensorSpec } from './helpers/onnx-build.js';
import { runOnnx } from './helpers/ort.js';

const dir = mkdtempSync(join(tmpdir(), 'evae-normact-'));
let module: WebAssembly.Module;
let fileNo = 0;
beforeAll(async () => {
  module = await WebAssembly.compile(readFileSync(new URL('../build/edgevae.wasm', import.meta.url)));
});

const count = (d: number[]) => d.reduce((a, b) => a * b, 1);
const w = (dims: number[], seed: number, scale = 0.5, offset = 0): TensorSpec => ({ dims, data: randomData(count(dims), seed, scale).map((v) => v + offset) });
const ints = (data: number[]): TensorSpec => ({ dims: [data.length], data, type: 'int64' });
const scalar = (v: number): TensorSpec => ({ dims: [], data: [v] });

/** Converts, runs batch n in the runtime and in onnxruntime; max abs error must stay within tol (absolute, per element). */
async function compare(spec: ModelSpec, n = 2, tol = 1e-5, inputScale = 2): Promise<ModelInfo> {
  const bytes = buildModel(spec);
  const path = join(dir, `m${fileNo++}.onnx`);
  writeFileSync(path, bytes);
  const inDims = [n, ...(spec.inputs[0]!.dims.slice(1) as number[])];
  const x = randomData(count(inDims), 77 + fileNo, inputScale);
  const ref = Object.values(await runOnnx(path, { [spec.inputs[0]!.name]: { data: x, dims: inDims } }))[0]!;
  const model = await convertGraph(bytes, {});
  const info = readModel(model);
  const engine = await Engine.create(module);
  await engine.load(model, n);
  const [got] = engine.run('decode', x, n);
  expect(got!.length).toBe(ref.data.length);
  let err = 0;
  for (let i = 0; i < ref.data.length; i++) err = Math.max(err, Math.abs(got![i]! - ref.data[i]!));
  expect(err).toBeLessThanOrEqual(tol);
  return info;
}

const single = (x: (number | string)[], nodes: NodeSpec[], inits: Record<string, TensorSpec> = {}, opset = 13): ModelSpec => ({
  inputs: [{ name: 'x', dims: x }], outputs: [{ name: 'y' }], nodes, initializers: inits, opset,
});
const opcodes = (info: ModelInfo) => info.ops.map((o) => o.opcode);
const conv = (out: string, input = 'x'): NodeSpec => ({ op: 'Conv', inputs: [input, 'W', 'B'], outputs: [out], attrs: { pads: [1, 1, 1, 1] } });
const convInits = (ci: number, co: number) => ({ W: w([co, ci, 3, 3], 11), B: w([co], 12) });

describe('activations vs onnxruntime', () => {
  it('Gelu (opset 20, both forms) fuses into the conv before it', async () => {
    for (const approximate of ['none', 'tanh']) {
      const info = await compare(single(['N', 3, 5, 6], [conv('c'), { op: 'Gelu', inputs: ['c'], outputs: ['y'], attrs: { approximate } }], convInits(3, 5), 20));
      expect(opcodes(info)).toEqual([Op.Layout, Op.Conv2D, Op.Layout]);
      expect(info.ops[1]!.activation).toBe(approximate === 'none' ? Act.Gelu : Act.GeluTanh);
    }
  });

  it('GELU decomposed as PyTorch writes it (Div sqrt2, Erf, Add 1, Mul x, Mul 0.5) and two other associations', async () => {
    const variants: NodeSpec[][] = [
      [{ op: 'Div', inputs: ['x', 'r2'], outputs: ['d'] }, { op: 'Erf', inputs: ['d'], outputs: ['e'] }, { op: 'Add', inputs: ['e', 'one'], outputs: ['a'] },
        { op: 'Mul', inputs: ['x', 'a'], outputs: ['m'] }, { op: 'Mul', inputs: ['m', 'half'], outputs: ['y'] }],
      [{ op: 'Mul', inputs: ['x', 'ir2'], outputs: ['d'] }, { op: 'Erf', inputs: ['d'], outputs: ['e'] }, { op: 'Add', inputs: ['one', 'e'], outputs: ['a'] },
        { op: 'Mul', inputs: ['x', 'half'], outputs: ['h'] }, { op: 'Mul', inputs: ['h', 'a'], outputs: ['y'] }],
      [{ op: 'Div', inputs: ['x', 'r2'], outputs: ['d'] }, { op: 'Erf', inputs: ['d'], outputs: ['e'] }, { op: 'Add', inputs: ['e', 'one'], outputs: ['a'] },
        { op: 'Mul', inputs: ['a', 'half'], outputs: ['m'] }, { op: 'Mul', inputs: ['m', 'x'], outputs: ['y'] }],
    ];
    for (const nodes of variants) {
      const info = await compare(single(['N', 40], nodes, { r2: scalar(Math.SQRT2), ir2: scalar(Math.SQRT1_2), one: scalar(1), half: scalar(0.5) }), 3, 1e-5, 6);
      expect(info.ops.map((o) => [o.opcode, o.activation])).toEqual([[Op.Unary, Act.Gelu]]);
    }
  });

  it('SiLU as x * Sigmoid(x) becomes one activation fused into the conv', async () => {
    const info = await compare(single(['N', 3, 5, 6], [conv('c'), { op: 'Sigmoid', inputs: ['c'], outputs: ['s'] }, { op: 'Mul', inputs: ['c', 's'], outputs: ['y'] }], convInits(3, 4)));
    expect(opcodes(info)).toEqual([Op.Layout, Op.Conv2D, Op.Layout]);
    expect(info.ops[1]!.activation).toBe(Act.Silu);
  });

  it('Mish, HardSwish, and their decompositions (x * Tanh(Softplus x), x * HardSigmoid(x))', async () => {
    for (const nodes of [
      [{ op: 'Mish', inputs: ['x'], outputs: ['y'] }],
      [{ op: 'Softplus', inputs: ['x'], outputs: ['s'] }, { op: 'Tanh', inputs: ['s'], outputs: ['t'] }, { op: 'Mul', inputs: ['x', 't'], outputs: ['y'] }],
      [{ op: 'HardSwish', inputs: ['x'], outputs: ['y'] }],
      [{ op: 'HardSigmoid', inputs: ['x'], outputs: ['h'], attrs: { alpha: float(1 / 6), beta: float(0.5) } }, { op: 'Mul', inputs: ['h', 'x'], outputs: ['y'] }],
    ] as NodeSpec[][]) {
      const info = await compare(single(['N', 50], nodes, {}, 18), 2, 1e-5, 6);
      expect(info.ops).toHaveLength(1);
      expect([Act.Mish, Act.HardSwish]).toContain(info.ops[0]!.activation);
    }
  });

  it('HardSigmoid (scale and shift fold into the conv, clip to [0, 1] fuses)', async () => {
    const info = await compare(single(['N', 3, 5, 6], [conv('c'), { op: 'HardSigmoid', inputs: ['c'], outputs: ['y'], attrs: { alpha: float(0.3), beta: float(0.4) } }], convInits(3, 4)));
    expect(opcodes(info)).toEqual([Op.Layout, Op.Conv2D, Op.Layout]);
    expect(clipBounds(info.ops[1]!.alpha)).toEqual([0, 1]);
  });

  it('Clip: ReLU6, Hardtanh, min only (relu), max only, no bounds', async () => {
    const relu6 = await compare(single(['N', 3, 5, 6], [conv('c'), { op: 'Clip', inputs: ['c', 'lo', 'hi'], outputs: ['y'] }], { ...convInits(3, 4), lo: scalar(0), hi: scalar(6) }, 13), 2, 1e-5, 4);
    expect(relu6.ops[1]!.activation).toBe(Act.Clip);
    expect(clipBounds(relu6.ops[1]!.alpha)).toEqual([0, 6]);
    const hardtanh = await compare(single(['N', 30], [{ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'] }], { lo: scalar(-1), hi: scalar(1) }, 11), 2);
    expect(hardtanh.ops[0]!.activation).toBe(Act.Clip);
    const minOnly = await compare(single(['N', 30], [{ op: 'Clip', inputs: ['x', 'lo'], outputs: ['y'] }], { lo: scalar(0) }, 13));
    expect(minOnly.ops[0]!.activation).toBe(Act.Relu);
    const maxOnly = await compare(single(['N', 30], [{ op: 'Clip', inputs: ['x', '', 'hi'], outputs: ['y'] }], { hi: scalar(0.75) }, 13));
    expect(clipBounds(maxOnly.ops[0]!.alpha)).toEqual([-Infinity, 0.75]);
    await compare(single(['N', 30], [{ op: 'Clip', inputs: ['x'], outputs: ['c'] }, { op: 'Relu', inputs: ['c'], outputs: ['y'] }], {}, 13));
  });

  it('PRelu: per-channel slopes as BINARY prelu, one shared slope as leaky relu fused into the conv', async () => {
    const perChannel = await compare(single(['N', 3, 5, 6], [conv('c'), { op: 'PRelu', inputs: ['c', 'slope'], outputs: ['y'] }], { ...convInits(3, 4), slope: w([4, 1, 1], 5) }));
    expect(opcodes(perChannel)).toEqual([Op.Layout, Op.Conv2D, Op.Binary, Op.Layout]);
    expect(perChannel.ops[2]!.params.slice(0, 2)).toEqual([BinaryKind.PRelu, 4]);
    const shared = await compare(single(['N', 3, 5, 6], [conv('c'), { op: 'PRelu', inputs: ['c', 'slope'], outputs: ['y'] }], { ...convInits(3, 4), slope: { dims: [1], data: [0.25] } }));
    expect(shared.ops[1]!.activation).toBe(Act.LeakyRelu);
  });

  it('refuses clip bounds that binary16 cannot hold exactly, naming the node', async () => {
    const bytes = buildModel(single(['N', 30], [{ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'], name: 'clamp_odd' }], { lo: scalar(-0.3), hi: scalar(0.7) }));
    await expect(convertGraph(bytes, {})).rejects.toThrow(/node "clamp_odd" \(Clip\): bounds .* not exact binary16/);
  });
});
