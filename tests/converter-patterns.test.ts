// Exporter patterns the converter recognises (converter/patterns/), shape-graph folding of comparison and
// Mod ops, opset 10, symbolic input dims fixed by --input-shape, and the PyTorch module named in errors.
// Converted graphs are checked against onnxruntime-node.
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { convert, convertGraph } from '../converter/index.js';
import { evalConstNode } from '../converter/const-eval.js';
import { loadOnnx, type ConstTensor, type OnnxNode } from '../converter/onnx-load.js';
import { describeModule, readNodeMetadata } from '../converter/onnx-node-metadata.js';
import { rewritePatterns } from '../converter/patterns/index.js';
import { Engine } from '../runtime/engine.js';
import { readDefaultWasm } from '../runtime/node.js';
import { buildModel, float, randomData, type ModelSpec } from './helpers/onnx-build.js';
import { runOnnx } from './helpers/ort.js';
import { ZOO_DIR } from './helpers/zoo.js';

const dir = mkdtempSync(join(tmpdir(), 'edgevae-patterns-'));

/** Converts `spec`, runs `batch` samples through our runtime and onnxruntime; returns the max abs difference. */
async function parity(name: string, spec: ModelSpec, input: Float32Array, batch: number): Promise<number> {
  const bytes = buildModel(spec);
  const path = join(dir, `${name}.onnx`);
  writeFileSync(path, bytes);
  const model = await convertGraph(bytes);
  const engine = await Engine.create(readDefaultWasm());
  await engine.load(model, batch);
  const [ours] = engine.run('decode', input, batch);
  const dims = spec.inputs[0]!.dims.map((d) => (typeof d === 'number' ? d : batch));
  const ref = Object.values(await runOnnx(path, { [spec.inputs[0]!.name]: { data: input, dims } }))[0]!.data;
  expect(ours!.length).toBe(ref.length);
  return ours!.reduce((m, v, i) => Math.max(m, Math.abs(v - ref[i]!)), 0);
}

describe('F.softplus as the dynamo exporter writes it', () => {
  const spec = (threshold: number): ModelSpec => ({
    inputs: [{ name: 'x', dims: ['N', 16] }], outputs: [{ name: 'y' }],
    initializers: { t: { dims: [], data: [threshold] } },
    nodes: [
      { op: 'Softplus', inputs: ['x'], outputs: ['sp'] },
      { op: 'Greater', inputs: ['x', 't'], outputs: ['big'] },
      { op: 'Where', inputs: ['big', 'x', 'sp'], outputs: ['y'], name: 'where' },
    ],
  });

  it('Where(Greater(x, 20), x, Softplus(x)) converts and matches onnxruntime, also above the threshold', async () => {
    const x = randomData(3 * 16, 7, 30); // values in (-30, 30): both branches
    expect(await parity('softplus', spec(20), x, 3)).toBeLessThanOrEqual(1e-5);
  });

  it('a low threshold is a different function: refused, naming the comparison that is not supported', async () => {
    await expect(convertGraph(buildModel(spec(2)))).rejects.toThrow(/node "Greater_1" \(Greater\): .*only supported on constants/);
  });
});

