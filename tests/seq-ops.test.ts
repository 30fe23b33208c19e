// ONNX LSTM / GRU (forward, reverse, bidirectional; layout 0 and 1; initial states; linear_before_reset 0 and 1),
// Gather as embedding lookup, LogSoftmax, Softmax and ArgMax, converted and run in the wasm runtime: against
// onnxruntime-node (the independent engine) and the float64 reference twins of the kernels. Refusals name the node,
// op and attribute/input.
import { readFileSync } from 'node:fs';
import * as ort from 'onnxruntime-node';
import { beforeAll, describe, expect, it } from 'vitest';
import { convertPackedGraph } from '../converter/sequence.js';
import { convertGraph } from '../converter/index.js';
import { Engine } from '../runtime/engine.js';
import { buildModel, float, randomData, type ModelSpec } from './helpers/onnx-build.js';
import { argmaxRef, embeddingRef, logSoftmaxRef, recurrentRef } from './kernels/recurrent-reference.js';

let module: WebAssembly.Module;
beforeAll(async () => {
  module = await WebAssembly.compile(readFileSync(new URL('../build/edgevae.wasm', import.meta.url)));
});

const session = (bytes: Uint8Array) => ort.InferenceSession.create(bytes, { intraOpNumThreads: 1, graphOptimizationLevel: 'disabled' });

/** Sample s of a row-major tensor whose batch is axis b, in row-major order of the other axes. */
function sampleOf(data: ArrayLike<number>, dims: number[], b: number, s: number): Float32Array {
  const inner = dims.slice(b + 1).reduce((p, d) => p * d, 1);
  const outer = dims.slice(0, b).reduce((p, d) => p * d, 1);
  const out = new Float32Array(outer * inner);
  for (let o = 0; o < outer; o++) for (let i = 0; i < inner; i++) out[o * inner + i] = Number(data[(o * dims[b]! + s) * inner + i]!);
  return out;
}

interface Feed { name: string; dims: number[]; b: number; data: Float32Array | number[]; int?: boolean }

/** Runs the graph in onnxruntime and in the wasm runtime (inputs packed per sample); returns per-sample outputs of both. */
async function runBoth(spec: ModelSpec, feeds: Feed[], n: number, outBatchAxes: number[], oracle?: { spec: ModelSpec; feeds: Feed[] }) {
  const bytes = buildModel(spec);
  const s = await session(buildModel(oracle?.spec ?? spec));
  const ortFeeds: Record<string, ort.Tensor> = {};
  for (const f of oracle?.feeds ?? feeds) {
    ortFeeds[f.name] = f.int ? new ort.Tensor('int64', BigInt64Array.from(Array.from(f.data, (v) => BigInt(v))), f.dims)
      : new ort.Tensor('float32', Float32Array.from(f.data), f.dims);
  }
  const ref = await s.run(ortFeeds);
  const engine = await Engine.create(module);
  await engine.load(await convertPackedGraph(bytes), n);
  const per = feeds.map((f) => f.data.length / n);
  const packed = new Float32Array(n * per.reduce((a, b) => a + b, 0));
  let off = 0;
  for (let i = 0; i < n; i++) feeds.forEach((f) => { const x = sampleOf(f.data, f.dims, f.b, i); packed.set(x, off); off += x.length; });
  const [out] = engine.run('decode', packed, n);
  const names = spec.outputs.map((o) => o.name);
  const perOut = names.map((name) => (ref[name]!.data as ArrayLike<number>).length / n);
  const width = perOut.reduce((a, b) => a + b, 0);
  return Array.from({ length: n }, (_, i) => names.map((name, k) => {
    const start = i * width + perOut.slice(0, k).reduce((a, b) => a + b, 0);
    return {
      got: out!.subarray(start, start + perOut[k]!),
      want: sampleOf(ref[name]!.data as ArrayLike<number>, ref[name]!.dims as number[], outBatchAxes[k]!, i),
    };
  }));
}

const maxDiff = (a: ArrayLike<number>, b: ArrayLike<number>) => {
  expect(a.length).toBe(b.length);
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
};

interface Case { name: string; op: 'LSTM' | 'GRU'; dir: 'forward' | 'reverse' | 'bidirectional'; layout: 0 | 1; H: number; I: number;
  T: number; init: boolean; bias: boolean; lbr?: 0 | 1 }
