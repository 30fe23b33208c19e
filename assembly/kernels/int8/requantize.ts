// Fixed-point requantization of int32 accumulators to int8, as in TFLite / ONNX QLinear:
//   real multiplier M = sIn * sW[c] / sOut (f64 from the f32 scales, so every engine gets the same bits)
//   M = mult * 2^-shift with mult a Q31 integer in [2^30, 2^31) and shift in [1, 62]
//   q = clamp(zpOut + roundHalfAwayFromZero(acc * mult / 2^shift), lo, 127)
// One rounding step on the exact i64 product (no double rounding). Mirrored by converter/quantize/fixed-point.ts.

// The table of an op (computed once at load, prepareRequant), for `count` channels:
//   [0, 8C)          (mult, shift) i32 pairs, read by the scalar path
//   [8C, 8C+16)      i32 S: max(1, max(shift) - 32) when every shift - 32 is in [0, MAX_SIMD_SHIFT] (the SIMD
//                    path applies), else -1
//   then mult[C] (i32), cap[C] (u32), scaleUp[C] (i32 2^(S-s)), s = shift - 32
// SIMD path, 4 channels at a time, exact. With u = |acc| and f(u) = floor((u * mult + 2^(shift-1)) / 2^shift)
// (the magnitude of the result):
// - f is monotonic and every f >= 256 gives the same output (zp +- 256 lies outside [-128, 127] for every zero
//   point), so u is first capped at cap >= the smallest u with f(u) >= 256; cap < 2^(10+s).
// - u' = min(u, cap) * 2^(S-s) < 2^(10+S) <= 2^31 and f = floor((u' * mult + 2^(31+S)) / 2^(32+S)) (numerator
//   and denominator times 2^(S-s)): one uniform shift for all lanes.
// - With P = u' * mult (< 2^62, u64 lanes of i64x2.extmul) and S >= 1, 2^(31+S) only adds 2^(S-1) to the high
//   word of P, so f = (hi32(P) + 2^(S-1)) >> S in plain i32 lanes, the low word cannot carry into the result.

/** Bytes of the requantization table of `count` channels. */
@inline export function requantTableBytes(count: u32): usize { return <usize>count * 20 + 16; }
/** Largest shift - 32 of the SIMD path: min(u, cap) * 2^S must fit an i32 lane (smaller M rounds to ~0 anyway). */
const MAX_SIMD_SHIFT: i32 = 21;
@inline function flagAt(rq: usize, count: u32): usize { return rq + (<usize>count << 3); }
@inline function multsAt(rq: usize, count: u32): usize { return rq + (<usize>count << 3) + 16; }
@inline function capsAt(rq: usize, count: u32): usize { return rq + <usize>count * 12 + 16; }
@inline function scaleUpsAt(rq: usize, count: u32): usize { return rq + (<usize>count << 4) + 16; }

