// Inner products of the int8 kernels over one input pixel (or dense vector) and a K-major weight block
// [cig, cog]: for every output channel co, acc[co] += sum over ci of x[ci] * w[ci * cog + co].
// Integer path: (x - zp) and w widened to i16, pairs of ci interleaved so i32x4.dot_i16x8_s does two MACs
// per lane. Weight-only path: w widened to f32, one f32 mul + add per ci in ci order (bit-exact with a
// sequential reference).
import { pairBuf } from './scratch';

/** Packs (x[2p] - zp, x[2p+1] - zp) as the i16 halves of out[p] (the odd last channel pairs with 0). */
export function packInputPairs(x: usize, zp: i32, cig: u32, out: usize): void {
  const pairs = (cig + 1) >> 1;
  for (let p: u32 = 0; p < pairs; p++) {
    const ci = p << 1;
    const x0 = <i32>load<i8>(x + ci) - zp;
    const x1 = ci + 1 < cig ? <i32>load<i8>(x + ci + 1) - zp : 0;
    store<i32>(out + (<usize>p << 2), (x0 & 0xffff) | (x1 << 16));
  }
}

/** acc (i32[cog]) += (x - zp)(i8[cig]) · w (i8[cig, cog]), packing the input pairs first. */
export function accumulateI8(acc: usize, x: usize, zp: i32, w: usize, packed: usize, cig: u32, cog: u32): void {
  packInputPairs(x, zp, cig, pairBuf);
  accumulatePairs(acc, pairBuf, x, zp, w, packed, cig, cog);
}

/**
 * acc (i32[cog]) += (x - zp)(i8[cig]) · w (i8[cig, cog]) with the input already packed into `pairBase`
 * (packInputPairs) and `packed` the weight block repacked by kernels/int8/pack.ts, used for every full group
 * of 8 output channels; the remaining channels read x and w directly.
 */
export function accumulatePairs(acc: usize, pairBase: usize, x: usize, zp: i32, w: usize, packed: usize, cig: u32, cog: u32): void {
  const pairs = (cig + 1) >> 1;
  const pairRow = <usize>cog << 1; // bytes per input-channel pair in the packed block
  let co: u32 = 0;
  for (; co + 16 <= cog; co += 16) {
    const ap = acc + (<usize>co << 2);
    let a0 = v128.load(ap), a1 = v128.load(ap, 16), a2 = v128.load(ap, 32), a3 = v128.load(ap, 48);
    let wp = packed + (<usize>co << 1);
    for (let p: u32 = 0; p < pairs; p++) {
      const xp = i32x4.splat(load<i32>(pairBase + (<usize>p << 2)));
      const r0 = v128.load(wp), r1 = v128.load(wp, 16);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(r0), xp));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(r0), xp));
      a2 = i32x4.add(a2, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(r1), xp));
      a3 = i32x4.add(a3, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(r1), xp));
      wp += pairRow;
    }
    v128.store(ap, a0); v128.store(ap, a1, 16); v128.store(ap, a2, 32); v128.store(ap, a3, 48);
  }
  for (; co + 8 <= cog; co += 8) {
    const ap = acc + (<usize>co << 2);
    let a0 = v128.load(ap), a1 = v128.load(ap, 16);
    let wp = packed + (<usize>co << 1);
    for (let p: u32 = 0; p < pairs; p++) {
      const xp = i32x4.splat(load<i32>(pairBase + (<usize>p << 2)));
      const r0 = v128.load(wp);
      a0 = i32x4.add(a0, i32x4.dot_i16x8_s(i16x8.extend_low_i8x16_s(r0), xp));
      a1 = i32x4.add(a1, i32x4.dot_i16x8_s(i16x8.extend_high_i8x16_s(r0), xp));
      wp += pairRow;
    }
    v128.store(ap, a0);
    v128.store(ap, a1, 16);
  }
  const rowStep = <usize>cog;
  for (; co < cog; co++) {
    let s: i32 = 0;
    let wp = w + co;
    for (let ci: u32 = 0; ci < cig; ci++) {
      s += (<i32>load<i8>(x + ci) - zp) * <i32>load<i8>(wp);
      wp += rowStep;
    }
    store<i32>(acc + (<usize>co << 2), load<i32>(acc + (<usize>co << 2)) + s);
  }
}

@inline function widenLow(r: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_low_i16x8_s(r)); }
@inline function widenHigh(r: v128): v128 { return f32x4.convert_i32x4_s(i32x4.extend_high_i16x8_s(r)); }

/** acc (f32[cog]) += x (f32[cig]) · w (i8[cig, cog]), per channel in ci order. */
export function accumulateF32(acc: usize, x: usize, w: usize, cig: u32, cog: u32): void {
  const rowStep = <usize>cog;
  let co: u32 = 0;
  for (; co + 16 <= cog; co += 16) {
    const ap = acc + (<usize>co << 2);
    let a0 = v128.load(ap), a1 = v128.load(ap, 16), a2 = v128.load(ap, 32), a3 = v128.load(ap, 48);
    let wp = w + co;
    for (let ci: u32 = 0; ci < cig; ci++) {
      const xs = f32x4.splat(load<f32>(x + (<usize>ci << 2)));
      const r0 = v128.load8x8_s(wp), r1 = v128.load8x8_s(wp, 8);
      a0 = f32x4.add(a0, f32x4.mul(xs, widenLow(r0)));
      a1 = f32x4.add(a1, f32x4.mul(xs, widenHigh(r0)));
      a2 = f32x4.add(a2, f32x4.mul(xs, widenLow(r1)));
      a3 = f32x4.add(a3, f32x4.mul(xs, widenHigh(r1)));
      wp += rowStep;
    }
    v128.store(ap, a0); v128.store(ap, a1, 16); v128.store(ap, a2, 32); v128.store(ap, a3, 48);
  }
  for (; co + 8 <= cog; co += 8) {
    const ap = acc + (<usize>co << 2);
    let a0 = v128.load(ap), a1 = v128.load(ap, 16);
    let wp = w + co;
    for (let ci: u32 = 0; ci < cig; ci++) {
      const xs = f32x4.splat(load<f32>(x + (<usize>ci << 2)));
      const r0 = v128.load8x8_s(wp);
      a0 = f32x4.add(a0, f32x4.mul(xs, widenLow(r0)));
      a1 = f32x4.add(a1, f32x4.mul(xs, widenHigh(r0)));
      wp += rowStep;
    }
    v128.store(ap, a0); v128.store(ap, a1, 16);
  }
  for (; co < cog; co++) {
    let s = load<f32>(acc + (<usize>co << 2));
    let wp = w + co;
    for (let ci: u32 = 0; ci < cig; ci++) {
      s += load<f32>(x + (<usize>ci << 2)) * <f32>load<i8>(wp);
      wp += rowStep;
    }
    store<f32>(acc + (<usize>co << 2), s);
  }
}
