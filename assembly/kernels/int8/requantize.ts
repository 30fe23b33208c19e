// Requantization of int32 accumulators to int8 with an f32 multiplier per output channel (as onnxruntime's
// MLAS requantizes on x86):
//   m[c] = f32(f64(sIn) * f64(sW[c]) / f64(sOut))                      (once at load, prepareRequant)
//   p = f32(acc + bias) * m[c]                                         (f32(i32): round to nearest even)
//   p = p < 0 ? p * slope : p                                           (fused leaky relu; slope 1 otherwise)
//   q = clamp(nearestEven(p) + zpOut, lo, 127)
// Leaky relu is positively homogeneous (leaky(acc * sIn * sW) / sOut = leaky(acc) * m), so it fuses exactly
// like relu (the clamp at zpOut); other ops pass slope 1 and run the plain loop (p * 1 = p: the same bits).
// Each step is one correctly rounded IEEE operation (int -> f32 conversion, f32 multiply, rounding to an
// integer), so every engine gives the same bits; mirrored by reference/quant-arithmetic.ts. Four values
// cost a handful of single-instruction SIMD ops instead of the 64-bit products of exact fixed-point rounding;
// the f32 roundings of acc, m and the product move a result by a few 2^-16 of a step at most (for |q| <= 256),
// which changes an output only at near-ties.

import { ACT_RELU, ACT_LEAKY_RELU } from '../../format';

/** Bytes of the requantization table of `count` channels: m[c] as f32. */
@inline export function requantTableBytes(count: u32): usize { return <usize>count << 2; }

/**
 * Largest multiplier kept (2^64): then |f32(acc) * m| <= 2^95 stays finite, so neither acc = 0 nor a leaky
 * slope of 0 can make a NaN (0 * inf). Any product beyond 2^22 saturates, so the cap changes no output.
 */
const MAX_MULTIPLIER: f64 = 18446744073709551616.0;

/** Writes the table of `count` channels (per-channel weight scales at wScales) to rq. */
export function prepareRequant(sIn: f32, wScales: usize, sOut: f32, count: u32, rq: usize): void {
  for (let c: u32 = 0; c < count; c++) {
    const m: f64 = (<f64>sIn * <f64>load<f32>(wScales + (<usize>c << 2))) / <f64>sOut;
    // NaN or m <= 0 (never produced by the converter): every output is the zero point
    store<f32>(rq + (<usize>c << 2), m > 0 ? <f32>min(m, MAX_MULTIPLIER) : 0);
  }
}

// nearestEven(p) + zp with one f32 add and one i32 sub instead of f32x4.nearest + i32x4.trunc_sat_f32x4_s (the latter
// several instructions on x86: 2.5% slower on the whole decoder). For |p| <= 2^22 the sum
// p + 1.5 * 2^23 lies in [2^23, 2^24], where consecutive f32 values are 1 apart, so the add rounds p to the
// nearest integer, ties to even (1.5 * 2^23 is even), and the sum's bits are those of 1.5 * 2^23 plus that
// integer. Clamping p to +-2^22 first (pmin/pmax: no NaN here) changes no output: beyond, all saturate anyway.
const ROUNDING_BIAS: f32 = 12582912.0; // 1.5 * 2^23
const ROUNDING_BIAS_BITS: i32 = 0x4B40_0000;
const P_LIMIT: f32 = 4194304.0; // 2^22

/**
 * nearestEven(clamp(leaky(f32(a) * m), -2^22, 2^22)) + zp per lane; zpBits = ROUNDING_BIAS_BITS - zp. `leaky`
 * is a constant at every (inlined) use, so ops without leaky relu compile without its three instructions.
 */
@inline function roundedPlusZp(a: v128, m: v128, zpBits: v128, slope: v128, leaky: bool): v128 {
  let p = f32x4.mul(f32x4.convert_i32x4_s(a), m);
  if (leaky) p = v128.bitselect(f32x4.mul(p, slope), p, f32x4.lt(p, f32x4.splat(0)));
  p = f32x4.pmax(f32x4.pmin(p, f32x4.splat(P_LIMIT)), f32x4.splat(-P_LIMIT));
  return i32x4.sub(f32x4.add(p, f32x4.splat(ROUNDING_BIAS)), zpBits);
}

/**
 * The i8 outputs of eight accumulators a0, a1 (bias included) with multipliers m0, m1 in bytes 0..7: the
 * saturating narrowings are the clamp to [-128, 127], and lo >= -128 only raises the lower bound.
 */
@inline function requantize8(a0: v128, a1: v128, m0: v128, m1: v128, zpBits: v128, lo: v128, slope: v128, leaky: bool): v128 {
  const h = i16x8.narrow_i32x4_s(roundedPlusZp(a0, m0, zpBits, slope, leaky), roundedPlusZp(a1, m1, zpBits, slope, leaky));
  return i8x16.max_s(i8x16.narrow_i16x8_s(h, h), lo);
}

/** Like requantize8 for four accumulators: the outputs in bytes 0..3. */
@inline function requantize4(a: v128, m: v128, zpBits: v128, lo: v128, slope: v128, leaky: bool): v128 {
  const q = roundedPlusZp(a, m, zpBits, slope, leaky);
  const h = i16x8.narrow_i32x4_s(q, q);
  return i8x16.max_s(i8x16.narrow_i16x8_s(h, h), lo);
}

