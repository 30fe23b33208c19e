import { describe, it, expect } from 'vitest';
import { Act, DType, EntryKind, Op } from '../../runtime/format-constants.js';
import { ModelBuilder } from '../helpers/model-builder.js';
import { WasmRuntime, expectClose, randomArray, rng } from './harness.js';
import { type ConvSpec, convOutSize, packConvWeights, refConv, refDense } from './reference.js';

/** f32 -> IEEE half bits, round to nearest even (test-side encoder, independent of the runtime's decoder). */
function toHalf(v: number): number {
  const f = new Float32Array([v]);
  const bits = new Uint32Array(f.buffer)[0];
  const sign = (bits >>> 16) & 0x8000;
  const abs = Math.abs(v);
  if (Number.isNaN(v)) return 0x7e00;
  if (abs >= 65520) return sign | 0x7c00;
  if (abs < 2 ** -24 / 2) return sign;
  const e = Math.max(Math.floor(Math.log2(abs)), -14);
  const q = abs / 2 ** (e - 10); // mantissa with 10 fraction bits, as a real number
  let m = Math.round(q);
  if (Math.abs(q - Math.trunc(q) - 0.5) < 1e-12 && m % 2 === 1) m -= 1; // ties to even
  if (e === -14 && m < 1024) return sign | m; // subnormal
  if (m === 2048) return sign | ((e + 1 + 15) << 10);
  return sign | ((e + 15) << 10) | (m - 1024);
}

function fromHalf(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}

function halfBytes(values: Float32Array): { bytes: Uint8Array; decoded: Float32Array } {
  const h = new Uint16Array(values.length);
  const decoded = new Float32Array(values.length);
  values.forEach((v, i) => { h[i] = toHalf(v); decoded[i] = fromHalf(h[i]); });
  return { bytes: new Uint8Array(h.buffer), decoded };
}

describe('f16 weights (widened to f32 at load)', () => {
  it('the test encoder round-trips representative halves', () => {
    for (const v of [0, 1, -2.5, 65504, 6.103515625e-5, 5.960464477539063e-8, 0.1]) expect(Math.abs(fromHalf(toHalf(v)) - v)).toBeLessThanOrEqual(Math.abs(v) * 2 ** -11);
  });

  it('dense with f16 weights and bias equals the f32 reference on the decoded values', () => {
    const rand = rng(3);
    const [K, M, n] = [23, 41, 3];
    const w = halfBytes(randomArray(rand, K * M));
    const b = halfBytes(randomArray(rand, M));
    const x = randomArray(rand, n * K);
    const mb = new ModelBuilder();
    const input = mb.activation([K]);
    const out = mb.activation([M]);
    mb.op({ op: Op.Dense, out, a: input, b: mb.constRaw(DType.F16, w.bytes, [K, M]), c: mb.constRaw(DType.F16, b.bytes, [M]), act: Act.Relu });
    const rt = new WasmRuntime();
    expect(rt.load(mb.build(input, [out]), n)).toBe(0);
    const ref = refDense(x, n, K, M, w.decoded, b.decoded, Act.Relu);
    expectClose(rt.run(EntryKind.Decode, x, n, [M])[0], ref.value, ref.magnitude, 1e-5, 'f16 dense');
  });

  it('conv with f16 weights, including subnormal and extreme halves', () => {
    const rand = rng(4);
    const s: ConvSpec = { n: 1, Ci: 5, H: 6, W: 6, Co: 6, kh: 3, kw: 3, sh: 1, sw: 1, pt: 1, pl: 1, pb: 1, pr: 1, dh: 1, dw: 1, groups: 1 };
    const raw = randomArray(rand, s.Co * s.Ci * 9);
    raw[0] = 3e-7; raw[1] = -6e-8; raw[2] = 60000; raw[3] = 0;
    const w = halfBytes(raw);
    const x = randomArray(rand, s.Ci * s.H * s.W);
    const packedBytes = halfBytes(packConvWeights(s, w.decoded)).bytes; // exact: decoded values are halves
    const [OH, OW] = convOutSize(s);
    const mb = new ModelBuilder();
    const { input, hwc } = mb.spatialInput(s.Ci, s.H, s.W);
    const y = mb.activation([s.Co, OH, OW]);
    mb.op({ op: Op.Conv2D, out: y, a: hwc, b: mb.constRaw(DType.F16, packedBytes, [3, 3, s.Ci, s.Co]), params: [3, 3, 1, 1, 1, 1, 1, 1, 1] });
    const out = mb.spatialOutput(y, s.Co, OH, OW);
    const rt = new WasmRuntime();
    expect(rt.load(mb.build(input, [out]))).toBe(0);
    const ref = refConv(s, x, w.decoded, null);
    expectClose(rt.run(EntryKind.Decode, x, 1, [s.Co * OH * OW])[0], ref.value, ref.magnitude, 1e-5, 'f16 conv');
  });
});
