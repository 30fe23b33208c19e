// The converter on hostile ONNX input (through `edgevae convert`, in-process): every case must end in one
// clear error line and exit code, never a stack trace or a process-killing allocation, and must leave no
// output file behind (a pre-existing output stays byte-identical).
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import onnxPkg from 'onnx-proto';
import { main } from '../cli/edgevae.js';
import { buildModel, float, randomData, tensorBytes, type ModelSpec } from './helpers/onnx-build.js';
import { convert } from '../converter/index.js';
import { readModel } from '../runtime/format.js';

const { onnx } = onnxPkg;
const FIXTURES = resolve(import.meta.dirname, 'fixtures');
const WASM = process.env.EDGEVAE_WASM ?? join(resolve(import.meta.dirname, '..'), 'build', 'edgevae.wasm');
if (!existsSync(WASM)) throw new Error(`${WASM} is missing; npm test builds it first`);

let dir: string;
beforeAll(() => { dir = mkdtempSync(join(tmpdir(), 'edgevae-hostile-onnx-')); });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function cli(args: string[]): Promise<{ code: number; stderr: string; stdout: string }> {
  const err: string[] = [];
  const out: string[] = [];
  const e = vi.spyOn(process.stderr, 'write').mockImplementation((s: string | Uint8Array) => { err.push(String(s)); return true; });
  const l = vi.spyOn(console, 'log').mockImplementation((...a: unknown[]) => { out.push(a.join(' ')); });
  try {
    return { code: await main(args), stderr: err.join(''), stdout: out.join('\n') };
  } finally {
    e.mockRestore();
    l.mockRestore();
  }
}

/** A small valid decoder z[4] -> Gemm -> Sigmoid -> [6]. */
function decoderSpec(): ModelSpec {
  return {
    inputs: [{ name: 'z', dims: ['N', 4] }],
    outputs: [{ name: 'y', dims: ['N', 6] }],
    nodes: [
      { op: 'Gemm', inputs: ['z', 'W', 'B'], outputs: ['h'], attrs: { transB: 1 } },
      { op: 'Sigmoid', inputs: ['h'], outputs: ['y'] },
    ],
    initializers: { W: { dims: [6, 4], data: randomData(24, 1) }, B: { dims: [6], data: randomData(6, 2) } },
  };
}

function write(name: string, bytes: Uint8Array | string): string {
  const p = join(dir, name);
  writeFileSync(p, bytes);
  return p;
}

/**
 * Converts `model` as a decoder twice: into a fresh output path (must not exist afterwards) and over a
 * pre-existing file (must be unchanged). Returns the error line.
 */
async function expectRefused(model: string, pattern: RegExp): Promise<string> {
  const fresh = join(dir, `out-${Math.random().toString(36).slice(2)}.evae`);
  const r = await cli(['convert', '--decoder', model, '-o', fresh]);
  expect(r.code, r.stderr).toBe(1);
  const lines = r.stderr.trim().split('\n');
  expect(lines, r.stderr).toHaveLength(1);
  if (process.env.SHOW_ERRORS) process.stdout.write(`${lines[0]}\n`);
  expect(r.stderr).toMatch(/^edgevae convert: /);
  expect(r.stderr).toMatch(pattern);
  expect(r.stderr).not.toMatch(/\n\s+at |internal error/);
  expect(existsSync(fresh)).toBe(false);
  const existing = join(dir, 'existing.evae');
  writeFileSync(existing, 'previous contents');
  const again = await cli(['convert', '--decoder', model, '-o', existing]);
  expect(again.code).toBe(1);
  expect(readFileSync(existing, 'utf8')).toBe('previous contents');
  // No temp files of the atomic writer left behind either.
  expect(readdirSync(dir).filter((f) => f.endsWith('.tmp'))).toEqual([]);
  return lines[0]!;
}

