// Fixed-point requantization of int32 accumulators to int8, as in TFLite / ONNX QLinear:
//   real multiplier M = sIn * sW[c] / sOut (f64 from the f32 scales, so every engine gets the same bits)
//   M = mult * 2^-shift with mult a Q31 integer in [2^30, 2^31) and shift in [1, 62]
//   q = clamp(zpOut + roundHalfAwayFromZero(acc * mult / 2^shift), lo, 127)
// One rounding step on the exact i64 product (no double rounding). Mirrored by converter/quantize/fixed-point.ts.

// The table of an op (computed once at load, prepareRequant), for `count` channels:
//   [0, 8C)          (mult, shift) i32 pairs, read by the scalar path
//   [8C, 8C+16)      i32 flag: 1 when every shift is in [32, 62], so the SIMD path applies
//   then mult[C] (i32), half[C] (i64 2^(shift-1)), pow[C] (i32 2^(63-shift))
// SIMD path, 4 channels at a time, exact: with X = |acc| * mult + half (< 2^63, as u64),
// floor(X / 2^shift) = floor(floor(X / 2^32) / 2^(shift-32)) = (hi32(X) * 2^(63-shift)) >> 31, all in u64
// lanes (i64x2.extmul), so no per-lane variable shift is needed.

/** Bytes of the requantization table of `count` channels. */
@inline export function requantTableBytes(count: u32): usize { return <usize>count * 24 + 16; }
@inline function flagAt(rq: usize, count: u32): usize { return rq + (<usize>count << 3); }
@inline function multsAt(rq: usize, count: u32): usize { return rq + (<usize>count << 3) + 16; }
@inline function halvesAt(rq: usize, count: u32): usize { return rq + <usize>count * 12 + 16; }
@inline function powsAt(rq: usize, count: u32): usize { return rq + <usize>count * 20 + 16; }

/** Writes the table of `count` channels (per-channel weight scales at wScales) to rq. */
export function prepareRequant(sIn: f32, wScales: usize, sOut: f32, count: u32, rq: usize): void {
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
  }
  let simd: i32 = 1;
  for (let c: u32 = 0; c < count; c++) {
    const mult = load<i32>(rq + (<usize>c << 3)), shift = load<i32>(rq + (<usize>c << 3), 4);
    if (shift < 32 || shift > 62) simd = 0;
    store<i32>(multsAt(rq, count) + (<usize>c << 2), mult);
    store<i64>(halvesAt(rq, count) + (<usize>c << 3), (<i64>1) << (shift - 1));
    store<i32>(powsAt(rq, count) + (<usize>c << 2), shift >= 32 && shift <= 62 ? <i32>((<u64>1) << <u64>(63 - shift)) : 0);
  }
  store<i32>(flagAt(rq, count), simd);
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

/** Requantizes 4 channels (acc already includes the bias) with the SIMD table entries at channel c. */
@inline function requantize4(a: v128, mults: usize, halves: usize, pows: usize, c: usize, zp: v128, lo: v128): v128 {
  const sign = i32x4.shr_s(a, 31);
  const u = i32x4.abs(a); // |-2^31| stays 0x80000000: right as an unsigned lane
  const m = v128.load(mults + (c << 2));
  const x0 = i64x2.add(i64x2.extmul_low_i32x4_u(u, m), v128.load(halves + (c << 3)));
  const x1 = i64x2.add(i64x2.extmul_high_i32x4_u(u, m), v128.load(halves + (c << 3), 16));
  const h = highHalves(x0, x1), pw = v128.load(pows + (c << 2));
  // (h * 2^(63-shift)) >> 31, taken as the high halves of the product << 1
  const r0 = i64x2.shl(i64x2.extmul_low_i32x4_u(h, pw), 1), r1 = i64x2.shl(i64x2.extmul_high_i32x4_u(h, pw), 1);
  const q = i32x4.sub(v128.xor(highHalves(r0, r1), sign), sign);
  return i32x4.min_s(i32x4.max_s(i32x4.add(q, zp), lo), i32x4.splat(127));
}

/**
 * out[c] = clamp(zpOut + requant(acc[c] + bias[c]), lo, 127) for c in [0, count); channel parameters start at
 * channel `first` of the table rq (of `total` channels) and of bias. lo = -128, or the output zero point for a
 * fused relu.
 */
export function requantizeRow(acc: usize, bias: usize, rq: usize, total: u32, first: u32, out: usize, count: u32, zpOut: i32, lo: i32): void {
  let c: u32 = 0;
  if (load<i32>(flagAt(rq, total))) {
    const mults = multsAt(rq, total) + (<usize>first << 2), halves = halvesAt(rq, total) + (<usize>first << 3);
    const pows = powsAt(rq, total) + (<usize>first << 2), bp = bias + (<usize>first << 2);
    const zp = i32x4.splat(zpOut), lov = i32x4.splat(lo);
    for (; c + 4 <= count; c += 4) {
      let a = v128.load(acc + (<usize>c << 2));
      if (bias) a = i32x4.add(a, v128.load(bp + (<usize>c << 2)));
      const q = requantize4(a, mults, halves, pows, c, zp, lov);
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