/**
 * out[c] = requant(acc[c] + bias[c]) for c in [0, count), for `rows` rows of the same channels (e.g. the
 * pixels of a tile: row j reads acc + j * accStep and writes out + j * outStep); channel parameters start at
 * channel `first` of the table rq and of bias. lo = -128, or the output zero point for a fused relu; slope:
 * the fused leaky relu's alpha, else 1 (outputLow / negativeSlope give both).
 */
@inline export function requantizeRows(acc: usize, accStep: usize, rows: i32, bias: usize, rq: usize, first: u32,
  out: usize, outStep: usize, count: u32, zpOut: i32, lo: i32, slope: f32): void {
  // one branch per call, in the caller: relu / none keep the function they had before leaky relu was fused
  // (a multiply by 1 per value cost the int8 decoder ~3%, a branch inside the shared function ~1%)
  if (slope != 1) leakyRows(acc, accStep, rows, bias, rq, first, out, outStep, count, zpOut, lo, slope);
  else plainRows(acc, accStep, rows, bias, rq, first, out, outStep, count, zpOut, lo);
}

function plainRows(acc: usize, accStep: usize, rows: i32, bias: usize, rq: usize, first: u32,
  out: usize, outStep: usize, count: u32, zpOut: i32, lo: i32): void {
  rowsOf(acc, accStep, rows, bias, rq, first, out, outStep, count, zpOut, lo, 1, false);
}

function leakyRows(acc: usize, accStep: usize, rows: i32, bias: usize, rq: usize, first: u32,
  out: usize, outStep: usize, count: u32, zpOut: i32, lo: i32, slope: f32): void {
  rowsOf(acc, accStep, rows, bias, rq, first, out, outStep, count, zpOut, lo, slope, true);
}

@inline function rowsOf(acc: usize, accStep: usize, rows: i32, bias: usize, rq: usize, first: u32,
  out: usize, outStep: usize, count: u32, zpOut: i32, lo: i32, slope: f32, leaky: bool): void {
  const mults = rq + (<usize>first << 2), bp = bias ? bias + (<usize>first << 2) : 0;
  const zp = i32x4.splat(ROUNDING_BIAS_BITS - zpOut), lov = i8x16.splat(<i8>lo), sv = f32x4.splat(slope);
  for (let j: i32 = 0; j < rows; j++) {
    let c: u32 = 0;
    for (; c + 8 <= count; c += 8) {
      const o = <usize>c << 2;
      let a0 = v128.load(acc + o), a1 = v128.load(acc + o, 16);
      if (bp) { a0 = i32x4.add(a0, v128.load(bp + o)); a1 = i32x4.add(a1, v128.load(bp + o, 16)); }
      v128.store64_lane(out + c, requantize8(a0, a1, v128.load(mults + o), v128.load(mults + o, 16), zp, lov, sv, leaky), 0);
    }
    if (c + 4 <= count) {
      const o = <usize>c << 2;
      let a = v128.load(acc + o);
      if (bp) a = i32x4.add(a, v128.load(bp + o));
      v128.store32_lane(out + c, requantize4(a, v128.load(mults + o), zp, lov, sv, leaky), 0);
      c += 4;
    }
    // the last channels one at a time, in lane 0 (the same arithmetic, no reads past the table or the bias)
    for (; c < count; c++) {
      const o = <usize>c << 2;
      const a = i32x4.splat(load<i32>(acc + o) + (bp ? load<i32>(bp + o) : 0));
      v128.store8_lane(out + c, requantize4(a, v128.load32_splat(mults + o), zp, lov, sv, leaky), 0);
    }
    acc += accStep; out += outStep;
  }
}

/**
 * Four accumulators of the one channel `ch` (in the lanes: e.g. the four pixels of a narrow conv tile), bias
 * included here, requantized like requantizeRows: bytes 0..3 of the result are the four i8 outputs.
 */
export function requantizeChannelLanes(a: v128, bias: usize, rq: usize, ch: u32, zpOut: i32, lo: i32, slope: f32): v128 {
  const o = <usize>ch << 2;
  if (bias) a = i32x4.add(a, i32x4.splat(load<i32>(bias + o)));
  const m = v128.load32_splat(rq + o), zp = i32x4.splat(ROUNDING_BIAS_BITS - zpOut), lov = i8x16.splat(<i8>lo);
  return slope != 1 ? requantize4(a, m, zp, lov, f32x4.splat(slope), true) : requantize4(a, m, zp, lov, f32x4.splat(1), false);
}

/** The clamp's lower bound for fused activation act (format.ts ACT_*): the zero point for relu, else -128. */
export function outputLow(act: u32, zpOut: i32): i32 { return act == ACT_RELU ? max(zpOut, -128) : -128; }

/** The slope of negative values for fused activation act: alpha for leaky relu, else 1 (no change). */
export function negativeSlope(act: u32, alpha: f32): f32 { return act == ACT_LEAKY_RELU ? alpha : 1; }
