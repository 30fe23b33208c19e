// Conversion-time constant folding checked against onnxruntime-node: each case computes a constant `c`
// from initializers with shape-style ops, then y = x + c, so a wrong fold changes the output.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertGraph } from '../converter/index.js';
import { Engine } from '../runtime/engine.js';
import { buildModel, randomData, type NodeSpec, type TensorSpec } from './helpers/onnx-build.js';
import { runOnnx } from './helpers/ort.js';

const dir = mkdtempSync(join(tmpdir(), 'evae-fold-'));
let module: WebAssembly.Module;
beforeAll(async () => {
  module = await WebAssembly.compile(readFileSync(new URL('../build/edgevae.wasm', import.meta.url)));
});

const i64 = (dims: number[], data: number[]): TensorSpec => ({ dims, data, type: 'int64' });
const f32 = (dims: number[], seed: number): TensorSpec => ({ dims, data: randomData(dims.reduce((a, b) => a * b, 1), seed) });

interface FoldCase { name: string; cDims: number[]; nodes: NodeSpec[]; inits: Record<string, TensorSpec> }

const cases: FoldCase[] = [
  {
    name: 'Slice with negative steps, axes and clamped ends',
    cDims: [2, 3],
    nodes: [{ op: 'Slice', inputs: ['A', 'st', 'en', 'ax', 'sp'], outputs: ['c'] }],
    inits: { A: f32([4, 5], 1), st: i64([2], [-1, 4]), en: i64([2], [-100, 0]), ax: i64([2], [1, 0]), sp: i64([2], [-2, -2]) },
  },
  {
    name: 'Gather with 2-D negative indices on axis 1, then Reshape',
    cDims: [3, 4],
    nodes: [
      { op: 'Gather', inputs: ['A', 'idx'], outputs: ['g'], attrs: { axis: 1 } },
      { op: 'Reshape', inputs: ['g', 'shape'], outputs: ['c'] },
    ],
    inits: { A: f32([3, 5], 2), idx: i64([2, 2], [0, -1, 2, 1]), shape: i64([2], [3, -1]) },
  },
  {
    name: 'Transpose, Concat on axis 0, Unsqueeze/Squeeze',
    cDims: [4, 3],
    nodes: [
      { op: 'Transpose', inputs: ['A'], outputs: ['t'], attrs: { perm: [1, 0] } },
      { op: 'Concat', inputs: ['t', 'B'], outputs: ['k'], attrs: { axis: 0 } },
      { op: 'Unsqueeze', inputs: ['k', 'a0'], outputs: ['u'] },
      { op: 'Squeeze', inputs: ['u', 'a0'], outputs: ['c'] },
    ],
    inits: { A: f32([3, 2], 3), B: f32([2, 3], 4), a0: i64([1], [0]) },
  },
  {
    name: 'integer Div truncation, Mul, Cast to float, Where/Equal (torch view pattern), Range, ConstantOfShape',
    cDims: [2, 3],
    nodes: [
      { op: 'Div', inputs: ['n7', 'n2'], outputs: ['q'] }, // 7 / 2 = 3 (integer)
      { op: 'Range', inputs: ['z0', 'q', 'one'], outputs: ['r'] }, // [0, 1, 2]
      { op: 'Equal', inputs: ['r', 'one'], outputs: ['eq'] },
      { op: 'Where', inputs: ['eq', 'm5', 'r'], outputs: ['w'] }, // [0, -5, 2]
      { op: 'Cast', inputs: ['w'], outputs: ['wf'], attrs: { to: 1 } },
      { op: 'ConstantOfShape', inputs: ['shp'], outputs: ['z'], attrs: { value: { dims: [1], data: [0.5] } } },
      { op: 'Mul', inputs: ['z', 'wf'], outputs: ['c'] },
    ],
    inits: {
      n7: i64([], [7]), n2: i64([], [2]), z0: i64([], [0]), one: i64([], [1]), m5: i64([], [-5]), shp: i64([2], [2, 3]),
    },
  },
  {
    name: 'Constant node, Sqrt/Neg/Reciprocal on floats, Flatten',
    cDims: [6],
    nodes: [
      { op: 'Constant', inputs: [], outputs: ['k'], attrs: { value: { dims: [2, 3], data: [1, 4, 9, 16, 25, 36] } } },
      { op: 'Sqrt', inputs: ['k'], outputs: ['s'] },
      { op: 'Reciprocal', inputs: ['s'], outputs: ['r'] },
      { op: 'Neg', inputs: ['r'], outputs: ['n'] },
      { op: 'Flatten', inputs: ['n'], outputs: ['f'], attrs: { axis: 0 } },
      { op: 'Reshape', inputs: ['f', 'shape'], outputs: ['c'] },
    ],
    inits: { shape: i64([1], [6]) },
  },
];

describe('constant folding vs onnxruntime', () => {
  it.each(cases)('$name', async ({ cDims, nodes, inits }) => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: ['N', ...cDims] }], outputs: [{ name: 'y' }], opset: 13,
      nodes: [...nodes, { op: 'Add', inputs: ['x', 'c'], outputs: ['y'] }], initializers: inits,
    });
    const path = join(dir, `f${cases.findIndex((c) => c.nodes === nodes)}.onnx`);
    writeFileSync(path, bytes);
    const dims = [2, ...cDims];
    const x = randomData(dims.reduce((a, b) => a * b, 1), 99);
    const ref = (await runOnnx(path, { x: { data: x, dims } })).y!.data;
    const engine = await Engine.create(module);
    await engine.load(await convertGraph(bytes), 2);
    const [got] = engine.run('decode', x, 2);
    expect(Array.from(got!, (v) => Number(v.toFixed(5)))).toEqual(Array.from(ref, (v) => Number(v.toFixed(5))));
  });

  it('refuses to fold a ConstantOfShape sized by a symbolic batch', async () => {
    const bytes = buildModel({
      inputs: [{ name: 'x', dims: ['N', 4] }], outputs: [{ name: 'y' }], opset: 13,
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'ConstantOfShape', inputs: ['s'], outputs: ['z'], attrs: { value: { dims: [1], data: [1] } } },
        { op: 'Add', inputs: ['x', 'z'], outputs: ['y'] },
      ],
    });
    await expect(convertGraph(bytes)).rejects.toThrow('node "ConstantOfShape_1" (ConstantOfShape): shape [N,4] is too large to fold (does it depend on the batch size?)');
  });
});
