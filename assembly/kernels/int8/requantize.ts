// Fixed-point requantization of int32 accumulators to int8, as in TFLite / ONNX QLinear:
//   real multiplier M = sIn * sW[c] / sOut (f64 from the f32 scales, so every engine gets the same bits)
//   M = mult * 2^-shift with mult a Q31 integer in [2^30, 2^31) and shift in [1, 62]
//   q = clamp(zpOut + roundHalfAwayFromZero(acc * mult / 2^shift), lo, 127)
// One rounding step on the exact i64 product (no double rounding). Mirrored by converter/quantize/fixed-point.ts.

// The table of an op (computed once at load, prepareRequant), for `count` channels:
//   [0, 8C)          (mult, shift) i32 pairs, read by the scalar path
//   [8C, 8C+16)      i32 S: max(shift) - 32 when every shift - 32 is in [0, MAX_SIMD_SHIFT] (the SIMD path
//                    applies), else -1
//   then mult[C] (i32), half[C] (i64 2^(shift-1)), cap[C] (i32 2^(9+s) - 1), scaleUp[C] (i32 2^(S-s)), s = shift - 32
// SIMD path, 4 channels at a time, exact: with X = |acc| * mult + half (< 2^63, u64 lanes of i64x2.extmul) and
// h = hi32(X) < 2^31, floor(X / 2^shift) = floor(h / 2^s). Then floor(min(h, cap) / 2^s) = min(floor(h / 2^s), 511)
// and, as min(h, cap) * 2^(S-s) < 2^(9+S) <= 2^31, it equals (min(h, cap) * 2^(S-s)) >> S in plain i32 lanes:
// one uniform shift instead of a per-lane one. Capping the magnitude at 511 cannot change the output, as
// zp +- 511 lies outside [-128, 127] for every zero point and clamps the same way.

/** Bytes of the requantization table of `count` channels. */
@inline export function requantTableBytes(count: u32): usize { return <usize>count * 28 + 16; }
/** Largest shift - 32 of the SIMD path: 2^(9 + MAX_SIMD_SHIFT) must fit an i32 lane (smaller M rounds to ~0 anyway). */
const MAX_SIMD_SHIFT: i32 = 22;
@inline function flagAt(rq: usize, count: u32): usize { return rq + (<usize>count << 3); }
@inline function multsAt(rq: usize, count: u32): usize { return rq + (<usize>count << 3) + 16; }
@inline function halvesAt(rq: usize, count: u32): usize { return rq + <usize>count * 12 + 16; }
@inline function capsAt(rq: usize, count: u32): usize { return rq + <usize>count * 20 + 16; }
@inline function scaleUpsAt(rq: usize, count: u32): usize { return rq + <usize>count * 24 + 16; }

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
  for (let c: u32 = 0; c < count; c++) {
    const shift = load<i32>(rq + (<usize>c << 3), 4), s = shift - 32;
    store<i32>(multsAt(rq, count) + (<usize>c << 2), load<i32>(rq + (<usize>c << 3)));
    store<i64>(halvesAt(rq, count) + (<usize>c << 3), (<i64>1) << (shift - 1));
    store<i32>(capsAt(rq, count) + (<usize>c << 2), S >= 0 ? (512 << s) - 1 : 0);
    store<i32>(scaleUpsAt(rq, count) + (<usize>c << 2), S >= 0 ? 1 << (S - s) : 0);
  }
  store<i32>(flagAt(rq, count), S);
}

@inline export function requantizeOne(acc: i32, mult: i32, shift: i32): i32 {
  const p = <i64>acc * <i64>mult;
  const half = (<i64>1) << (shift - 1);
  return p >= 0 ? <i32>((p + half) >> shift) : -<i32>((-p + half) >> shift);
}

/** Lanes 1 and 3 of a and of b (the high halves of four u64 lanes), as one i32x4. */
@inline function highHalves(a: v128, b: v128): v128 {
  return i8x16.shuffle(a, b, 4, 5, 6, 7, 12, 13, 14, 15, 20, 21, 22, 23, 28, 29, 30, 31);
}

/** Requantizes 4 channels (acc already includes the bias) with the table entries at channel c (see the top of this file). */
@inline function requantize4(a: v128, mults: usize, halves: usize, caps: usize, ups: usize, c: usize, S: i32, zp: v128, lo: v128): v128 {
  return cappedLanes(a, v128.load(mults + (c << 2)), v128.load(halves + (c << 3)), v128.load(halves + (c << 3), 16),
    v128.load(caps + (c << 2)), v128.load(ups + (c << 2)), S, zp, lo);
}