const CASES: Case[] = [
  { name: 'LSTM forward, layout 0, no states', op: 'LSTM', dir: 'forward', layout: 0, H: 8, I: 5, T: 6, init: false, bias: true },
  { name: 'LSTM reverse, layout 1, initial h and c', op: 'LSTM', dir: 'reverse', layout: 1, H: 7, I: 3, T: 5, init: true, bias: true },
  { name: 'LSTM bidirectional, layout 0, initial states, no B', op: 'LSTM', dir: 'bidirectional', layout: 0, H: 12, I: 4, T: 4, init: true,
    bias: false },
  { name: 'GRU forward, linear_before_reset 0, initial h', op: 'GRU', dir: 'forward', layout: 0, H: 9, I: 6, T: 5, init: true,
    bias: true, lbr: 0 },
  { name: 'GRU reverse, linear_before_reset 1, layout 1', op: 'GRU', dir: 'reverse', layout: 1, H: 16, I: 2, T: 7, init: false,
    bias: true, lbr: 1 },
  { name: 'GRU bidirectional, linear_before_reset 0, H 5', op: 'GRU', dir: 'bidirectional', layout: 0, H: 5, I: 3, T: 3, init: true,
    bias: true, lbr: 0 },
];

describe('ONNX LSTM/GRU in the wasm runtime', () => {
  it.each(CASES)('$name matches onnxruntime and the float64 twin', async (c) => {
    const n = 3;
    const D = c.dir === 'bidirectional' ? 2 : 1;
    const G = c.op === 'LSTM' ? 4 : 3;
    const lstm = c.op === 'LSTM';
    const W = randomData(D * G * c.H * c.I, 1, 0.6), R = randomData(D * G * c.H * c.H, 2, 0.6), B = randomData(D * 2 * G * c.H, 3, 0.4);
    const xDims = c.layout === 0 ? [c.T, n, c.I] : [n, c.T, c.I];
    const sDims = c.layout === 0 ? [D, n, c.H] : [n, D, c.H];
    const xb = c.layout === 0 ? 1 : 0, sb = c.layout === 0 ? 1 : 0;
    const x = randomData(c.T * n * c.I, 4, 1.5), h0 = randomData(D * n * c.H, 5, 0.8), c0 = randomData(D * n * c.H, 6, 1.2);
    const sym = (dims: number[], b: number) => dims.map((d, i) => (i === b ? 'N' : d));
    const inputs = [{ name: 'X', dims: sym(xDims, xb) }];
    const nodeIns = ['X', 'W', 'R', c.bias ? 'B' : ''];
    const feeds: Feed[] = [{ name: 'X', dims: xDims, b: xb, data: x }];
    if (c.init) {
      nodeIns.push('', 'h0');
      inputs.push({ name: 'h0', dims: sym(sDims, sb) });
      feeds.push({ name: 'h0', dims: sDims, b: sb, data: h0 });
      if (lstm) { nodeIns.push('c0'); inputs.push({ name: 'c0', dims: sym(sDims, sb) });
        feeds.push({ name: 'c0', dims: sDims, b: sb, data: c0 }); }
    }
    const outs = lstm ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
    const attrs: Record<string, number | string> = { hidden_size: c.H, direction: c.dir, layout: c.layout };
    if (!lstm) attrs.linear_before_reset = c.lbr ?? 0;
    const makeSpec = (layout: number, ins: { name: string; dims: (number | string)[] }[]): ModelSpec => ({
      opset: 14, inputs: ins, outputs: outs.map((name) => ({ name })),
      nodes: [{ op: c.op, inputs: nodeIns, outputs: outs, attrs: { ...attrs, layout } }],
      initializers: { W: { dims: [D, G * c.H, c.I], data: W }, R: { dims: [D, G * c.H, c.H], data: R },
        ...(c.bias ? { B: { dims: [D, 2 * G * c.H], data: B } } : {}) },
    });
    const spec = makeSpec(c.layout, inputs);
    // onnxruntime's CPU kernels refuse layout 1: the oracle runs the same weights in layout 0 on the same samples.
    let oracle: { spec: ModelSpec; feeds: Feed[] } | undefined;
    if (c.layout === 1) {
      const toTimeMajor = (f: Feed): Feed => {
        const dims = [f.dims[1]!, f.dims[0]!, f.dims[2]!];
        const data = new Float32Array(f.data.length);
        for (let i = 0; i < f.dims[0]!; i++) for (let j = 0; j < f.dims[1]!; j++) {
          for (let k = 0; k < f.dims[2]!; k++) data[(j * f.dims[0]! + i) * f.dims[2]! + k] =
            Number(f.data[(i * f.dims[1]! + j) * f.dims[2]! + k]);
        }
        return { name: f.name, dims, b: 1, data };
      };
      const oFeeds = feeds.map(toTimeMajor);
      oracle = { spec: makeSpec(0, oFeeds.map((f) => ({ name: f.name, dims: f.dims }))), feeds: oFeeds };
    }
    const results = await runBoth(spec, feeds, n, oracle ? [2, 1, 1] : [2, sb, sb], oracle);
    const dir = c.dir === 'forward' ? 0 : c.dir === 'reverse' ? 1 : 2;
    for (let s = 0; s < n; s++) {
      const twin = recurrentRef({ lstm, H: c.H, dir, lbr: c.lbr, W, R, B: c.bias ? B : undefined }, sampleOf(x, xDims, xb, s), c.T,
        c.init ? sampleOf(h0, sDims, sb, s) : undefined, c.init && lstm ? sampleOf(c0, sDims, sb, s) : undefined);
      const twins = [twin.Y, twin.Yh, twin.Yc];
      results[s]!.forEach(({ got, want }, k) => {
        expect(maxDiff(got, want), `${outs[k]} vs onnxruntime, sample ${s}`).toBeLessThan(1e-5);
        expect(maxDiff(got, twins[k]!), `${outs[k]} vs the float64 twin, sample ${s}`).toBeLessThan(1e-5);
      });
    }
    // The state matters: sample outputs differ.
    expect(maxDiff(results[0]![1]!.want, results[1]![1]!.want)).toBeGreaterThan(1e-3);
  });

  it('embedding lookup (Gather on a constant table), LogSoftmax, Softmax and ArgMax on the last axis', async () => {
    const n = 4, T = 5, V = 7, E = 6;
    const table = randomData(V * E, 9, 2);
    const ids = Array.from({ length: n * T }, (_, i) => (i * 5 + 3) % V);
    const spec: ModelSpec = {
      opset: 13, inputs: [{ name: 'tokens', dims: ['N', T], type: 'int64' }],
      outputs: [{ name: 'logp' }, { name: 'p' }, { name: 'best', type: 'int64' }],
      nodes: [
        { op: 'Gather', inputs: ['table', 'tokens'], outputs: ['emb'], attrs: { axis: 0 } },
        { op: 'LogSoftmax', inputs: ['emb'], outputs: ['logp'], attrs: { axis: -1 } },
        { op: 'Softmax', inputs: ['emb'], outputs: ['p'], attrs: { axis: 2 } },
        { op: 'ArgMax', inputs: ['emb'], outputs: ['best'], attrs: { axis: -1, keepdims: 0 } },
      ],
      initializers: { table: { dims: [V, E], data: table } },
    };
    const results = await runBoth(spec, [{ name: 'tokens', dims: [n, T], b: 0, data: ids, int: true }], n, [0, 0, 0]);
    for (let s = 0; s < n; s++) {
      const emb = embeddingRef(ids.slice(s * T, (s + 1) * T), table, E);
      const [logp, p, best] = results[s]!;
      expect(maxDiff(logp!.got, logp!.want)).toBeLessThan(1e-5);
      expect(maxDiff(logp!.got, logSoftmaxRef(emb, E))).toBeLessThan(1e-5);
      expect(maxDiff(p!.got, p!.want)).toBeLessThan(1e-6);
      expect(Array.from(best!.got)).toEqual(Array.from(best!.want));
      expect(Array.from(best!.got)).toEqual(argmaxRef(emb, E));
    }
  });

  it('a token id outside the vocabulary fails the run with BAD_TOKEN instead of reading outside the table', async () => {
    const spec: ModelSpec = {
      opset: 13, inputs: [{ name: 'tokens', dims: ['N', 3], type: 'int64' }], outputs: [{ name: 'emb' }],
      nodes: [{ op: 'Gather', inputs: ['table', 'tokens'], outputs: ['emb'], attrs: { axis: 0 } }],
      initializers: { table: { dims: [4, 2], data: randomData(8, 1) } },
    };
    const engine = await Engine.create(module);
    await engine.load(await convertPackedGraph(buildModel(spec)), 2);
    expect(engine.run('decode', Float32Array.of(0, 1, 3, 3, 2, 1), 2)[0]!.length).toBe(12);
    for (const bad of [4, -1, 1.5, NaN, 1e9]) {
      expect(() => engine.run('decode', Float32Array.of(0, 1, 2, 3, bad, 1), 2)).toThrow(/BAD_TOKEN/);
    }
  });
});

