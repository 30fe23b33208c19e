// Hostile operands of the spatial and attention ops (opcodes 20..25): both validators (runtime/format.ts and the
// wasm loader) reject each bad parameter with the same rule, agree on random word corruptions of these ops, and
// whatever they accept runs without the kernels writing outside their tensors.
import { describe, expect, it } from 'vitest';
import { EntryKind, Op, PadMode, PoolKind, ResizeMode } from '../runtime/format-constants.js';
import { readModel } from '../runtime/format.js';
import { describeWasmError } from '../runtime/wasm-errors.js';
import { ModelBuilder } from './helpers/model-builder.js';
import { refreshChecksum, seededValues } from './format-fixtures.js';
import { WasmRuntime } from './kernels/harness.js';

const bits = (v: number) => new Uint32Array(new Float32Array([v]).buffer)[0]!;
const E_SHAPE = -17, E_PARAM = -18, E_OPERAND = -16, E_INDEX = -15;

interface Base { name: string; build: (params?: number[], dims?: number[][]) => Uint8Array; params: number[] }

/** One op between a rank-1 input and output (COPY views), with a and out dims `dims` = [aDims, outDims]. */
function oneOp(op: number, params: number[], dims: number[][], withB = false): Uint8Array {
  const mb = new ModelBuilder();
  const n = dims[0]!.reduce((s, d) => s * d, 1), m = dims[1]!.reduce((s, d) => s * d, 1);
  const input = mb.activation([n]);
  const a = mb.activation(dims[0]!);
  mb.op({ op: Op.Copy, out: a, a: input });
  const o = mb.activation(dims[1]!);
  mb.op({ op, out: o, a, b: withB ? a : undefined, params });
  const out = mb.activation([m]);
  mb.op({ op: Op.Copy, out, a: o });
  return mb.build(input, [out], EntryKind.Decode);
}

const resizeAxis = (p: number, m: number, d: number, q: number) => [p, m, d, q].map(bits);
const base = (name: string, op: number, params: number[], dims: number[][], withB = false): Base =>
  ({ name, params, build: (p, d) => oneOp(op, p ?? params, d ?? dims, withB) });
const BASES: Base[] = [
  base('PAD', Op.Pad, [PadMode.Reflect, 1, 2, bits(0)], [[3, 4, 5], [3, 6, 8]]),
  base('RESIZE', Op.Resize, [ResizeMode.Linear, ...resizeAxis(0.5, 1, 2, 0.5), ...resizeAxis(0.5, 1, 2, 0.5)], [[3, 4, 5], [3, 8, 10]]),
  base('POOL', Op.Pool, [PoolKind.AvgIncludePad, 3, 3, 2, 2, 1, 1, 1, 1], [[3, 7, 8], [3, 4, 4]]),
  base('MATMUL', Op.MatMul, [2, 3, 3, 3], [[18], [18]], true),
  base('SOFTMAX', Op.Softmax, [6], [[18], [18]]),
  base('TRANSPOSE', Op.Transpose, [1, 2, 3, 3, 0, 2, 3, 1], [[18], [18]]),
];

function tsLoad(bytes: Uint8Array): string | undefined {
  try { readModel(bytes); return undefined; } catch (e) { return (e as Error).message; }
}
function wasmLoad(bytes: Uint8Array): { rc: number; rt: WasmRuntime } {
  const rt = new WasmRuntime();
  return { rc: rt.load(bytes, 2), rt };
}

