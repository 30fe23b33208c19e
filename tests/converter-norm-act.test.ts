// Normalisation and activation ops (and the decomposed forms PyTorch's exporters write) converted and run
// in the wasm runtime, compared with onnxruntime-node on small graphs built in TypeScript; structural
// checks that the patterns became one op and fused where they should.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertGraph } from '../converter/index.js';
import { importGraph } from '../converter/import.js';
import { loadOnnx } from '../converter/onnx-load.js';
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

/** (x - mean) / sqrt(var + eps) over the last axis, as exporters decompose a norm: `x` in, 'n' out ('two', 'eps' constants). */
const normalizeLastAxis = (x: string): NodeSpec[] => [
  { op: 'ReduceMean', inputs: [x], outputs: ['m'], attrs: { axes: [-1] } },
  { op: 'Sub', inputs: [x, 'm'], outputs: ['d'] },
  { op: 'Pow', inputs: ['d', 'two'], outputs: ['p'] },
  { op: 'ReduceMean', inputs: ['p'], outputs: ['v'], attrs: { axes: [-1] } },
  { op: 'Add', inputs: ['v', 'eps'], outputs: ['ve'] },
  { op: 'Sqrt', inputs: ['ve'], outputs: ['s'] },
  { op: 'Div', inputs: ['d', 's'], outputs: ['n'] },
];

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

  it('GELU tanh approximation decomposed (TorchScript: x * (x * x); dynamo: Pow(x, 3)) is one gelu_tanh', async () => {
    const tail: NodeSpec[] = [
      { op: 'Mul', inputs: ['c044', 'cube'], outputs: ['t'] }, { op: 'Add', inputs: ['x', 't'], outputs: ['s'] },
      { op: 'Mul', inputs: ['k', 's'], outputs: ['u'] }, { op: 'Tanh', inputs: ['u'], outputs: ['th'] },
      { op: 'Add', inputs: ['one', 'th'], outputs: ['a'] }, { op: 'Mul', inputs: ['x', 'a'], outputs: ['m'] }, { op: 'Mul', inputs: ['half', 'm'], outputs: ['y'] },
    ];
    const inits = { c044: scalar(0.044715), k: scalar(Math.sqrt(2 / Math.PI)), one: scalar(1), half: scalar(0.5), three: scalar(3) };
    for (const cube of [
      [{ op: 'Mul', inputs: ['x', 'x'], outputs: ['sq'] }, { op: 'Mul', inputs: ['x', 'sq'], outputs: ['cube'] }],
      [{ op: 'Pow', inputs: ['x', 'three'], outputs: ['cube'] }],
    ] as NodeSpec[][]) {
      const info = await compare(single(['N', 40], [...cube, ...tail], inits), 3, 1e-5, 6);
      expect(info.ops.map((o) => [o.opcode, o.activation])).toEqual([[Op.Unary, Act.GeluTanh]]);
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

  it('Clip before opset 11 takes its bounds from the min/max attributes', async () => {
    const m = await loadOnnx(buildModel(single(['N', 30], [{ op: 'Clip', inputs: ['x'], outputs: ['y'], attrs: { min: float(-1), max: float(1) } }], {}, 11)));
    const g = importGraph({ ...m, opset: 10 });
    const clip = g.nodes.find((n) => n.op === 'unary');
    expect(clip && clip.op === 'unary' && [clip.act, clipBounds(clip.alpha)]).toEqual([Act.Clip, [-1, 1]]);
  });

  it('refuses clip bounds that binary16 cannot hold exactly, naming the node', async () => {
    const bytes = buildModel(single(['N', 30], [{ op: 'Clip', inputs: ['x', 'lo', 'hi'], outputs: ['y'], name: 'clamp_odd' }], { lo: scalar(-0.3), hi: scalar(0.7) }));
    await expect(convertGraph(bytes, {})).rejects.toThrow(/node "clamp_odd" \(Clip\): bounds .* not exact binary16/);
  });
});

describe('normalisation vs onnxruntime', () => {
  const affine = (C: number, seed: number) => ({ gamma: w([C, 1, 1], seed, 0.5, 1), beta: w([C, 1, 1], seed + 1, 0.5) });

  it('InstanceNormalization after a conv, SiLU fused into the norm', async () => {
    const info = await compare(single(['N', 3, 6, 7], [
      conv('c'), { op: 'InstanceNormalization', inputs: ['c', 's', 'b'], outputs: ['n'], attrs: { epsilon: float(1e-5) } },
      { op: 'Sigmoid', inputs: ['n'], outputs: ['g'] }, { op: 'Mul', inputs: ['n', 'g'], outputs: ['y'] },
    ], { ...convInits(3, 5), s: w([5], 3, 0.5, 1), b: w([5], 4) }));
    expect(info.ops.map((o) => [o.opcode, o.activation])).toEqual([[Op.Layout, 0], [Op.Conv2D, 0], [Op.GroupNorm, Act.Silu], [Op.Layout, 0]]);
    expect(info.ops[2]!.params[0]).toBe(5);
  });

  it('GroupNormalization: opset 21 (scale per channel) and opset 18 (scale per group)', async () => {
    const info = await compare(single(['N', 8, 5, 6], [{ op: 'GroupNormalization', inputs: ['x', 's', 'b'], outputs: ['y'], attrs: { num_groups: 4, epsilon: float(1e-4) } }],
      { s: w([8], 5, 0.5, 1), b: w([8], 6) }, 21));
    expect(info.ops.map((o) => o.opcode)).toEqual([Op.Layout, Op.GroupNorm, Op.Layout]);
    await compare(single(['N', 8, 5, 6], [{ op: 'GroupNormalization', inputs: ['x', 's', 'b'], outputs: ['y'], attrs: { num_groups: 2 } }],
      { s: w([2], 7, 0.5, 1), b: w([2], 8) }, 18));
  });

  it('PyTorch GroupNorm export (Reshape, InstanceNormalization, Reshape, Mul, Add) is one GroupNorm reading HWC', async () => {
    const info = await compare(single(['N', 8, 4, 5], [
      conv('c'),
      { op: 'Reshape', inputs: ['c', 'gshape'], outputs: ['r'] },
      { op: 'InstanceNormalization', inputs: ['r', 'ones', 'zeros'], outputs: ['i'], attrs: { epsilon: float(1e-6) } },
      { op: 'Shape', inputs: ['c'], outputs: ['cs'] },
      { op: 'Reshape', inputs: ['i', 'cs'], outputs: ['back'] },
      { op: 'Mul', inputs: ['back', 'gamma'], outputs: ['m'] },
      { op: 'Add', inputs: ['m', 'beta'], outputs: ['y'] },
    ], { ...convInits(8, 8), gshape: ints([0, 4, -1]), ones: { dims: [4], data: [1, 1, 1, 1] }, zeros: { dims: [4], data: [0, 0, 0, 0] }, ...affine(8, 9) }));
    expect(info.ops.map((o) => o.opcode)).toEqual([Op.Layout, Op.Conv2D, Op.GroupNorm, Op.Layout]);
    expect(info.ops[2]!.params[0]).toBe(4);
  });

  it('GroupNorm written as Reshape + the mean/variance decomposition + Reshape + affine is one GroupNorm', async () => {
    const info = await compare(single(['N', 6, 4, 4], [
      { op: 'Reshape', inputs: ['x', 'gshape'], outputs: ['r'] },
      ...normalizeLastAxis('r'),
      { op: 'Reshape', inputs: ['n', 'full'], outputs: ['back'] },
      { op: 'Mul', inputs: ['back', 'gamma'], outputs: ['g'] },
      { op: 'Add', inputs: ['g', 'beta'], outputs: ['y'] },
    ], { gshape: ints([0, 3, -1]), full: ints([0, 6, 4, 4]), two: scalar(2), eps: scalar(1e-5), ...affine(6, 10) }));
    expect(info.ops.map((o) => o.opcode)).toEqual([Op.Layout, Op.GroupNorm, Op.Layout]);
  });

  it('LayerNormalization (opset 17) over the last axis of [N,T,K] and of [N,K] after a Gemm, GELU fused', async () => {
    await compare(single(['N', 3, 10], [{ op: 'LayerNormalization', inputs: ['x', 's', 'b'], outputs: ['y'], attrs: { axis: -1, epsilon: float(1e-5) } }],
      { s: w([10], 11, 0.5, 1), b: w([10], 12) }, 17));
    const info = await compare(single(['N', 12], [
      { op: 'Gemm', inputs: ['x', 'W', 'B'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'LayerNormalization', inputs: ['h', 's'], outputs: ['l'] },
      { op: 'Gelu', inputs: ['l'], outputs: ['y'] },
    ], { W: w([16, 12], 13), B: w([16], 14), s: w([16], 15, 0.5, 1) }, 20));
    expect(info.ops.map((o) => [o.opcode, o.activation])).toEqual([[Op.Dense, 0], [Op.LayerNorm, Act.Gelu]]);
  });

  it('LayerNorm decomposition (ReduceMean, Sub, Pow, ReduceMean, Add, Sqrt, Div, Mul, Add) is one LayerNorm', async () => {
    const info = await compare(single(['N', 4, 9], [
      ...normalizeLastAxis('x'),
      { op: 'Mul', inputs: ['n', 'gamma'], outputs: ['g'] },
      { op: 'Add', inputs: ['g', 'beta'], outputs: ['y'] },
    ], { two: scalar(2), eps: scalar(1e-5), gamma: w([9], 16, 0.5, 1), beta: w([9], 17) }));
    expect(info.ops.map((o) => o.opcode)).toEqual([Op.LayerNorm]);
  });

  it('1-D InstanceNormalization on [N,C,L] after a 1-D conv', async () => {
    await compare(single(['N', 3, 17], [
      { op: 'Conv', inputs: ['x', 'W'], outputs: ['c'], attrs: { pads: [1, 1] } },
      { op: 'InstanceNormalization', inputs: ['c', 's', 'b'], outputs: ['y'] },
    ], { W: w([4, 3, 3], 18), s: w([4], 19, 0.5, 1), b: w([4], 20) }));
  });

  it('a Stable-Diffusion-style ResNet block (GroupNorm 32, SiLU, conv, twice, residual add) is one op per layer between the two layouts', async () => {
    const C = 64;
    const gn = (x: string, out: string, k: number): NodeSpec[] => [
      { op: 'GroupNormalization', inputs: [x, `s${k}`, `b${k}`], outputs: [`n${k}`], attrs: { num_groups: 32, epsilon: float(1e-6) } },
      { op: 'Sigmoid', inputs: [`n${k}`], outputs: [`g${k}`] }, { op: 'Mul', inputs: [`n${k}`, `g${k}`], outputs: [out] },
    ];
    const info = await compare(single(['N', C, 6, 6], [
      ...gn('x', 'a1', 1), { op: 'Conv', inputs: ['a1', 'W1', 'B1'], outputs: ['c1'], attrs: { pads: [1, 1, 1, 1] } },
      ...gn('c1', 'a2', 2), { op: 'Conv', inputs: ['a2', 'W2', 'B2'], outputs: ['c2'], attrs: { pads: [1, 1, 1, 1] } },
      { op: 'Add', inputs: ['x', 'c2'], outputs: ['y'] },
    ], { s1: w([C], 1, 0.3, 1), b1: w([C], 2), W1: w([C, C, 3, 3], 3, 0.05), B1: w([C], 4), s2: w([C], 5, 0.3, 1), b2: w([C], 6), W2: w([C, C, 3, 3], 7, 0.05), B2: w([C], 8) }, 21));
    expect(info.ops.map((o) => [o.opcode, o.activation])).toEqual([
      [Op.Layout, 0], [Op.GroupNorm, Act.Silu], [Op.Conv2D, 0], [Op.GroupNorm, Act.Silu], [Op.Conv2D, 0], [Op.Binary, 0], [Op.Layout, 0],
    ]);
  });

  it('a mean far from zero keeps its accuracy (f64 statistics)', async () => {
    await compare(single(['N', 4, 16, 16], [
      { op: 'Add', inputs: ['x', 'big'], outputs: ['a'] },
      { op: 'InstanceNormalization', inputs: ['a', 's', 'b'], outputs: ['y'] },
    ], { big: scalar(300), s: w([4], 21, 0.5, 1), b: w([4], 22) }, 13), 2, 2e-4);
  });
});