/** Writes the table of `count` channels (per-channel weight scales at wScales) to rq. */
export function prepareRequant(sIn: f32, wScales: usize, sOut: f32, count: u32, rq: usize): void {
  let S: i32 = 0;
  for (let c: u32 = 0; c < count; c++) {
    const m: f64 = (<f64>sIn * <f64>load<f32>(wScales + (<usize>c << 2))) / <f64>sOut;
    let mult: i32 = 0, shift: i32 = 1;
    if (m > 0 && m < Infinity) {
      // frexp by exact doubling/halving: m = frac * 2^e, frac in [0.5, 1)
      let frac = m, e: i32 = 0;
      while (frac >= 1.0) { frac *= 0.5; e++; }
      while (frac < 0.5) { frac *= 2.0; e--; }
      let q = <i64>Math.floor(frac * 2147483648.0 + 0.5);
      if (q == 2147483648) { q = 1073741824; e++; }
      shift = 31 - e;
      if (shift < 1) { shift = 1; q = 2147483647; } // M >= 2^30 saturates (never produced by the converter)
      if (shift > 62) { shift = 1; q = 0; } // M < 2^-31: every |acc| < 2^31 rounds to 0
      mult = <i32>q;
    }
    store<i32>(rq + (<usize>c << 3), mult);
    store<i32>(rq + (<usize>c << 3), shift, 4);
    S = shift < 32 || S < 0 ? -1 : max(S, shift - 32);
  }
  if (S > MAX_SIMD_SHIFT) S = -1;
  if (S == 0) S = 1; // the high-word rounding needs S >= 1 (the scale-up by 2 stays exact)
  for (let c: u32 = 0; c < count; c++) {
    const mult = load<i32>(rq + (<usize>c << 3)), shift = load<i32>(rq + (<usize>c << 3), 4), s = shift - 32;
    store<i32>(multsAt(rq, count) + (<usize>c << 2), mult);
    // f(u) >= 256 iff u >= 511 * 2^(shift-1) / mult; + 2 covers the f64 rounding of that quotient
    // (cap <= 1022 * 2^s + 2 < 2^(10+s) as mult >= 2^30)
    const cap = S > 0 ? <u32>Math.floor(511.0 * reinterpret<f64>(<i64>(1022 + shift) << 52) / <f64>mult) + 2 : 0; // 2^(shift-1) exactly
    store<u32>(capsAt(rq, count) + (<usize>c << 2), cap);
    store<i32>(scaleUpsAt(rq, count) + (<usize>c << 2), S > 0 ? 1 << (S - s) : 0);
  }
  store<i32>(flagAt(rq, count), S);
}

export function requantizeOne(acc: i32, mult: i32, shift: i32): i32 {
  const p = <i64>acc * <i64>mult;
  const half = (<i64>1) << (shift - 1);
  return p >= 0 ? <i32>((p + half) >> shift) : -<i32>((-p + half) >> shift);
}

/** Lanes 1 and 3 of a and of b (the high halves of four u64 lanes), as one i32x4. */
@inline function highHalves(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
}

/** Requantizes 4 channels (acc already includes the bias) with the table entries at channel c (see the top of this file). */
@inline function requantize4(a: v128, mults: usize, caps: usize, ups: usize, c: usize, S: i32, round: v128): v128 {
  return cappedLanes(a, v128.load(mults + (c << 2)), v128.load(caps + (c << 2)), v128.load(ups + (c << 2)), S, round);
}

/** The requantization of the four lanes of a, each with its own table values (m, cap, up); round = 2^(S-1). */
@inline function cappedLanes(a: v128, m: v128, cap: v128, up: v128, S: i32, round: v128): v128 {
  const sign = i32x4.shr_s(a, 31);
  const u = i32x4.mul(i32x4.min_u(i32x4.abs(a), cap), up);
  const r = i32x4.shr_u(i32x4.add(highHalves(i64x2.extmul_low_i32x4_u(u, m), i64x2.extmul_high_i32x4_u(u, m)), round), S);
  return i32x4.sub(v128.xor(r, sign), sign);
}

/**
 * The i8 outputs of 8 requantized values (i32x4 each, |q| < 2^11) in bytes 0..7: zp added and the clamp to
 * [lo, 127] done on narrowed lanes. Exact: q and q + zp fit i16, the saturating i16 -> i8 narrowing is the
 * clamp to [-128, 127] and lo >= -128 only raises the lower bound.
 */
@inline function outputBytes(q0: v128, q1: v128, zp: v128, lo: v128): v128 {
  const h = i16x8.add_sat_s(i16x8.narrow_i32x4_s(q0, q1), zp);
  return i8x16.max_s(i8x16.narrow_i16x8_s(h, h), lo);
}

/**
 * out[c] = clamp(zpOut + requant(acc[c] + bias[c]), lo, 127) for c in [0, count), for `rows` rows of the same
 * channels (e.g. the pixels of a tile: row j reads acc + j * accStep and writes out + j * outStep); channel
 * parameters start at channel `first` of the table rq (of `total` channels) and of bias. lo = -128, or the
 * output zero point for a fused relu.
 */
