// The activations added for PyTorch VAEs (gelu, silu, mish, hard_swish, clip, gelu_tanh) and BINARY prelu:
// the wasm kernels against the float64 twins (tests/kernels/reference.ts, reference/erf.ts).
import { describe, it, expect } from 'vitest';
import { Act, ACT_NAME, BinaryKind, EntryKind, Op } from '../../runtime/format-constants.js';
import { clipAlpha, clipBounds } from '../../runtime/clip-bounds.js';
import { erf, gelu, geluApprox } from '../../reference/erf.js';
import { activate } from '../../reference/interpreter.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { WasmRuntime, randomArray, rng, runUnary } from './harness.js';
import { refActivation } from './reference.js';

function inputs(): Float32Array {
  const rand = rng(7);
  const edges = [0, -0, 1e-30, -1e-30, 1e-7, -1e-7, 0.5, -0.5, 0.3535, -0.3535, 0.7072, -0.7072, 3, -3, 20, -20, 30, -30, 80, -80];
  const sweep = Array.from({ length: 8003 }, (_, i) => -40 + i * 0.0075); // odd length: the tail path too
  return Float32Array.from([...edges, ...randomArray(rand, 1001, -12, 12), ...sweep]);
}


/** Largest |got - want| / max(floor, |want|) over all elements. */
function worst(got: Float32Array, want: (v: number) => number, x: Float32Array, floor: (v: number) => number): { err: number; at: number } {
  let err = 0, at = 0;
  for (let i = 0; i < x.length; i++) {
    const w = want(x[i]);
    const e = Math.abs(got[i] - w) / Math.max(floor(x[i]), Math.abs(w));
    if (!(e <= err)) { err = e; at = x[i]; }
  }
  return { err, at };
}

describe('float64 erf and GELU twins', () => {
  it('matches known values to 1e-14', () => {
    const known: Array<[number, number]> = [[0.1, 0.1124629160182849], [0.5, 0.5204998778130465], [1, 0.8427007929497149],
      [2, 0.9953222650189527], [2.5, 0.999593047982555], [3, 0.9999779095030014], [-1.5, -0.9661051464753108], [4, 0.9999999845827421]];
    for (const [x, e] of known) expect(Math.abs(erf(x) - e), `erf(${x})`).toBeLessThan(1e-14);
  });

  it("the interpreter's GELU (the runtime's erf approximation) is within 1e-7 * max(1, |x|) of the exact one", () => {
    for (let x = -12; x <= 12; x += 0.001) expect(Math.abs(geluApprox(x) - gelu(x)), `gelu(${x})`).toBeLessThan(1e-7 * Math.max(1, Math.abs(x)));
  });
});

