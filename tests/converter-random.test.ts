// Seeded random graphs (conv/transposed conv/BN/activations/flatten/dense/view/resize/concat/slice chains)
// converted and run in the wasm runtime, compared with onnxruntime-node. Catches interactions between
// the passes (folding, fusion, weight permutation, LAYOUT insertion, arena reuse) that hand-written
// cases miss. Each failure message names the seed and the op chain.
import { readFileSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertGraph } from '../converter/index.js';
import { readModel } from '../runtime/format.js';
import { Engine } from '../runtime/engine.js';
import { checkArenaReplay } from './helpers/arena-replay.js';
import { buildModel, float, randomData, type ModelSpec, type NodeSpec, type TensorSpec } from './helpers/onnx-build.js';
import { runOnnx } from './helpers/ort.js';

const SEEDS = 40;
const dir = mkdtempSync(join(tmpdir(), 'evae-rand-'));
let module: WebAssembly.Module;
beforeAll(async () => {
  module = await WebAssembly.compile(readFileSync(new URL('../build/edgevae.wasm', import.meta.url)));
});

/** Small deterministic PRNG for choosing the graph (independent of the data generator). */
function rng(seed: number) {
  let s = (seed + 0x9e3779b9) >>> 0;
  const next = () => {
    s = (s + 0x6d2b79f5) >>> 0;
    let t = Math.imul(s ^ (s >>> 15), s | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
  return { next, int: (lo: number, hi: number) => lo + Math.floor(next() * (hi - lo + 1)), pick: <T>(xs: T[]) => xs[Math.floor(next() * xs.length)]! };
}

const count = (d: number[]) => d.reduce((a, b) => a * b, 1);
const gcd = (a: number, b: number): number => (b ? gcd(b, a % b) : a);

function randomGraph(seed: number): { spec: ModelSpec; chain: string[] } {
  const r = rng(seed);
  const nodes: NodeSpec[] = [];
  const inits: Record<string, TensorSpec> = {};
  const chain: string[] = [];
  let k = 0;
  const tensor = (dims: number[], scale = 0.6, positive = false): string => {
    const name = `w${k++}`;
    inits[name] = { dims, data: randomData(count(dims), seed * 100 + k, scale).map((v) => (positive ? Math.abs(v) + 0.3 : v)) };
    return name;
  };
  const intsT = (data: number[]) => { const name = `i${k++}`; inits[name] = { dims: [data.length], data, type: 'int64' }; return name; };
  const add = (op: string, inputs: string[], attrs?: NodeSpec['attrs']): string => {
    const out = `t${k++}`;
    nodes.push({ op, inputs, outputs: [out], attrs });
    chain.push(op);
    return out;
  };
  let shape = [r.int(1, 4), r.int(3, 8), r.int(3, 8)];
  const input = [...shape];
  let cur = 'x';
  const steps = r.int(3, 7);
  for (let step = 0; step < steps; step++) {
    if (shape.length === 3) {
      const [C, H, W] = shape as [number, number, number];
      const choice = r.pick(['conv', 'conv', 'convT', 'bn', 'act', 'affine', 'resize', 'concat', 'slice', 'flatten', 'nhwc']);
      if (choice === 'conv') {
        const kh = r.int(1, 3); const kw = r.int(1, 3); const s = r.int(1, 2); const d = r.int(1, 2);
        const g = r.pick([1, 1, gcd(C, 4)].filter((x) => C % x === 0));
        const Co = g * r.int(1, 3);
        const eh = d * (kh - 1) + 1; const ew = d * (kw - 1) + 1;
        const pads = [r.int(0, eh - 1), r.int(0, ew - 1), r.int(0, eh - 1), r.int(0, ew - 1)];
        const OH = Math.floor((H + pads[0]! + pads[2]! - eh) / s) + 1;
        const OW = Math.floor((W + pads[1]! + pads[3]! - ew) / s) + 1;
        if (OH < 1 || OW < 1) continue;
        const inputs = [cur, tensor([Co, C / g, kh, kw])];
        if (r.next() < 0.7) inputs.push(tensor([Co]));
        cur = add('Conv', inputs, { strides: [s, s], dilations: [d, d], pads, group: g });
        shape = [Co, OH, OW];
      } else if (choice === 'convT') {
        const kk = r.int(2, 3); const s = r.int(1, 2); const p = r.int(0, kk - 1); const op = r.int(0, s - 1);
        const Co = r.int(1, 4);
        const OH = (H - 1) * s + kk - 2 * p + op; const OW = (W - 1) * s + kk - 2 * p + op;
        if (OH < 1 || OW < 1 || OH * OW > 400) continue;
        cur = add('ConvTranspose', [cur, tensor([C, Co, kk, kk]), tensor([Co])], { strides: [s, s], pads: [p, p, p, p], output_padding: [op, op] });
        shape = [Co, OH, OW];
      } else if (choice === 'bn') {
        cur = add('BatchNormalization', [cur, tensor([C]), tensor([C]), tensor([C]), tensor([C], 0.5, true)]);
      } else if (choice === 'act') {
        const act = r.pick(['Relu', 'LeakyRelu', 'Sigmoid', 'Tanh', 'Elu', 'Softplus']);
        cur = add(act, [cur], act === 'LeakyRelu' ? { alpha: float(0.1) } : undefined);
      } else if (choice === 'affine') {
        const dims = r.pick([[C, 1, 1], [1, H, W], [W], []]);
        cur = add(r.pick(['Add', 'Mul', 'Sub']), [cur, tensor(dims)]);
      } else if (choice === 'resize' && H * W <= 40) {
        cur = add('Resize', [cur, '', (() => { const n = `f${k++}`; inits[n] = { dims: [4], data: [1, 1, 2, 2] }; return n; })()], { mode: 'nearest' });
        shape = [C, 2 * H, 2 * W];
      } else if (choice === 'concat') {
        const side = add('Conv', [cur, tensor([2, C, 3, 3])], { pads: [1, 1, 1, 1] });
        cur = add('Concat', [side, cur], { axis: 1 });
        shape = [C + 2, H, W];
      } else if (choice === 'slice' && C > 1) {
        const start = r.int(0, C - 2);
        cur = add('Slice', [cur, intsT([start]), intsT([C]), intsT([1])]);
        shape = [C - start, H, W];
      } else if (choice === 'nhwc') {
        // NHWC round trip with a per-channel op in between (tf2onnx style)
        const t = add('Transpose', [cur], { perm: [0, 2, 3, 1] });
        const m = add('Mul', [t, tensor([C])]);
        cur = add('Transpose', [m], { perm: [0, 3, 1, 2] });
      } else if (choice === 'flatten') {
        cur = add('Flatten', [cur]);
        shape = [C * H * W];
      }
    } else {
      const K = shape[0]!;
      const choice = r.pick(['gemm', 'gemm', 'act', 'view', 'transpose']);
      if (choice === 'gemm') {
        const M = r.int(2, 40);
        cur = add('Gemm', [cur, tensor([K, M], 0.4), tensor([M])]);
        shape = [M];
      } else if (choice === 'act') {
        cur = add(r.pick(['Relu', 'Tanh', 'Sigmoid']), [cur]);
      } else if (choice === 'transpose' && K % 2 === 0) {
        // [K] -> [2, K/2] -> transposed -> flat
        const v = add('Reshape', [cur, intsT([-1, 2, K / 2])]);
        const t = add('Transpose', [v], { perm: [0, 2, 1] });
        cur = add('Flatten', [t]);
      } else {
        const C = r.int(2, 4); const H = r.int(2, 5); const W = r.int(2, 5);
        cur = add('Gemm', [cur, tensor([K, C * H * W], 0.4)]);
        cur = add('Reshape', [cur, intsT([-1, C, H, W])]);
        shape = [C, H, W];
      }
    }
  }
  nodes.push({ op: 'Identity', inputs: [cur], outputs: ['y'] });
  return { spec: { inputs: [{ name: 'x', dims: ['N', ...input] }], outputs: [{ name: 'y' }], nodes, initializers: inits, opset: 13 }, chain };
}

describe('random graphs vs onnxruntime', () => {
  it.each(Array.from({ length: SEEDS }, (_, i) => i + 1))('seed %i', async (seed) => {
    const { spec, chain } = randomGraph(seed);
    const bytes = buildModel(spec);
    const path = join(dir, `r${seed}.onnx`);
    writeFileSync(path, bytes);
    const n = 2;
    const inDims = [n, ...(spec.inputs[0]!.dims.slice(1) as number[])];
    const x = randomData(count(inDims), seed + 7, 1);
    const ref = (await runOnnx(path, { x: { data: x, dims: inDims } })).y!.data;
    const model = await convertGraph(bytes);
    checkArenaReplay(readModel(model));
    const engine = await Engine.create(module);
    await engine.load(model, n);
    const [got] = engine.run('decode', x, n);
    let err = 0;
    let scale = 1;
    for (let i = 0; i < ref.length; i++) {
      err = Math.max(err, Math.abs(got![i]! - ref[i]!));
      scale = Math.max(scale, Math.abs(ref[i]!));
    }
    expect(err / scale, `seed ${seed}: ${chain.join(' -> ')}`).toBeLessThanOrEqual(1e-4);
  });
});