export function requantizeRows(acc: usize, accStep: usize, rows: i32, bias: usize, rq: usize, total: u32, first: u32,
  out: usize, outStep: usize, count: u32, zpOut: i32, lo: i32): void {
  const S = load<i32>(flagAt(rq, total));
  const mults = multsAt(rq, total) + (<usize>first << 2), round = i32x4.splat((1 << S) >> 1);
  const caps = capsAt(rq, total) + (<usize>first << 2), ups = scaleUpsAt(rq, total) + (<usize>first << 2);
  const bp = bias ? bias + (<usize>first << 2) : 0, zp = i16x8.splat(<i16>zpOut), lov = i8x16.splat(<i8>lo);
  const tp = rq + (<usize>first << 3);
  for (let j: i32 = 0; j < rows; j++) {
    let c: u32 = 0;
    // 8 channels per step on the SIMD path, a last 4 when there are; the rest (and everything without it) by the scalar rule
    if (S >= 0) {
      for (; c + 8 <= count; c += 8) {
        let a0 = v128.load(acc + (<usize>c << 2)), a1 = v128.load(acc + (<usize>c << 2), 16);
        if (bp) { a0 = i32x4.add(a0, v128.load(bp + (<usize>c << 2))); a1 = i32x4.add(a1, v128.load(bp + (<usize>c << 2), 16)); }
        v128.store64_lane(out + c, outputBytes(requantize4(a0, mults, caps, ups, c, S, round), requantize4(a1, mults, caps, ups, c + 4, S, round), zp, lov), 0);
      }
      if (c + 4 <= count) {
        let a = v128.load(acc + (<usize>c << 2));
        if (bp) a = i32x4.add(a, v128.load(bp + (<usize>c << 2)));
        const q = requantize4(a, mults, caps, ups, c, S, round);
        v128.store32_lane(out + c, outputBytes(q, q, zp, lov), 0);
        c += 4;
      }
    }
    for (; c < count; c++) {
      const o = <usize>c << 2;
      const a = load<i32>(acc + o) + (bp ? load<i32>(bp + o) : 0);
      store<i8>(out + c, <i8>clampOut(zpOut + requantizeOne(a, load<i32>(tp + (o << 1)), load<i32>(tp + (o << 1), 4)), lo));
    }
    acc += accStep; out += outStep;
  }
}

@inline function clampOut(q: i32, lo: i32): i32 { return q < lo ? lo : q > 127 ? 127 : q; }

/**
 * Four accumulators of the one channel `ch` (in the lanes: e.g. the four pixels of a narrow conv tile), bias
 * included here, requantized like requantizeRows: bytes 0..3 of the result are the four i8 outputs.
 */
export function requantizeChannelLanes(a: v128, bias: usize, rq: usize, total: u32, ch: u32, zpOut: i32, lo: i32): v128 {
  const o = <usize>ch << 2, S = load<i32>(flagAt(rq, total));
  if (bias) a = i32x4.add(a, i32x4.splat(load<i32>(bias + o)));
  if (S < 0) { // the scalar rule, lane by lane (outputBytes saturates any magnitude exactly like the clamp)
    const mult = load<i32>(rq + (o << 1)), shift = load<i32>(rq + (o << 1), 4);
    a = i32x4.replace_lane(a, 0, requantizeOne(i32x4.extract_lane(a, 0), mult, shift));
    a = i32x4.replace_lane(a, 1, requantizeOne(i32x4.extract_lane(a, 1), mult, shift));
    a = i32x4.replace_lane(a, 2, requantizeOne(i32x4.extract_lane(a, 2), mult, shift));
    a = i32x4.replace_lane(a, 3, requantizeOne(i32x4.extract_lane(a, 3), mult, shift));
  } else {
    a = cappedLanes(a, i32x4.splat(load<i32>(multsAt(rq, total) + o)), i32x4.splat(load<i32>(capsAt(rq, total) + o)),
      i32x4.splat(load<i32>(scaleUpsAt(rq, total) + o)), S, i32x4.splat(1 << (S - 1)));
  }
  return outputBytes(a, a, i16x8.splat(<i16>zpOut), i8x16.splat(<i8>lo));
}