/** The capped requantization of the four lanes of a, each with its own table values (m, half, cap, up). */
@inline function cappedLanes(a: v128, m: v128, half01: v128, half23: v128, cap: v128, up: v128, S: i32, zp: v128, lo: v128): v128 {
  const sign = i32x4.shr_s(a, 31);
  const u = i32x4.abs(a);
  const x0 = i64x2.add(i64x2.extmul_low_i32x4_u(u, m), half01);
  const x1 = i64x2.add(i64x2.extmul_high_i32x4_u(u, m), half23);
  const h = i32x4.min_u(highHalves(x0, x1), cap);
  const r = i32x4.shr_u(i32x4.mul(h, up), S);
  const q = i32x4.sub(v128.xor(r, sign), sign);
  return i32x4.min_s(i32x4.max_s(i32x4.add(q, zp), lo), i32x4.splat(127));
}

/**
 * out[c] = clamp(zpOut + requant(acc[c] + bias[c]), lo, 127) for c in [0, count); channel parameters start at
 * channel `first` of the table rq (of `total` channels) and of bias. lo = -128, or the output zero point for a
 * fused relu.
 */
export function requantizeRow(acc: usize, bias: usize, rq: usize, total: u32, first: u32, out: usize, count: u32, zpOut: i32, lo: i32): void {
  let c: u32 = 0;
  const S = load<i32>(flagAt(rq, total));
  if (S >= 0) {
    const mults = multsAt(rq, total) + (<usize>first << 2), halves = halvesAt(rq, total) + (<usize>first << 3);
    const caps = capsAt(rq, total) + (<usize>first << 2), ups = scaleUpsAt(rq, total) + (<usize>first << 2);
    const bp = bias + (<usize>first << 2), zp = i32x4.splat(zpOut), lov = i32x4.splat(lo);
    for (; c + 4 <= count; c += 4) {
      let a = v128.load(acc + (<usize>c << 2));
      if (bias) a = i32x4.add(a, v128.load(bp + (<usize>c << 2)));
      const q = requantize4(a, mults, halves, caps, ups, c, S, zp, lov);
      v128.store32_lane(out + c, i8x16.narrow_i16x8_s(i16x8.narrow_i32x4_s(q, q), q), 0);
    }
  }
  const tp = rq + (<usize>first << 3);
  const bp = bias ? bias + (<usize>first << 2) : 0;
  for (; c < count; c++) {
    const o = <usize>c << 2;
    const a = load<i32>(acc + o) + (bp ? load<i32>(bp + o) : 0);
    store<i8>(out + c, <i8>clampOut(zpOut + requantizeOne(a, load<i32>(tp + (o << 1)), load<i32>(tp + (o << 1), 4)), lo));
  }
}

@inline function clampOut(q: i32, lo: i32): i32 { return q < lo ? lo : q > 127 ? 127 : q; }

/** True when the table rq of `total` channels allows the SIMD path (requantizeChannelLanes needs it). */
export function hasSimdStep(rq: usize, total: u32): bool { return load<i32>(flagAt(rq, total)) >= 0; }

/**
 * Four accumulators of the one channel `ch` (in the lanes: e.g. the four pixels of a narrow conv tile), bias
 * included here, requantized like requantizeRow: the lanes of the result are the clamped outputs (as i32).
 * Only for tables with the SIMD path (hasSimdStep).
 */
export function requantizeChannelLanes(a: v128, bias: usize, rq: usize, total: u32, ch: u32, zpOut: i32, lo: i32): v128 {
  const o = <usize>ch << 2;
  if (bias) a = i32x4.add(a, i32x4.splat(load<i32>(bias + o)));
  const half = i64x2.splat(load<i64>(halvesAt(rq, total) + (o << 1)));
  return cappedLanes(a, i32x4.splat(load<i32>(multsAt(rq, total) + o)), half, half, i32x4.splat(load<i32>(capsAt(rq, total) + o)),
    i32x4.splat(load<i32>(scaleUpsAt(rq, total) + o)), load<i32>(flagAt(rq, total)), i32x4.splat(zpOut), i32x4.splat(lo));
}