describe('in image-style graphs (batch on dim 0)', () => {
  it('a batch-first (layout 1) GRU then LogSoftmax and ArgMax convert with convertGraph', async () => {
    const n = 2, T = 4, I = 3, H = 6;
    const W = randomData(3 * H * I, 11, 0.7), R = randomData(3 * H * H, 12, 0.7), B = randomData(6 * H, 13, 0.3);
    const spec: ModelSpec = {
      opset: 14, inputs: [{ name: 'x', dims: ['N', T, I] }], outputs: [{ name: 'logp' }, { name: 'best', type: 'int64' }],
      nodes: [
        { op: 'GRU', inputs: ['x', 'W', 'R', 'B'], outputs: ['', 'h'], attrs: { hidden_size: H, layout: 1, linear_before_reset: 1 } },
        { op: 'Reshape', inputs: ['h', 'shape'], outputs: ['hf'] },
        { op: 'LogSoftmax', inputs: ['hf'], outputs: ['logp'], attrs: { axis: -1 } },
        { op: 'ArgMax', inputs: ['hf'], outputs: ['best'], attrs: { axis: 1, keepdims: 0 } },
      ],
      initializers: { W: { dims: [1, 3 * H, I], data: W }, R: { dims: [1, 3 * H, H], data: R }, B: { dims: [1, 6 * H], data: B },
        shape: { dims: [2], data: [0, -1], type: 'int64' } },
    };
    const x = randomData(n * T * I, 14, 1.5);
    const engine = await Engine.create(module);
    await engine.load(await convertGraph(buildModel(spec), { output: 0 }), n);
    const [logp] = engine.run('decode', x, n);
    const engine2 = await Engine.create(module);
    await engine2.load(await convertGraph(buildModel(spec), { output: 1 }), n);
    const [best] = engine2.run('decode', x, n);
    for (let s = 0; s < n; s++) {
      const h = recurrentRef({ lstm: false, H, dir: 0, lbr: 1, W, R, B }, x.subarray(s * T * I, (s + 1) * T * I), T).Yh;
      expect(maxDiff(logp!.subarray(s * H, (s + 1) * H), logSoftmaxRef(h, H))).toBeLessThan(1e-5);
      expect(best![s]).toBe(argmaxRef(h, H)[0]);
    }
  });

  it('a time-major (layout 0) LSTM in an image-style graph is refused with a pointer to sequence conversion', async () => {
    const spec: ModelSpec = {
      opset: 14, inputs: [{ name: 'x', dims: ['N', 3, 2] }], outputs: [{ name: 'h' }],
      nodes: [{ op: 'LSTM', name: 'rnn', inputs: ['x', 'W', 'R'], outputs: ['', 'h'], attrs: { hidden_size: 2 } }],
      initializers: { W: { dims: [1, 8, 2], data: randomData(16, 1) }, R: { dims: [1, 8, 2], data: randomData(16, 2) } },
    };
    await expect(convertGraph(buildModel(spec))).rejects.toThrow(/node "rnn" \(LSTM\): layout 0 .*edgevae convert --seq/);
  });
});