describe('extended activations vs float64', () => {
  it('gelu: erf implied by the kernel within 1e-6 absolute; gelu within 1e-6 * max(1, |x|)', () => {
    const x = inputs();
    const y = runUnary(Act.Gelu, 0, x);
    const r = worst(y, (v) => refActivation(v, Act.Gelu, 0), x, (v) => Math.max(1, Math.abs(v)) * 1e30);
    expect(r.err * 1e30, `gelu at ${r.at}`).toBeLessThan(1e-6);
    // erf(z) = 2 gelu(x)/x - 1 for x = z sqrt 2, away from 0 where the quotient loses precision
    let worstErf = 0;
    for (let i = 0; i < x.length; i++) {
      if (Math.abs(x[i]) < 0.05 || Math.abs(x[i]) > 12) continue;
      worstErf = Math.max(worstErf, Math.abs(2 * y[i] / x[i] - 1 - erf(x[i] / Math.SQRT2)));
    }
    expect(worstErf).toBeLessThan(1e-6);
  });

  const relative: Array<[Act, number, number]> = [[Act.Silu, 0, 1e-6], [Act.Mish, 0, 1e-6], [Act.GeluTanh, 0, 2e-6], [Act.HardSwish, 0, 1e-6]];
  // hard_swish computes x/6 + 1/2 in f32 as onnxruntime does: compare it relative to max(1, |y|);
  // gelu_tanh's f32 argument 1.6 (x + 0.045 x^3) carries its rounding into e^u: tiny tails compared to 1e-6
  for (const [act, alpha, tol] of relative) {
    it(`${ACT_NAME[act]} within ${tol} relative`, () => {
      const x = inputs();
      const y = runUnary(act, alpha, x);
      // results below 1e-30 (where the vector exp flushes) are compared absolutely
      const r = worst(y, (v) => refActivation(v, act, alpha), x, () => (act === Act.HardSwish ? 1 : act === Act.GeluTanh ? 1e-6 : 1e-30));
      expect(r.err, `${ACT_NAME[act]} at ${r.at}`).toBeLessThan(tol);
    });
  }

  it('clip: binary16 bounds from the alpha word, exact results, NaN stays NaN', () => {
    const cases: Array<[number, number]> = [[0x0000, 0x4600], [0xbc00, 0x3c00], [0xfc00, 0x3800], [0x3555, 0x7c00]]; // [0,6] [-1,1] [-inf,0.5] [0.333,inf]
    for (const [lo, hi] of cases) {
      const alpha = clipAlpha(lo, hi);
      const [l, h] = clipBounds(alpha);
      const x = Float32Array.from([...inputs(), NaN, Infinity, -Infinity]);
      const y = runUnary(Act.Clip, alpha, x);
      for (let i = 0; i < x.length; i++) {
        const want = Number.isNaN(x[i]) ? NaN : Math.fround(Math.min(Math.max(x[i], l), h));
        expect(Object.is(y[i], want) || y[i] === want, `clip[${l},${h}](${x[i]}) = ${y[i]}`).toBe(true);
      }
    }
  });

  it('the interpreter twin agrees with the kernels', () => {
    const x = inputs();
    for (const [act, alpha] of [[Act.Gelu, 0], [Act.Silu, 0], [Act.Mish, 0], [Act.HardSwish, 0], [Act.Clip, clipAlpha(0, 0x4600)], [Act.GeluTanh, 0]] as const) {
      const twin = activate(x, act, alpha);
      const y = runUnary(act, alpha, x);
      for (let i = 0; i < x.length; i++) expect(Math.abs(twin[i] - y[i]), `${ACT_NAME[act]}(${x[i]})`).toBeLessThanOrEqual(2e-6 * Math.max(1, Math.abs(x[i])));
    }
  });

  it('special values: NaN stays NaN, +inf saturates, -inf gives 0 or NaN (hard_swish, mish: -inf * 0 as onnxruntime computes it)', () => {
    for (const act of [Act.Gelu, Act.Silu, Act.Mish, Act.HardSwish, Act.GeluTanh]) {
      for (const [v, want] of [[NaN, NaN], [Infinity, Infinity], [-Infinity, NaN]] as const) {
        const y = runUnary(act, 0, new Float32Array(5).fill(v));
        for (const got of y) {
          if (Number.isNaN(want)) expect(Number.isNaN(got) || got === 0, `${ACT_NAME[act]}(${v}) = ${got}`).toBe(true);
          else expect(got === want || (want === 0 && got === 0), `${ACT_NAME[act]}(${v}) = ${got}`).toBe(true);
        }
      }
      const y = runUnary(act, 0, new Float32Array(5).fill(NaN));
      for (const got of y) expect(Number.isNaN(got), `${ACT_NAME[act]}(NaN)`).toBe(true);
    }
  });

  it('BINARY prelu: per-channel slopes with period C, fused activation after it', () => {
    const C = 6, n = C * 11;
    const x = randomArray(rng(3), n, -3, 3);
    const slope = randomArray(rng(4), C, -0.5, 0.5);
    const mb = new ModelBuilder();
    const input = mb.activation([n]);
    const out = mb.activation([n]);
    mb.op({ op: Op.Binary, out, a: input, b: mb.constF32(slope, [C]), act: Act.Silu, params: [BinaryKind.PRelu, C] });
    const rt = new WasmRuntime();
    expect(rt.load(mb.build(input, [out]))).toBe(0);
    const y = rt.run(EntryKind.Decode, x, 1, [n])[0];
    for (let i = 0; i < n; i++) {
      const p = x[i] > 0 ? x[i] : Math.fround(x[i] * slope[i % C]);
      expect(Math.abs(y[i] - refActivation(p, Act.Silu, 0))).toBeLessThan(1e-6);
    }
  });
});