describe('channel reorder x[:, [2, 1, 0]] through batch-swapping Transposes', () => {
  const base = (mid: ModelSpec['nodes'][number], extra: ModelSpec['initializers']): ModelSpec => ({
    inputs: [{ name: 'x', dims: ['N', 3, 4, 5] }], outputs: [{ name: 'y' }], initializers: extra,
    nodes: [
      { op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [1, 0, 2, 3] } },
      mid,
      { op: 'Transpose', inputs: ['g'], outputs: ['y'], attrs: { perm: [1, 0, 2, 3] } },
    ],
  });

  it('Transpose, GatherND, Transpose (dynamo) matches onnxruntime', async () => {
    const s = base({ op: 'GatherND', inputs: ['t', 'idx'], outputs: ['g'], attrs: { batch_dims: 0 } },
      { idx: { dims: [3, 1], data: [2, 1, 0], type: 'int64' } });
    expect(await parity('reorder-gathernd', s, randomData(2 * 60, 3), 2)).toBe(0);
  });

  it('Transpose, Gather on axis 0, Transpose matches onnxruntime', async () => {
    const s = base({ op: 'Gather', inputs: ['t', 'idx'], outputs: ['g'], attrs: { axis: 0 } },
      { idx: { dims: [2], data: [2, 0], type: 'int64' } });
    expect(await parity('reorder-gather', s, randomData(2 * 60, 4), 2)).toBe(0);
  });

  it('elementwise work between the two Transposes (no-op per sample) converts and matches onnxruntime', async () => {
    const s: ModelSpec = {
      inputs: [{ name: 'x', dims: ['N', 3, 4, 5] }], outputs: [{ name: 'y' }],
      initializers: { half: { dims: [], data: [0.5] }, idx: { dims: [2, 1], data: [2, 0], type: 'int64' } },
      nodes: [
        { op: 'Transpose', inputs: ['x'], outputs: ['t'], attrs: { perm: [1, 0, 2, 3] } },
        { op: 'Relu', inputs: ['t'], outputs: ['r'] },
        { op: 'GatherND', inputs: ['r', 'idx'], outputs: ['g'] },
        { op: 'Mul', inputs: ['g', 'half'], outputs: ['m'] },
        { op: 'Transpose', inputs: ['m'], outputs: ['y'], attrs: { perm: [1, 0, 2, 3] } },
      ],
    };
    expect(await parity('reorder-chain', s, randomData(3 * 60, 8), 3)).toBe(0);
  });

  it('a batch-swapping Transpose that is not undone is still refused', async () => {
    const s: ModelSpec = {
      inputs: [{ name: 'x', dims: ['N', 3, 4, 5] }], outputs: [{ name: 'y' }],
      nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [1, 0, 2, 3] }, name: 'swap' }],
    };
    await expect(convertGraph(buildModel(s))).rejects.toThrow(/node "swap" \(Transpose\): perm \[1,0,2,3\] moves the batch axis/);
  });
});

describe('nn.PixelUnshuffle (Reshape rank 6, Transpose, Reshape)', () => {
  it.each([1, 3])('is rewritten into SpaceToDepth + a channel Gather that onnxruntime computes identically (C = %i)', async (C) => {
    const spec: ModelSpec = {
      inputs: [{ name: 'x', dims: ['N', C, 4, 6] }], outputs: [{ name: 'y' }],
      initializers: { s6: { dims: [6], data: [-1, C, 2, 2, 3, 2], type: 'int64' }, s4: { dims: [4], data: [-1, 4 * C, 2, 3], type: 'int64' } },
      nodes: [
        { op: 'Reshape', inputs: ['x', 's6'], outputs: ['r6'] },
        { op: 'Transpose', inputs: ['r6'], outputs: ['t'], attrs: { perm: [0, 1, 3, 5, 2, 4] } },
        { op: 'Reshape', inputs: ['t', 's4'], outputs: ['y'], name: 'unshuffle' },
      ],
    };
    const rewritten = rewritePatterns(await loadOnnx(buildModel(spec)));
    const live = rewritten.nodes.filter((n) => n.opType === 'SpaceToDepth' || n.opType === 'Gather');
    expect(live.map((n) => n.opType)).toEqual(C === 1 ? ['SpaceToDepth'] : ['SpaceToDepth', 'Gather']);
    const again: ModelSpec = {
      inputs: spec.inputs, outputs: spec.outputs,
      initializers: Object.fromEntries(live.flatMap((n) => n.inputs.slice(1)).map((name) => [name, { dims: rewritten.initializers.get(name)!.dims, data: rewritten.initializers.get(name)!.data, type: 'int64' as const }])),
      nodes: live.map((n) => ({ op: n.opType, inputs: n.inputs, outputs: n.outputs, attrs: Object.fromEntries([...n.attrs].map(([k, v]) => [k, v as number])) })),
    };
    const x = randomData(2 * C * 24, 9);
    const pathA = join(dir, `unshuffle${C}.onnx`), pathB = join(dir, `unshuffle${C}-rewritten.onnx`);
    writeFileSync(pathA, buildModel(spec));
    writeFileSync(pathB, buildModel(again));
    const a = Object.values(await runOnnx(pathA, { x: { data: x, dims: [2, C, 4, 6] } }))[0]!;
    const b = Object.values(await runOnnx(pathB, { x: { data: x, dims: [2, C, 4, 6] } }))[0]!;
    expect(b.dims).toEqual(a.dims);
    expect(Array.from(b.data)).toEqual(Array.from(a.data));
  });
});

