// Inner product of the weight-only (int8-weights) kernels over one input pixel (or dense vector) and a K-major
// i8 weight block [cig, cog]: for every output channel co, acc[co] += sum over ci of x[ci] * w[ci * cog + co],
// w widened to f32, one f32 mul + add per ci in ci order (bit-exact with a sequential reference).
// accumulateF32x2 does the same for the two pixels of a weight-only conv tile (kernels/int8/conv_weights.ts)
// with the weights widened to f32 once per call; accumulateF32x4Narrow for four pixels (one per lane) when cog < 8. The integer kernels' inner loops are in kernels/int8/tile.ts.
import { accBuf, acc1Buf, acc2Buf, acc3Buf, tapList, TAP_ENTRY_BYTES } from './scratch';
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

@inline function fma(a: v128, x: v128, w: v128): v128 { return f32x4.add(a, f32x4.mul(x, w)); }

/**
 * accBuf / acc1Buf (f32[cog]) += the terms of `taps` tap-list entries (kernels/int8/scratch.ts: f32 input rows
 * of pixels 0 and 1 at +0 and +4, the [cig, cog] weight block already widened to f32 at +16), per channel in
 * tap then ci order.
 */
export function accumulateF32x2(taps: u32, cig: u32, cog: u32): void {
  const rowStep = <usize>cog << 2;
  let co: u32 = 0;
  for (; co + 16 <= cog; co += 16) {
    const p0 = accBuf + (<usize>co << 2), p1 = acc1Buf + (<usize>co << 2);
    let a0 = v128.load(p0), a1 = v128.load(p0, 16), a2 = v128.load(p0, 32), a3 = v128.load(p0, 48);
    let b0 = v128.load(p1), b1 = v128.load(p1, 16), b2 = v128.load(p1, 32), b3 = v128.load(p1, 48);
    for (let t: u32 = 0; t < taps; t++) {
      const e = tapList + <usize>t * TAP_ENTRY_BYTES;
      let x0 = <usize>load<u32>(e), x1 = <usize>load<u32>(e, 4), wp = <usize>load<u32>(e, 16) + (<usize>co << 2);
      for (let ci: u32 = 0; ci < cig; ci++) {
        const s0 = v128.load32_splat(x0), s1 = v128.load32_splat(x1);
        const w0 = v128.load(wp), w1 = v128.load(wp, 16), w2 = v128.load(wp, 32), w3 = v128.load(wp, 48);
        a0 = fma(a0, s0, w0); a1 = fma(a1, s0, w1); a2 = fma(a2, s0, w2); a3 = fma(a3, s0, w3);
        b0 = fma(b0, s1, w0); b1 = fma(b1, s1, w1); b2 = fma(b2, s1, w2); b3 = fma(b3, s1, w3);
        x0 += 4; x1 += 4; wp += rowStep;
      }
    }
    v128.store(p0, a0); v128.store(p0, a1, 16); v128.store(p0, a2, 32); v128.store(p0, a3, 48);
    v128.store(p1, b0); v128.store(p1, b1, 16); v128.store(p1, b2, 32); v128.store(p1, b3, 48);
  }
  for (; co + 4 <= cog; co += 4) {
    const p0 = accBuf + (<usize>co << 2), p1 = acc1Buf + (<usize>co << 2);
    let a0 = v128.load(p0), b0 = v128.load(p1);
    for (let t: u32 = 0; t < taps; t++) {
      const e = tapList + <usize>t * TAP_ENTRY_BYTES;
      let x0 = <usize>load<u32>(e), x1 = <usize>load<u32>(e, 4), wp = <usize>load<u32>(e, 16) + (<usize>co << 2);
      for (let ci: u32 = 0; ci < cig; ci++) {
        const w0 = v128.load(wp);
        a0 = fma(a0, v128.load32_splat(x0), w0); b0 = fma(b0, v128.load32_splat(x1), w0);
        x0 += 4; x1 += 4; wp += rowStep;
      }
    }
    v128.store(p0, a0); v128.store(p1, b0);
  }
  for (; co < cog; co++) {
    let s0 = load<f32>(accBuf + (<usize>co << 2)), s1 = load<f32>(acc1Buf + (<usize>co << 2));
    for (let t: u32 = 0; t < taps; t++) {
      const e = tapList + <usize>t * TAP_ENTRY_BYTES;
      let x0 = <usize>load<u32>(e), x1 = <usize>load<u32>(e, 4), wp = <usize>load<u32>(e, 16) + (<usize>co << 2);
      for (let ci: u32 = 0; ci < cig; ci++) {
        const wv = load<f32>(wp);
        s0 += load<f32>(x0) * wv; s1 += load<f32>(x1) * wv;
        x0 += 4; x1 += 4; wp += rowStep;
      }
    }
    store<f32>(accBuf + (<usize>co << 2), s0);
    store<f32>(acc1Buf + (<usize>co << 2), s1);
  }
}

/** out (f32[count]) = w (i8[count]): the widening of a weight-only conv's weights, once per call. */
export function widenWeights(w: usize, out: usize, count: usize): void {
  let i: usize = 0;
  for (; i + 8 <= count; i += 8) {
    const r = v128.load8x8_s(w + i);
    v128.store(out + (i << 2), widenLow(r));
    v128.store(out + (i << 2), widenHigh(r), 16);
  }
  for (; i < count; i++) store<f32>(out + (i << 2), <f32>load<i8>(w + i));
}

/**
 * cog < 8: acc (f32, pixels 0..3 in accBuf, acc1Buf, acc2Buf, acc3Buf) += the terms of `taps` tap-list
 * entries, the four pixels in the lanes of one f32x4 (each lane is the same sequential f32 sum as above).
 */
export function accumulateF32x4Narrow(taps: u32, cig: u32, cog: u32): void {
  const rowStep = <usize>cog;
  for (let co: u32 = 0; co < cog; co++) {
    const o = <usize>co << 2;
    let v = f32x4.splat(load<f32>(accBuf + o));
    v = f32x4.replace_lane(v, 1, load<f32>(acc1Buf + o));
    v = f32x4.replace_lane(v, 2, load<f32>(acc2Buf + o));
    v = f32x4.replace_lane(v, 3, load<f32>(acc3Buf + o));
    for (let t: u32 = 0; t < taps; t++) {
      const e = tapList + <usize>t * TAP_ENTRY_BYTES;
      let x0 = <usize>load<u32>(e), x1 = <usize>load<u32>(e, 4), x2 = <usize>load<u32>(e, 8), x3 = <usize>load<u32>(e, 12);
      let wp = <usize>load<u32>(e, 16) + co;
      for (let ci: u32 = 0; ci < cig; ci++) {
        let xv = v128.load32_zero(x0);
        xv = v128.load32_lane(x1, xv, 1);
        xv = v128.load32_lane(x2, xv, 2);
        xv = v128.load32_lane(x3, xv, 3);
        v = fma(v, xv, f32x4.splat(<f32>load<i8>(wp)));
        x0 += 4; x1 += 4; x2 += 4; x3 += 4; wp += rowStep;
      }
    }
    store<f32>(accBuf + o, f32x4.extract_lane(v, 0));
    store<f32>(acc1Buf + o, f32x4.extract_lane(v, 1));
    store<f32>(acc2Buf + o, f32x4.extract_lane(v, 2));
    store<f32>(acc3Buf + o, f32x4.extract_lane(v, 3));
  }
}
