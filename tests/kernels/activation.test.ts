import { describe, it, expect } from 'vitest';
import { Act, ACT_NAME, BinaryKind, EntryKind, Op } from '../../runtime/format-constants.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { WasmRuntime, expectClose, randomArray, rng, runUnary } from './harness.js';
import { refActivation } from './reference.js';

/** Inputs across the useful range plus edge values (odd length exercises the scalar tail of the vector paths). */
function inputs(): Float32Array {
  const rand = rng(99);
  const edges = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 0.5, -0.5, 20, -20, 30, -30, 15.9, -15.9, 80, -80];
  const sweep = Array.from({ length: 20001 }, (_, i) => -90 + i * 0.0055); // dense sweep over [-90, 20]
  return Float32Array.from([...edges, ...randomArray(rand, 1001, -12, 12), ...sweep]);
}


describe('activations vs float64 Math, 1e-6 relative', () => {
  const cases: Array<[Act, number]> = [
    [Act.None, 0], [Act.Relu, 0], [Act.LeakyRelu, 0.01], [Act.LeakyRelu, 0.3], [Act.Sigmoid, 0], [Act.Tanh, 0],
    [Act.Exp, 0], [Act.Softplus, 0], [Act.Elu, 1], [Act.Elu, 0.5],
  ];
  for (const [act, alpha] of cases) {
    it(`${ACT_NAME[act]} alpha=${alpha}`, () => {
      const x = act === Act.Exp ? inputs().map((v) => Math.max(-80, Math.min(v, 80))) : inputs();
      const y = runUnary(act, alpha, x);
      const expected = Array.from(x, (v) => {
        const r = refActivation(v, act, alpha);
        // Results below the f32 normal range cannot carry 1e-6 relative accuracy; compare them absolutely.
        return Math.abs(r) < 1e-37 ? 0 : r;
      });
      const mag = expected.map((e) => Math.max(Math.abs(e), 1e-37));
      expectClose(y, expected, mag, 1e-6, ACT_NAME[act]);
    });
  }

  // exp, softplus and elu run only in f64 (compact exp/log of assembly/kernels/compact_math.ts) and round once:
  // apart from rare ties their results are the correctly rounded f32 of the exact value.
  const f32Ulp = (v: number): number => 2 ** (Math.max(Math.floor(Math.log2(Math.abs(v))), -126) - 23);
  const accurate: Array<[Act, number, (v: number) => number]> = [
    [Act.Exp, 0, Math.exp],
    [Act.Softplus, 0, (v) => Math.max(v, 0) + Math.log1p(Math.exp(-Math.abs(v)))],
    [Act.Elu, 0.7, (v) => (v > 0 ? v : Math.fround(0.7) * Math.expm1(v))], // the model stores alpha as f32
  ];
  for (const [act, alpha, exact] of accurate) {
    it(`${ACT_NAME[act]} is within 0.501 f32 ulp of the float64 value`, () => {
      const tiny = Array.from({ length: 2000 }, (_, i) => (i % 2 ? 1 : -1) * 1e-9 * 1.01 ** i); // near 0, where expm1 matters
      const x = Float32Array.from([...inputs(), ...tiny].map((v) => (act === Act.Exp ? Math.min(v, 88) : v)));
      const y = runUnary(act, alpha, x);
      for (let i = 0; i < x.length; i++) {
        const want = exact(x[i]);
        if (want === 0) expect(y[i] === 0, `${ACT_NAME[act]}(${x[i]}) = ${y[i]}`).toBe(true);
        else expect(Math.abs(y[i] - want) / f32Ulp(want), `${ACT_NAME[act]}(${x[i]}) = ${y[i]}, exact ${want}`).toBeLessThanOrEqual(0.501);
      }
    });
  }

  it('special values: NaN stays NaN, infinities saturate, signed zeros keep their sign', () => {
    const specials = [NaN, Infinity, -Infinity, 0, -0, 3e38, -3e38, 1e-45, -1e-45];
    for (const [act, alpha] of [[Act.Relu, 0], [Act.LeakyRelu, 0.1], [Act.Sigmoid, 0], [Act.Tanh, 0], [Act.Exp, 0], [Act.Softplus, 0], [Act.Elu, 0.5]] as const) {
      for (const v of specials) {
        // 5 copies: four take the vector path where there is one, the last the scalar path
        const y = runUnary(act, alpha, new Float32Array(5).fill(v));
        let want = Math.fround(refActivation(v, act, alpha));
        if (act === Act.Elu && v === 0) want = v; // ONNX Elu: x for x >= 0, so -0 stays -0
        if ((act === Act.Relu || act === Act.LeakyRelu) && v === 0) want = v; // max(x, 0) of a zero is that zero: -0 stays -0
        for (const got of y) expect(Object.is(got, want) || (Math.abs(want) <= 2 ** -149 && got === want), `${ACT_NAME[act]}(${v}) = ${got}, expected ${want}`).toBe(true);
      }
    }
  });

  it('relu maps negatives to +0 or -0 and keeps positives bit-exact', () => {
    const x = inputs();
    const y = runUnary(Act.Relu, 0, x);
    for (let i = 0; i < x.length; i++) expect(y[i] === (x[i] > 0 ? x[i] : 0)).toBe(true);
  });

  it('fused activation after BINARY', () => {
    const x = randomArray(rng(5), 37, -4, 4);
    const b = randomArray(rng(6), 37, -1, 1);
    const mb = new ModelBuilder();
    const input = mb.activation([37]);
    const out = mb.activation([37]);
    mb.op({ op: Op.Binary, out, a: input, b: mb.constF32(b, [37]), act: Act.Tanh, params: [BinaryKind.Add, 37] });
    const rt = new WasmRuntime();
    expect(rt.load(mb.build(input, [out]))).toBe(0);
    const y = rt.run(EntryKind.Decode, x, 1, [37])[0];
    const expected = Array.from(x, (v, i) => Math.tanh(v + b[i]));
    expectClose(y, expected, expected.map((e) => Math.abs(e) + 1e-6), 1e-6, 'tanh(a+b)');
  });
});
