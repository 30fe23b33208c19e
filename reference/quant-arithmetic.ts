// Quantization arithmetic shared by the converter and the TypeScript interpreter, mirroring the runtime:
// activation/weight quantization parameters, QUANTIZE rounding and the f32-multiplier requantization of
// assembly/kernels/int8/requantize.ts (same f64 multiplier, same f32 roundings, bit for bit).

export interface QuantParams { scale: number; zeroPoint: number }

const f32 = Math.fround;

/** Round half to even (ONNX QuantizeLinear, wasm f32.nearest). */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return r - x === 0.5 && r % 2 !== 0 ? r - 1 : r;
}

/** Round half away from zero (weights, biases, zero points). */
export function roundHalfAway(x: number): number {
  return x < 0 ? -Math.round(-x) : Math.round(x);
}

/**
 * Asymmetric int8 parameters for a real range (widened to contain 0, so 0 is exactly representable and
 * zero padding stays exact): scale = (max - min) / 255, zeroPoint = -128 - round(min / scale).
 */
export function activationParams(min: number, max: number): QuantParams {
  if (!Number.isFinite(min) || !Number.isFinite(max) || min > max) throw new Error(`activation range [${min}, ${max}] is not a finite interval`);
  const lo = Math.min(min, 0), hi = Math.max(max, 0);
  const scale = f32(Math.max(hi - lo, 1e-8) / 255);
  const zeroPoint = Math.max(-128, Math.min(127, -128 - roundHalfAway(lo / scale)));
  return { scale, zeroPoint };
}

/** The runtime's QUANTIZE of one f32 value (f32 division, round half to even, saturate; NaN -> zero point). */
export function quantizeValue(x: number, scale: number, zeroPoint: number): number {
  const q = roundHalfEven(f32(f32(x) / scale)) + zeroPoint;
  if (Number.isNaN(q)) return zeroPoint;
  return Math.max(-128, Math.min(127, q));
}

export const dequantizeValue = (q: number, scale: number, zeroPoint: number): number => f32((q - zeroPoint) * scale);

/**
 * Symmetric per-output-channel int8 weights (zero point 0, values in -127..127). `channelOf(i)` maps a flat
 * weight index to its output channel. All-zero channels get scale 1 (the format needs scales > 0).
 */
export function quantizeWeights(w: Float32Array, channels: number, channelOf: (i: number) => number): { q: Int8Array; scales: Float32Array } {
  const maxAbs = new Float64Array(channels);
  for (let i = 0; i < w.length; i++) {
    const c = channelOf(i);
    maxAbs[c] = Math.max(maxAbs[c]!, Math.abs(w[i]!));
  }
  const scales = new Float32Array(channels);
  for (let c = 0; c < channels; c++) scales[c] = maxAbs[c]! > 0 ? maxAbs[c]! / 127 : 1;
  const q = new Int8Array(w.length);
  for (let i = 0; i < w.length; i++) q[i] = Math.max(-127, Math.min(127, roundHalfAway(w[i]! / scales[channelOf(i)]!)));
  return { q, scales };
}

/** Output channel of flat index i of a runtime-layout weight tensor [G, taps, Cig, Cog] (dense: G = taps = 1). */
export function weightChannelOf(length: number, groups: number, cog: number): (i: number) => number {
  const perGroup = length / groups;
  return (i) => Math.floor(i / perGroup) * cog + (i % cog);
}

/** i32 bias in accumulator units: round(b / (sIn * sW[c])), saturated to int32. */
export function quantizeBias(bias: Float32Array, sIn: number, wScales: Float32Array): Int32Array {
  const out = new Int32Array(bias.length);
  for (let c = 0; c < bias.length; c++) {
    const v = roundHalfAway(bias[c]! / (sIn * wScales[c]!));
    out[c] = Math.max(-2147483648, Math.min(2147483647, v));
  }
  return out;
}

/**
 * Requantization multipliers are capped at 2^64 (runtime: MAX_MULTIPLIER), so f32(acc) * m stays finite and a
 * leaky slope of 0 never meets an infinity; every product beyond 2^22 saturates anyway.
 */
const MAX_MULTIPLIER = 2 ** 64;

/** f32 requantization multiplier m = f32(sIn * sW / sOut) from the f32 scales in f64, as prepareRequant in the runtime. */
export function requantMultiplier(sIn: number, sW: number, sOut: number): number {
  const m = (f32(sIn) * f32(sW)) / f32(sOut);
  return m > 0 ? f32(Math.min(m, MAX_MULTIPLIER)) : 0;
}

/**
 * nearest_even(f32(acc) * m) for an int32 accumulator (bias included) and an f32 multiplier: each step one
 * correctly rounded f32 operation, like the runtime's f32x4 convert, mul and nearest. (The f64 product of two
 * f32 values is exact, so rounding it once to f32 is the f32 multiply.) With a fused leaky relu (slope =
 * its f32 alpha) a negative product is multiplied by the slope (one more f32 multiply) before the rounding:
 * leaky relu is positively homogeneous, so leaky(acc * sIn * sW) / sOut = leaky(acc) * m. Unclamped: the
 * caller adds the zero point and clamps to [lo, 127], which the runtime's saturating conversion and narrowing do.
 */
export function requantize(acc: number, m: number, leakySlope?: number): number {
  const p = f32(f32(acc) * m);
  return roundHalfEven(leakySlope !== undefined && p < 0 ? f32(p * f32(leakySlope)) : p);
}

/** IEEE half bits of an f32 value, round to nearest even (f16 weights). */
export function toHalfBits(v: number): number {
  const buf = new DataView(new ArrayBuffer(4));
  buf.setFloat32(0, v, true);
  const x = buf.getUint32(0, true);
  const sign = (x >>> 16) & 0x8000;
  const exp = (x >>> 23) & 0xff;
  let mant = x & 0x7fffff;
  if (exp === 0xff) return sign | 0x7c00 | (mant ? 0x200 : 0); // inf / NaN
  let e = exp - 127 + 15;
  if (e >= 0x1f) return sign | 0x7c00; // overflow -> inf
  if (e <= 0) {
    if (e < -10) return sign; // underflow -> signed zero
    mant |= 0x800000; // subnormal: shift the implicit bit in
    const shift = 14 - e;
    const half = 1 << (shift - 1);
    const rest = mant & ((1 << shift) - 1);
    let h = mant >>> shift;
    if (rest > half || (rest === half && (h & 1))) h++;
    return sign | h;
  }
  const rest = mant & 0x1fff;
  let h = (e << 10) | (mant >>> 13);
  if (rest > 0x1000 || (rest === 0x1000 && (h & 1))) h++; // may carry into the exponent: still correct
  return sign | h;
}

export function fromHalfBits(h: number): number {
  const s = h & 0x8000 ? -1 : 1;
  const e = (h >>> 10) & 0x1f, m = h & 0x3ff;
  if (e === 0) return s * m * 2 ** -24;
  if (e === 31) return m ? NaN : s * Infinity;
  return s * (1 + m / 1024) * 2 ** (e - 15);
}