describe('spatial and attention ops: hostile operands', () => {
  for (const b of BASES) it(`${b.name}: the valid model loads in both and runs`, () => {
    const bytes = b.build(b.params);
    expect(tsLoad(bytes)).toBeUndefined();
    const { rc, rt } = wasmLoad(bytes);
    expect(rc).toBe(0);
    const n = readModel(bytes).tensors[0]!.elements;
    rt.run(EntryKind.Decode, new Float32Array(2 * n).fill(1), 2, [readModel(bytes).tensors.at(-1)!.elements]);
    expect(rt.modelIntact(bytes)).toBe(true);
  });

  const cases: [string, Uint8Array, number, RegExp][] = [
    ['PAD unknown mode', BASES[0]!.build([3, 1, 2, 0]), E_PARAM, /unknown pad mode 3/],
    ['PAD reflect pad as large as the input', BASES[0]!.build([PadMode.Reflect, 4, 2, 0], [[3, 4, 5], [3, 9, 8]]), E_PARAM, /reflect pads .* must be smaller/],
    ['PAD pad beyond 2^24', BASES[0]!.build([PadMode.Constant, 2 ** 25, 0, 0]), E_PARAM, /exceed 2\^24/],
    ['PAD NaN value', BASES[0]!.build([PadMode.Constant, 1, 2, bits(NaN)]), E_PARAM, /pad value NaN is not finite/],
    ['PAD channels differ', BASES[0]!.build([PadMode.Edge, 1, 2, 0], [[3, 4, 5], [2, 6, 8]]), E_SHAPE, /out has 2 channels, a has 3/],
    ['RESIZE divisor 0', BASES[1]!.build([0, ...resizeAxis(0.5, 1, 0, 0.5), ...resizeAxis(0.5, 1, 2, 0.5)]), E_PARAM, /height divisor 0 is out of range/],
    ['RESIZE infinite offset', BASES[1]!.build([0, ...resizeAxis(0.5, 1, 2, 0.5), ...resizeAxis(Infinity, 1, 2, 0.5)]), E_PARAM, /width offset Infinity is not finite/],
    ['RESIZE huge multiplier', BASES[1]!.build([1, ...resizeAxis(0.5, 1e9, 2, 0.5), ...resizeAxis(0.5, 1, 2, 0.5)]), E_PARAM, /height multiplier .* out of range/],
    ['RESIZE unknown mode', BASES[1]!.build([5, ...resizeAxis(0.5, 1, 2, 0.5), ...resizeAxis(0.5, 1, 2, 0.5)]), E_PARAM, /unknown resize mode 5/],
    ['RESIZE rank-1 operand', BASES[1]!.build(undefined, [[60], [3, 8, 10]]), E_SHAPE, /rank 1, expected 3/],
    ['POOL padding as large as the window', BASES[2]!.build([0, 3, 3, 2, 2, 3, 1, 0, 0]), E_PARAM, /padding \(3, 1\) must be smaller/],
    ['POOL zero stride', BASES[2]!.build([0, 3, 3, 0, 2, 1, 1, 1, 1]), E_PARAM, /stride height 0/],
    ['POOL output larger than the windows allow', BASES[2]!.build(undefined, [[3, 7, 8], [3, 5, 4]]), E_SHAPE, /a window would miss the input/],
    ['POOL unknown kind', BASES[2]!.build([3, 3, 3, 2, 2, 1, 1, 1, 1]), E_PARAM, /unknown pool kind 3/],
    ['MATMUL sizes that overrun b', BASES[3]!.build([2, 3, 3, 4]), E_SHAPE, /b tensor .* expected 24/],
    ['MATMUL zero batch', BASES[3]!.build([0, 3, 3, 3]), E_PARAM, /must be >= 1/],
    ['SOFTMAX row length not dividing', BASES[4]!.build([7]), E_SHAPE, /row length 7 does not divide/],
    ['SOFTMAX zero row length', BASES[4]!.build([0]), E_PARAM, /row length 0/],
    ['TRANSPOSE repeated axis', BASES[5]!.build([1, 2, 3, 3, 0, 2, 2, 1]), E_PARAM, /not a permutation/],
    ['TRANSPOSE dims not matching the element count', BASES[5]!.build([1, 2, 3, 4, 0, 2, 3, 1]), E_SHAPE, /must both hold the 24 elements/],
  ];
  for (const [name, bytes, code, message] of cases) it(`${name}: both reject (${describeWasmError(code, 0).split(':')[0]})`, () => {
    expect(tsLoad(bytes)).toMatch(message);
    expect(wasmLoad(bytes).rc).toBe(code);
  });

  it('MATMUL with a constant or missing b is rejected by both', () => {
    const mb = new ModelBuilder();
    const input = mb.activation([18]);
    const w = mb.constF32(new Float32Array(18), [18]);
    const o = mb.activation([18]);
    mb.op({ op: Op.MatMul, out: o, a: input, b: w, params: [2, 3, 3, 3] });
    const bytes = mb.build(input, [o]);
    expect(tsLoad(bytes)).toMatch(/b tensor .* must be an f32 activation/);
    expect(wasmLoad(bytes).rc).toBe(E_OPERAND);
    const mb2 = new ModelBuilder();
    const in2 = mb2.activation([18]);
    const o2 = mb2.activation([18]);
    mb2.op({ op: Op.MatMul, out: o2, a: in2, b: 0xfffffffe, params: [2, 3, 3, 3] });
    const bytes2 = mb2.build(in2, [o2]);
    expect(tsLoad(bytes2)).toMatch(/tensor b index .* does not exist/);
    expect(wasmLoad(bytes2).rc).toBe(E_INDEX);
  });

  it('agree on random corruptions of the op words, and accepted files run inside their tensors', () => {
    const rnd = seededValues(40000, 77);
    const u = (k: number) => (rnd[k % rnd.length]! + 1) / 2;
    const disagreements: string[] = [];
    let rejected = 0, ran = 0;
    const trials = 1200;
    for (let i = 0; i < trials; i++) {
      const b = BASES[i % BASES.length]!;
      const bad = b.build(b.params).slice();
      const v = new DataView(bad.buffer);
      const opBase = v.getUint32(44, true) + 64; // the second op: the one under test
      const word = opBase + 4 * (1 + Math.floor(u(3 * i) * 15));
      const old = v.getUint32(word, true);
      const choices = [0, 1, 2, 3, 4, 5, 7, 16, 0xffffffff, 0x80000000, old + 1, old - 1, old * 2, bits(NaN), bits(1e9), bits(-0.5)];
      v.setUint32(word, choices[Math.floor(u(3 * i + 1) * choices.length)]! >>> 0, true);
      refreshChecksum(bad);
      const ts = tsLoad(bad);
      const { rc, rt } = wasmLoad(bad);
      if (ts !== undefined) rejected++;
      if ((ts === undefined) !== (rc === 0)) {
        disagreements.push(`${b.name} word ${(word - opBase) / 4} = ${v.getUint32(word, true)}: TS ${ts ?? 'accepts'} | wasm ${rc === 0 ? 'accepts' : describeWasmError(rc, rt.x.errorDetail())}`);
      }
      if (rc === 0) {
        const info = readModel(bad);
        const e = info.entries[0]!;
        const nIn = info.tensors[e.input]!.elements, nOut = info.tensors[e.outputs[0]!]!.elements;
        rt.run(EntryKind.Decode, Float32Array.from({ length: 2 * nIn }, (_, k) => Math.sin(k)), 2, [nOut]);
        expect(rt.modelIntact(bad)).toBe(true);
        ran++;
      }
    }
    expect(disagreements.slice(0, 8)).toEqual([]);
    expect(rejected).toBeGreaterThan(trials / 4);
    expect(ran).toBeGreaterThan(trials / 10);
  });
});
