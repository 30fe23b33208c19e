// Fixed-point requantization of int32 accumulators to int8, as in TFLite / ONNX QLinear:
//   real multiplier M = sIn * sW[c] / sOut (f64 from the f32 scales, so every engine gets the same bits)
//   M = mult * 2^-shift with mult a Q31 integer in [2^30, 2^31) and shift in [1, 62]
//   q = clamp(zpOut + roundHalfAwayFromZero(acc * mult / 2^shift), lo, 127)
// One rounding step on the exact i64 product (no double rounding). Mirrored by converter/quantize/fixed-point.ts.
import { multBuf, shiftBuf } from './scratch';

/** Fills multBuf/shiftBuf for `count` channels (per-channel weight scales at wScales). */
export function prepareRequant(sIn: f32, wScales: usize, sOut: f32, count: u32): void {
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
    store<i32>(multBuf + (<usize>c << 2), mult);
    store<i32>(shiftBuf + (<usize>c << 2), shift);
  }
}

@inline export function requantizeOne(acc: i32, mult: i32, shift: i32): i32 {
  const p = <i64>acc * <i64>mult;
  const half = (<i64>1) << (shift - 1);
  return p >= 0 ? <i32>((p + half) >> shift) : -<i32>((-p + half) >> shift);
}

/**
 * out[c] = clamp(zpOut + requant(acc[c] + bias[c]), lo, 127) for c in [0, count); channel parameters start at
 * channel `first` of multBuf/shiftBuf/bias. lo = -128, or the output zero point for a fused relu.
 */
export function requantizeRow(acc: usize, bias: usize, first: u32, out: usize, count: u32, zpOut: i32, lo: i32): void {
  const mp = multBuf + (<usize>first << 2), sp = shiftBuf + (<usize>first << 2);
  const bp = bias ? bias + (<usize>first << 2) : 0;
  for (let c: u32 = 0; c < count; c++) {
    const o = <usize>c << 2;
    const a = load<i32>(acc + o) + (bp ? load<i32>(bp + o) : 0);
    let q = zpOut + requantizeOne(a, load<i32>(mp + o), load<i32>(sp + o));
    q = q < lo ? lo : q > 127 ? 127 : q;
    store<i8>(out + c, <i8>q);
  }
}