describe('shape sub-graphs fold', () => {
  const c = (dims: number[], data: number[], kind: ConstTensor['kind'] = 'int'): ConstTensor => ({ dims, kind, data: Float64Array.from(data) });
  const node = (opType: string, attrs: [string, number][] = []): OnnxNode => ({ name: opType, opType, domain: '', inputs: [], outputs: ['y'], attrs: new Map(attrs) });

  it('Mod follows the divisor sign (fmod 0) or the dividend sign (fmod 1)', () => {
    expect(Array.from(evalConstNode(node('Mod'), [c([4], [7, -7, 7, -7]), c([4], [3, 3, -3, -3])], 13)[0]!.data)).toEqual([1, 2, -2, -1]);
    expect(Array.from(evalConstNode(node('Mod', [['fmod', 1]]), [c([2], [-7, 7], 'float'), c([2], [3, -3], 'float')], 13)[0]!.data)).toEqual([-1, 1]);
  });

  it('And, Or, Xor, GreaterOrEqual, LessOrEqual give bools; Expand broadcasts', () => {
    const a = c([3], [0, 1, 1]), b = c([3], [1, 1, 0]);
    expect(Array.from(evalConstNode(node('And'), [a, b], 13)[0]!.data)).toEqual([0, 1, 0]);
    expect(Array.from(evalConstNode(node('Or'), [a, b], 13)[0]!.data)).toEqual([1, 1, 1]);
    expect(Array.from(evalConstNode(node('Xor'), [a, b], 13)[0]!.data)).toEqual([1, 0, 1]);
    expect(evalConstNode(node('GreaterOrEqual'), [a, b], 13)[0]!.kind).toBe('bool');
    expect(Array.from(evalConstNode(node('LessOrEqual'), [a, b], 13)[0]!.data)).toEqual([1, 1, 0]);
    const e = evalConstNode(node('Expand'), [c([2, 1], [1, 2]), c([2], [2, 3])], 13)[0]!;
    expect(e.dims).toEqual([2, 3]);
    expect(Array.from(e.data)).toEqual([1, 1, 1, 2, 2, 2]);
  });

  it("unflatten's Mod/Where shape arithmetic (TorchScript export) folds and the model matches onnxruntime", async () => {
    // y = x.view(N, 4, -1) where the 4 comes out of Where(Equal(Mod(12, 4), 0), 4, 1).
    const s: ModelSpec = {
      inputs: [{ name: 'x', dims: ['N', 12] }], outputs: [{ name: 'y' }],
      initializers: {
        four: { dims: [1], data: [4], type: 'int64' }, one: { dims: [1], data: [1], type: 'int64' },
        zero: { dims: [1], data: [0], type: 'int64' }, minus1: { dims: [1], data: [-1], type: 'int64' },
        i1: { dims: [1], data: [1], type: 'int64' }, i0: { dims: [1], data: [0], type: 'int64' },
      },
      nodes: [
        { op: 'Shape', inputs: ['x'], outputs: ['s'] },
        { op: 'Gather', inputs: ['s', 'i1'], outputs: ['len'], attrs: { axis: 0 } },
        { op: 'Gather', inputs: ['s', 'i0'], outputs: ['n'], attrs: { axis: 0 } },
        { op: 'Mod', inputs: ['len', 'four'], outputs: ['rem'] },
        { op: 'Equal', inputs: ['rem', 'zero'], outputs: ['even'] },
        { op: 'Where', inputs: ['even', 'four', 'one'], outputs: ['c'] },
        { op: 'Concat', inputs: ['n', 'c', 'minus1'], outputs: ['shape'], attrs: { axis: 0 } },
        { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'] },
        { op: 'Relu', inputs: ['r'], outputs: ['y'] },
      ],
    };
    expect(await parity('mod-where', s, randomData(2 * 12, 5), 2)).toBe(0);
  });
});

describe('opset 10', () => {
  it('Resize-10 (nearest, no coordinate attributes) matches onnxruntime', async () => {
    const s: ModelSpec = {
      opset: 10, inputs: [{ name: 'x', dims: ['N', 2, 3, 3] }], outputs: [{ name: 'y' }],
      initializers: { scales: { dims: [4], data: [1, 1, 2, 3] } },
      nodes: [{ op: 'Resize', inputs: ['x', 'scales'], outputs: ['y'], attrs: { mode: 'nearest' } }],
    };
    expect(await parity('resize10', s, randomData(2 * 18, 6), 2)).toBe(0);
  });

  it('Clip and Pad attributes of opset 10 become the inputs of the opset 11 form', async () => {
    const m = await loadOnnx(buildModel({
      opset: 10, inputs: [{ name: 'x', dims: ['N', 2, 3, 3] }], outputs: [{ name: 'y' }],
      nodes: [
        { op: 'Clip', inputs: ['x'], outputs: ['c'], attrs: { min: float(0), max: float(6) }, name: 'clip' },
        { op: 'Pad', inputs: ['c'], outputs: ['y'], attrs: { pads: [0, 0, 1, 1, 0, 0, 1, 1], mode: 'reflect' }, name: 'pad' },
      ],
    }));
    const r = rewritePatterns(m);
    const [clip, pad] = r.nodes as [OnnxNode, OnnxNode];
    expect(clip.attrs.size).toBe(0);
    expect(clip.inputs.slice(1).map((n) => Array.from(r.initializers.get(n)!.data))).toEqual([[0], [6]]);
    expect(Array.from(r.initializers.get(pad.inputs[1]!)!.data)).toEqual([0, 0, 1, 1, 0, 0, 1, 1]);
    expect(Array.from(r.initializers.get(pad.inputs[2]!)!.data)).toEqual([0]);
    expect(pad.attrs.get('mode')).toBe('reflect');
    expect(pad.attrs.has('pads')).toBe(false);
  });

  it('opset-10 Clip and Pad convert with their attribute bounds and pads and match onnxruntime', async () => {
    const s: ModelSpec = {
      opset: 10, inputs: [{ name: 'x', dims: ['N', 2, 3, 3] }], outputs: [{ name: 'y' }],
      nodes: [
        { op: 'Clip', inputs: ['x'], outputs: ['c'], attrs: { min: float(-0.5), max: float(0.75) }, name: 'clip' },
        { op: 'Pad', inputs: ['c'], outputs: ['y'], attrs: { pads: [0, 0, 1, 2, 0, 0, 2, 1], mode: 'constant', value: float(0.25) }, name: 'pad' },
      ],
    };
    expect(await parity('clip-pad10', s, randomData(2 * 18, 8, 2), 2)).toBe(0);
  });

  it('opset 9 is still refused with the supported range', async () => {
    await expect(convertGraph(buildModel({ opset: 9, inputs: [{ name: 'x', dims: ['N', 2] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] })))
      .rejects.toThrow('ONNX opset 9 is not supported (supported: 10..21)');
  });
});

describe('symbolic height and width: --input-shape / --latent-shape', () => {
  const encoder = join(ZOO_DIR, 'taesd.encoder.ts11.onnx');
  const decoder = join(ZOO_DIR, 'taesd.decoder.ts11.onnx');

  it('without a shape, the error names the symbolic dim and the flag to use', async () => {
    await expect(convert({ encoder })).rejects.toThrow(/graph input "x": dim 2 is "height" \(symbolic\); fix the per-sample shape with --input-shape \(for example --input-shape 3,N,N/);
    await expect(convert({ decoder })).rejects.toThrow(/--latent-shape/);
  });

  it('a shape of the wrong rank, or one that contradicts a fixed dim, is refused', async () => {
    await expect(convert({ encoder, inputShape: [32, 32] })).rejects.toThrow(/--input-shape 32,32 has 2 dims but graph input "x" has 3 per sample/);
    await expect(convert({ encoder, inputShape: [1, 32, 32] })).rejects.toThrow(/conflicts with graph input "x", whose dim 1 is fixed at 3/);
    await expect(convert({ decoder, inputShape: [3, 32, 32] })).rejects.toThrow(/--input-shape fixes the encoder input/);
  });

  it('other sizes than the export used work too (fully convolutional)', async () => {
    const enc = (await convert({ encoder, inputShape: [3, 48, 64] })).report.entries[0]!;
    expect(enc.inputShape).toEqual([3, 48, 64]);
    expect(enc.outputShapes).toEqual([[96], [96]]); // TAESD's one latent [4, 6, 8], split in halves
    const dec = (await convert({ decoder, latentShape: [4, 6, 8] })).report.entries[0]!;
    expect(dec.outputShapes).toEqual([[3, 48, 64]]);
  });
});

describe('the PyTorch module in error messages', () => {
  it('TorchScript node names give the dotted module path', () => {
    expect(describeModule('/down/down.0/norm1/InstanceNormalization', undefined)).toBe('PyTorch module down.0.norm1');
    expect(describeModule('/body/body.0/body.0.1/ReduceMean', undefined)).toBe('PyTorch module body.0.1');
    expect(describeModule('Relu_3', undefined)).toBeUndefined();
  });

  it('dynamo metadata gives the module path and class', () => {
    const meta = new Map([
      ['pkg.torch.onnx.name_scopes', "['', 'body', 'body.1', 'mish']"],
      ['pkg.torch.onnx.class_hierarchy', "['__main__.Dec', 'torch.nn.modules.container.Sequential', 'torch.nn.modules.activation.Mish', 'aten.mish.default']"],
    ]);
    expect(describeModule('n0', meta)).toBe('PyTorch module body.1 (torch.nn.modules.activation.Mish)');
  });

  it('malformed or truncated bytes give no metadata instead of an error', () => {
    const bytes = readFileSync(join(ZOO_DIR, 'conv1d.decoder.dynamo18.onnx'));
    expect(readNodeMetadata(bytes).length).toBeGreaterThan(0);
    for (const cut of [1, 7, 100, 5000]) expect(() => readNodeMetadata(bytes.subarray(0, cut))).not.toThrow();
    expect(readNodeMetadata(Uint8Array.from(randomData(4096, 3), (v) => (v * 128) & 255))).toEqual(expect.any(Array));
  });

  it('is read from a dynamo export and shown in the refusal', async () => {
    // The zoo's 1-D decoder with its Mish nodes relabelled Celu (an op we do not support): op_type is field 4,
    // a 4-byte string, so the same-length swap keeps the protobuf valid and the node metadata untouched.
    const bytes = readFileSync(join(ZOO_DIR, 'conv1d.decoder.dynamo18.onnx'));
    const from = Buffer.from([0x22, 4, ...Buffer.from('Mish')]), to = Buffer.from([0x22, 4, ...Buffer.from('Celu')]);
    let swapped = 0;
    for (let at = bytes.indexOf(from); at >= 0; at = bytes.indexOf(from, at + 1)) { to.copy(bytes, at); swapped++; }
    expect(swapped).toBeGreaterThan(0);
    const path = join(mkdtempSync(join(tmpdir(), 'edgevae-celu-')), 'celu.onnx');
    writeFileSync(path, bytes);
    await expect(convert({ decoder: path }))
      .rejects.toThrow('node "n0" (Celu): op type is not supported [PyTorch module body.1 (torch.nn.modules.activation.Mish)]');
  });
});