describe('refused LSTM/GRU features name the node, op and feature', () => {
  const base = (extra: Partial<{ inputs: string[]; attrs: Record<string, unknown> }>, op = 'LSTM'): ModelSpec => {
    const G = op === 'LSTM' ? 4 : 3;
    return {
      opset: 14, inputs: [{ name: 'X', dims: [3, 'N', 2] }], outputs: [{ name: 'Y' }],
      nodes: [
        { op, name: 'rnn', inputs: extra.inputs ?? ['X', 'W', 'R'], outputs: ['Y'],
          attrs: { hidden_size: 2, ...(extra.attrs ?? {}) } as never }],
      initializers: {
        W: { dims: [1, G * 2, 2], data: randomData(G * 4, 1) }, R: { dims: [1, G * 2, 2], data: randomData(G * 4, 2) },
        lens: { dims: [1], data: [3], type: 'int64' }, P: { dims: [1, 6], data: randomData(6, 3) },
      },
    };
  };
  it.each([
    ['sequence_lens', base({ inputs: ['X', 'W', 'R', '', 'lens'] }), /node "rnn" \(LSTM\): input sequence_lens is not supported/],
    ['peepholes', base({ inputs: ['X', 'W', 'R', '', '', '', '', 'P'] }),
      /node "rnn" \(LSTM\): input P \(peephole weights\) is not supported/],
    ['clip', base({ attrs: { clip: float(3) } }), /node "rnn" \(LSTM\): attribute clip is not supported/],
    ['activations', base({ attrs: { activations: ['Relu', 'Tanh', 'Tanh'] } }),
      /node "rnn" \(LSTM\): attribute activations \[Relu, Tanh, Tanh\] is not supported/],
    ['input_forget', base({ attrs: { input_forget: 1 } }), /node "rnn" \(LSTM\): attribute input_forget=1/],
    ['GRU activations', base({ attrs: { activations: ['Sigmoid', 'Relu'] } }, 'GRU'), /node "rnn" \(GRU\): attribute activations/],
  ])('%s', async (_, spec, message) => {
    await expect(convertPackedGraph(buildModel(spec))).rejects.toThrow(message);
  });
});