describe('hostile ONNX models are refused with a clear error and no output file', () => {
  it('the valid baseline converts (so the refusals below are about the damage)', async () => {
    const out = join(dir, 'ok.evae');
    const r = await cli(['convert', '--decoder', write('ok.onnx', buildModel(decoderSpec())), '-o', out]);
    expect(r.code, r.stderr).toBe(0);
    expect(existsSync(out)).toBe(true);
  });

  it('malformed protobuf: random bytes, a truncated fixture, a text file, an empty file', async () => {
    const rnd = Uint8Array.from(randomData(4096, 9), (v) => Math.floor((v + 1) * 127.5));
    await expectRefused(write('random.onnx', rnd), /not an ONNX model|opset|no graph/);
    const fixture = readFileSync(join(FIXTURES, 'mixed.decoder.op13.onnx'));
    await expectRefused(write('truncated.onnx', fixture.subarray(0, Math.floor(fixture.length / 2))), /not an ONNX model|index out of range|truncated/i);
    await expectRefused(write('text.onnx', 'this is not a model\n'), /not an ONNX model|opset/);
    await expectRefused(write('empty.onnx', new Uint8Array(0)), /opset|no graph|not an ONNX model/);
  });

  it('a directory or a missing file given as the model', async () => {
    const folder = join(dir, 'folder.onnx');
    mkdirSync(folder, { recursive: true });
    await expectRefused(folder, /cannot read ONNX file .*folder\.onnx: it is a directory/);
    const r = await cli(['convert', '--decoder', join(dir, 'absent.onnx'), '-o', join(dir, 'absent.evae')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/^edgevae convert: --decoder .*absent\.onnx does not exist\n$/);
  });

  it('a graph with a cycle', async () => {
    const spec = decoderSpec();
    spec.nodes = [
      { op: 'Add', inputs: ['z', 'b'], outputs: ['a'] },
      { op: 'Relu', inputs: ['a'], outputs: ['b'] },
      { op: 'Sigmoid', inputs: ['b'], outputs: ['y'] },
    ];
    spec.initializers = {};
    await expectRefused(write('cycle.onnx', buildModel(spec)), /input "b" is not produced by any earlier node/);
  });

  it('a dangling node input and a missing initializer', async () => {
    const dangling = decoderSpec();
    dangling.nodes[1] = { op: 'Add', inputs: ['h', 'nowhere'], outputs: ['y'] };
    await expectRefused(write('dangling.onnx', buildModel(dangling)), /nowhere/);
    const missing = decoderSpec();
    delete missing.initializers!.W;
    await expectRefused(write('missing-init.onnx', buildModel(missing)), /"W"|\bW\b/);
  });

  it('external data that leaves the model folder: absolute path, "..", symlink', async () => {
    const outside = mkdtempSync(join(tmpdir(), 'edgevae-outside-'));
    try {
      const secret = join(outside, 'weights.bin');
      writeFileSync(secret, tensorBytes({ dims: [6, 4], data: randomData(24, 1) }));
      const sub = join(dir, 'models');
      mkdirSync(sub, { recursive: true });
      const cases: Array<[string, string]> = [['absolute', secret], ['dotdot', `../../${outside.split('/').pop()}/weights.bin`]];
      symlinkSync(secret, join(sub, 'link.bin'));
      cases.push(['symlink', 'link.bin']);
      for (const [what, location] of cases) {
        const spec = decoderSpec();
        spec.external = { W: { location } };
        const path = join(sub, `${what}.onnx`);
        writeFileSync(path, buildModel(spec));
        await expectRefused(path, /leaves the model folder|outside the model folder/);
      }
    } finally {
      rmSync(outside, { recursive: true, force: true });
    }
  });

  it('external data: missing file and a range past its end', async () => {
    const sub = join(dir, 'ext');
    mkdirSync(sub, { recursive: true });
    const spec = decoderSpec();
    spec.external = { W: { location: 'nope.bin' } };
    writeFileSync(join(sub, 'missing.onnx'), buildModel(spec));
    await expectRefused(join(sub, 'missing.onnx'), /not found/);
    writeFileSync(join(sub, 'short.bin'), new Uint8Array(10));
    spec.external = { W: { location: 'short.bin' } };
    writeFileSync(join(sub, 'short.onnx'), buildModel(spec));
    await expectRefused(join(sub, 'short.onnx'), /outside "short.bin"/);
  });

  it('huge and negative dimensions fail fast without allocating', async () => {
    for (const dims of [[1_000_000, 1_000_000], [30_000, 30_000], [2 ** 40, 1], [-1, 4]]) {
      const m = onnx.ModelProto.decode(buildModel(decoderSpec()));
      m.graph!.initializer![0]!.dims = dims;
      const line = await expectRefused(write(`huge-${dims.join('x')}.onnx`, onnx.ModelProto.encode(m).finish()), /tensor "W"/);
      expect(line).toMatch(/dims|values|bytes/);
    }
    // A huge graph input: the per-sample shape exceeds what the format can hold.
    const big = decoderSpec();
    big.inputs = [{ name: 'z', dims: ['N', 100_000, 100_000] }];
    await expectRefused(write('huge-input.onnx', buildModel(big)), /per-sample shape \[100000,100000\]/);
    // An elementwise graph on a per-sample shape past the format's 2^26 element limit.
    const wide: ModelSpec = { inputs: [{ name: 'x', dims: ['N', 1, 20_000, 20_000] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] };
    await expectRefused(write('huge-relu.onnx', buildModel(wide)), /400000000|2\^26|67108864|too large|elements/);
  });

  it('wrong data types: int64 graph input, string initializer', async () => {
    const m = onnx.ModelProto.decode(buildModel(decoderSpec()));
    m.graph!.input![0]!.type!.tensorType!.elemType = 7;
    await expectRefused(write('int-input.onnx', onnx.ModelProto.encode(m).finish()), /float32/);
    const s = onnx.ModelProto.decode(buildModel(decoderSpec()));
    s.graph!.initializer![0]!.dataType = 8;
    await expectRefused(write('string-init.onnx', onnx.ModelProto.encode(s).finish()), /data type 8/);
  });

  it('zero-size tensors', async () => {
    const zeroInit = decoderSpec();
    zeroInit.initializers!.W = { dims: [0, 4], data: [] };
    await expectRefused(write('zero-init.onnx', buildModel(zeroInit)), /does not broadcast to \[0\]|zero|empty/);
    const zeroInput = decoderSpec();
    zeroInput.inputs = [{ name: 'z', dims: ['N', 0] }];
    await expectRefused(write('zero-input.onnx', buildModel(zeroInput)), /fixed size|"z"/);
  });
});

// Hostile attributes and graph structure: each either converts into a file both loaders accept and run,
// or is refused with a converter error naming the node (never a TypeError/RangeError, never minutes of work).
const conv = (attrs: ModelSpec['nodes'][number]['attrs'], wdims = [4, 2, 3, 3], xdims: (number | string)[] = ['N', 2, 8, 8]): ModelSpec => ({
  inputs: [{ name: 'x', dims: xdims }], outputs: [{ name: 'y' }],
  nodes: [{ op: 'Conv', inputs: ['x', 'W'], outputs: ['y'], attrs }],
  initializers: { W: { dims: wdims, data: randomData(wdims.reduce((a, b) => a * b, 1), 1) } },
});
const convT = (attrs: ModelSpec['nodes'][number]['attrs'], wdims = [2, 4, 3, 3]): ModelSpec => ({
  inputs: [{ name: 'x', dims: ['N', 2, 8, 8] }], outputs: [{ name: 'y' }],
  nodes: [{ op: 'ConvTranspose', inputs: ['x', 'W'], outputs: ['y'], attrs }],
  initializers: { W: { dims: wdims, data: randomData(wdims.reduce((a, b) => a * b, 1), 1) } },
});
const reshape = (shape: number[]): ModelSpec => ({
  inputs: [{ name: 'x', dims: ['N', 2, 8, 8] }], outputs: [{ name: 'y' }],
  nodes: [{ op: 'Reshape', inputs: ['x', 's'], outputs: ['r'] }, { op: 'Relu', inputs: ['r'], outputs: ['y'] }],
  initializers: { s: { dims: [shape.length], data: shape, type: 'int64' } },
});
const resize = (scales: number[]): ModelSpec => ({
  inputs: [{ name: 'x', dims: ['N', 2, 8, 8] }], outputs: [{ name: 'y' }],
  nodes: [{ op: 'Resize', inputs: ['x', '', 'sc'], outputs: ['y'], attrs: { mode: 'nearest' } }],
  initializers: { sc: { dims: [scales.length], data: scales } },
});
const slice = (starts: number[], ends: number[], axes: number[], steps: number[]): ModelSpec => ({
  inputs: [{ name: 'x', dims: ['N', 2, 8, 8] }], outputs: [{ name: 'y' }],
  nodes: [{ op: 'Slice', inputs: ['x', 'st', 'en', 'ax', 'sp'], outputs: ['y'] }],
  initializers: { st: { dims: [starts.length], data: starts, type: 'int64' }, en: { dims: [ends.length], data: ends, type: 'int64' }, ax: { dims: [axes.length], data: axes, type: 'int64' }, sp: { dims: [steps.length], data: steps, type: 'int64' } },
});
const HOSTILE_ATTRS: [string, ModelSpec][] = [
  ['conv strides 0', conv({ strides: [0, 0] })], ['conv strides -1', conv({ strides: [-1, 1] })], ['conv pads -1', conv({ pads: [-1, 0, 0, 0] })],
  ['conv pads 100', conv({ pads: [100, 100, 100, 100] })], ['conv dil 0', conv({ dilations: [0, 0] })], ['conv dil 100', conv({ dilations: [100, 1] })],
  ['conv group 0', conv({ group: 0 })], ['conv group 3', conv({ group: 3 })], ['conv group -1', conv({ group: -1 })], ['conv kshape mismatch', conv({ kernel_shape: [5, 5] })],
  ['conv weight rank 2', conv({}, [4, 18])], ['conv weight ci wrong', conv({}, [4, 3, 3, 3])], ['conv kernel > input', conv({}, [4, 2, 9, 9])],
  ['conv strides huge', conv({ strides: [2 ** 31, 1] })], ['conv auto_pad bogus', conv({ auto_pad: 'WHATEVER' })], ['conv auto_pad SAME_UPPER s3', conv({ auto_pad: 'SAME_UPPER', strides: [3, 3] })],
  ['conv 1d', conv({}, [4, 2, 3], ['N', 2, 8])], ['conv 3d', conv({}, [4, 2, 3, 3, 3], ['N', 2, 8, 8, 8])],
  ['convT strides 0', convT({ strides: [0, 0] })], ['convT outpad 5', convT({ strides: [2, 2], output_padding: [5, 5] })], ['convT pads 10', convT({ pads: [10, 10, 10, 10] })],
  ['convT output_shape huge', convT({ output_shape: [100000, 100000] })], ['convT group 5', convT({ group: 5 })], ['convT dil 0', convT({ dilations: [0, 0] })],
  ['reshape -1 -1', reshape([-1, -1, -1])], ['reshape 0', reshape([0, 0])], ['reshape huge', reshape([-1, 1e9])], ['reshape wrong count', reshape([-1, 7])], ['reshape -2', reshape([-1, -2, 64])],
  ['resize 0', resize([1, 1, 0, 0])], ['resize -1', resize([1, 1, -1, 2])], ['resize NaN', resize([1, 1, NaN, 2])], ['resize 1e9', resize([1, 1, 1e9, 1e9])], ['resize 2.5', resize([1, 1, 2.5, 2.5])], ['resize wrong len', resize([2, 2])], ['resize batch x2', resize([2, 1, 2, 2])],
  ['slice step 0', slice([0], [4], [2], [0])], ['slice axis 9', slice([0], [4], [9], [1])], ['slice neg step', slice([7], [0], [2], [-1])], ['slice huge', slice([0], [2 ** 40], [3], [1])], ['slice axis 0 (batch)', slice([0], [1], [0], [1])], ['slice empty', slice([5], [2], [2], [1])],
  ['gemm transB 2', { inputs: [{ name: 'z', dims: ['N', 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Gemm', inputs: ['z', 'W'], outputs: ['y'], attrs: { transB: 2, alpha: float(NaN) } }], initializers: { W: { dims: [6, 4], data: randomData(24, 1) } } }],
  ['gemm alpha inf', { inputs: [{ name: 'z', dims: ['N', 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Gemm', inputs: ['z', 'W'], outputs: ['y'], attrs: { transB: 1, alpha: float(Infinity) } }], initializers: { W: { dims: [6, 4], data: randomData(24, 1) } } }],
  ['concat axis 9', { inputs: [{ name: 'x', dims: ['N', 2, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Concat', inputs: ['x', 'x'], outputs: ['y'], attrs: { axis: 9 } }] }],
  ['concat axis 0', { inputs: [{ name: 'x', dims: ['N', 2, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Concat', inputs: ['x', 'x'], outputs: ['y'], attrs: { axis: 0 } }] }],
  ['split 0 outputs', { inputs: [{ name: 'x', dims: ['N', 2, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Split', inputs: ['x'], outputs: ['y', 'q'], attrs: { axis: 1, split: [0, 2] } }] }],
  ['transpose bad perm', { inputs: [{ name: 'x', dims: ['N', 2, 8, 8] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['y'], attrs: { perm: [0, 1, 1, 5] } }] }],
  ['leaky alpha nan', { inputs: [{ name: 'x', dims: ['N', 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'LeakyRelu', inputs: ['x'], outputs: ['y'], attrs: { alpha: float(NaN) } }] }],
  ['elu alpha inf', { inputs: [{ name: 'x', dims: ['N', 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Elu', inputs: ['x'], outputs: ['y'], attrs: { alpha: float(Infinity) } }] }],
  ['bn eps -1', { inputs: [{ name: 'x', dims: ['N', 2, 4, 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'BatchNormalization', inputs: ['x', 's', 'b', 'm', 'v'], outputs: ['y'], attrs: { epsilon: float(-1) } }], initializers: { s: { dims: [2], data: [1, 1] }, b: { dims: [2], data: [0, 0] }, m: { dims: [2], data: [0, 0] }, v: { dims: [2], data: [0, 0] } } }],
  ['gather idx oob', { inputs: [{ name: 'x', dims: ['N', 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Shape', inputs: ['x'], outputs: ['s'] }, { op: 'Gather', inputs: ['s', 'i'], outputs: ['g'], attrs: { axis: 0 } }, { op: 'Reshape', inputs: ['x', 'g'], outputs: ['y'] }], initializers: { i: { dims: [1], data: [7], type: 'int64' } } }],
  ['unknown op', { inputs: [{ name: 'x', dims: ['N', 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Frobnicate', inputs: ['x'], outputs: ['y'] }] }],
  ['no nodes', { inputs: [{ name: 'x', dims: ['N', 4] }], outputs: [{ name: 'x' }], nodes: [] }],
  ['output not produced', { inputs: [{ name: 'x', dims: ['N', 4] }], outputs: [{ name: 'nothing' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }] }],
  ['two inputs', { inputs: [{ name: 'x', dims: ['N', 4] }, { name: 'x2', dims: ['N', 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Add', inputs: ['x', 'x2'], outputs: ['y'] }] }],
  ['dup node output', { inputs: [{ name: 'x', dims: ['N', 4] }], outputs: [{ name: 'y' }], nodes: [{ op: 'Relu', inputs: ['x'], outputs: ['y'] }, { op: 'Sigmoid', inputs: ['x'], outputs: ['y'] }] }],  ...normActHostile(),
];

/** Normalisation and activation ops with broken attributes or operands (x is [N,4,3,3] unless said). */
function normActHostile(): [string, ModelSpec][] {
  const one = (op: string, inputs: string[], attrs: ModelSpec['nodes'][number]['attrs'], inits: ModelSpec['initializers'] = {}, opset = 21, dims: (number | string)[] = ['N', 4, 3, 3]): ModelSpec => ({
    inputs: [{ name: 'x', dims }], outputs: [{ name: 'y' }], opset, nodes: [{ op, inputs: ['x', ...inputs], outputs: ['y'], attrs }], initializers: inits,
  });
  const v = (n: number, x = 1) => ({ dims: [n], data: new Array<number>(n).fill(x) });
  return [
    ['groupnorm groups 3 of 4', one('GroupNormalization', ['s', 'b'], { num_groups: 3 }, { s: v(4), b: v(4, 0) })],
    ['groupnorm eps nan', one('GroupNormalization', ['s', 'b'], { num_groups: 2, epsilon: float(NaN) }, { s: v(4), b: v(4, 0) })],
    ['groupnorm eps 1e30', one('GroupNormalization', ['s', 'b'], { num_groups: 2, epsilon: float(1e30) }, { s: v(4), b: v(4, 0) })],
    ['instancenorm scale length', one('InstanceNormalization', ['s', 'b'], {}, { s: v(3), b: v(4, 0) })],
    ['instancenorm no spatial dims', one('InstanceNormalization', ['s', 'b'], {}, { s: v(4), b: v(4, 0) }, 21, ['N', 4])],
    ['layernorm axis 0', one('LayerNormalization', ['s'], { axis: 0 }, { s: v(3) })],
    ['layernorm scale shape', one('LayerNormalization', ['s'], { axis: -1 }, { s: v(5) })],
    ['clip min > max', one('Clip', ['lo', 'hi'], {}, { lo: { dims: [], data: [2] }, hi: { dims: [], data: [1] } })],
    ['clip NaN', one('Clip', ['lo'], {}, { lo: { dims: [], data: [NaN] } })],
    ['prelu slope shape', one('PRelu', ['s'], {}, { s: v(5) })],
    ['hardsigmoid alpha inf', one('HardSigmoid', [], { alpha: float(Infinity) })],
    ['gelu approximate bogus', one('Gelu', [], { approximate: 'erf' })],
  ];
}

/** The cases that used to crash, hang, or produce a file the loaders refuse, with the error they now give. */
const EXPECTED: Record<string, RegExp> = {
  'conv strides 0': /"Conv_0" \(Conv\): strides \[0,0\] and dilations \[1,1\] must be integers in 1\.\.65536/,
  'conv strides huge': /strides \[2147483648,1\]/,
  'conv dil 0': /dilations \[0,0\]/,
  'convT strides 0': /"ConvTranspose_0" \(ConvTranspose\): strides \[0,0\]/,
  'convT dil 0': /dilations \[0,0\]/,
  'resize 1e9': /"Resize_0" \(Resize\): output \[2,8000000000,8000000000\] has .* more than the 2\^26/,
  'leaky alpha nan': /"LeakyRelu_0" \(LeakyRelu\): alpha NaN is not finite/,
  'elu alpha inf': /"Elu_0" \(Elu\): alpha Infinity is not finite/,  'groupnorm groups 3 of 4': /"GroupNormalization_0" \(GroupNormalization\): num_groups 3 does not divide the 4 channels/,
  'groupnorm eps nan': /epsilon NaN must be finite/,
  'instancenorm scale length': /scale has 3 values, expected 4/,
  'instancenorm no spatial dims': /has no spatial dims/,
  'layernorm axis 0': /axis 0 includes the batch axis/,
  'layernorm scale shape': /Scale of shape \[5\] does not broadcast to the normalised shape \[3\]/,
  'clip min > max': /"Clip_0" \(Clip\): bounds \[2, 1\] need min <= max/,
  'clip NaN': /bounds \[NaN, Infinity\] need min <= max/,
  'prelu slope shape': /slope of shape \[5\] does not broadcast/,
  'hardsigmoid alpha inf': /alpha Infinity and beta 0.5 must be finite/,
  'gelu approximate bogus': /approximate="erf" is unknown/,
};

describe('hostile ONNX attributes and graph structure', () => {
  const module = new WebAssembly.Module(readFileSync(WASM));
  const runsInWasm = (bytes: Uint8Array) => {
    const w = new WebAssembly.Instance(module, {}).exports as unknown as { memory: WebAssembly.Memory; alloc(n: number): number; load(p: number, n: number, b: number): number; run(k: number, n: number): number };
    const ptr = w.alloc(bytes.length) >>> 0;
    new Uint8Array(w.memory.buffer, ptr, bytes.length).set(bytes);
    const rc = w.load(ptr, bytes.length, 2);
    return rc === 0 ? w.run(1, 2) : rc;
  };
  for (const [name, spec] of HOSTILE_ATTRS) {
    it(name, async () => {
      const t0 = performance.now();
      let bytes: Uint8Array | undefined;
      let error: Error | undefined;
      try {
        bytes = (await convert({ decoder: buildModel(spec) })).bytes;
      } catch (e) {
        error = e as Error;
      }
      expect(performance.now() - t0).toBeLessThan(10_000);
      if (EXPECTED[name]) expect(error?.message).toMatch(EXPECTED[name]!);
      if (error) {
        expect([TypeError, RangeError, ReferenceError].some((c) => error instanceof c), `${error.name}: ${error.message}`).toBe(false);
        expect(error.message).toMatch(/node "|graph/);
      } else {
        expect(() => readModel(bytes!)).not.toThrow();
        expect(runsInWasm(bytes!)).toBe(0);
      }
    });
  }
});
