// The inner kernel shared by CONV2D and CONV_TRANSPOSE (gather form). Both reduce to: for four output
// pixels of one group, sum over a list of taps of (input pixel's group channels) x (the tap's
// [Cig, Cog] weights). A tap is {x0, x1, x2, x3, tapOffset, spanBytes}: addresses of the four input
// pixels' group channels (a block of zeros when that pixel's tap falls in the padding), tapIndex * Cig * 4,
// and the bytes of input it covers: Cig * 4, or kw * Cig * 4 when a whole kernel row whose input pixels
// are adjacent (stride-1 kx, one group) is one longer dot product (conv_gather.ts lists the taps).
//
// Weights are repacked at load (packConvWeights) from the format's [G,KH,KW,Cig,Cog] into channel
// blocks: per group, 8-channel blocks, then one 4-channel block, then single channels, each block
// [taps, Cig, width] and contiguous. A block starting at channel co begins at co * taps * Cig * 4
// bytes, so every block streams linearly. Single channels are dot products over contiguous ci.
// Vectorized over output channels: 8 channels x 4 pixels = 8 accumulators, each weight vector feeding
// four pixels and each input value (one broadcast load) two vectors. Names say type and tile: conv_f32_4px
// (4 pixels, any channel range) runs conv_f32_4px8c (8-channel blocks), one 4-channel block, and dot_f32_4px1c
// (single channels).

import { fusedF32, madd } from './fused_f32';

export const TAP_BYTES: usize = 32;

@inline function biasVec(bias: usize, co: u32): v128 {
  return bias ? v128.load(bias + (<usize>co << 2)) : f32x4.splat(0);
}

/** Format [G*taps, Cig, Cog] -> per group channel blocks (see above). */
export function packConvWeights(w: usize, out: usize, G: u32, taps: u32, Cig: u32, Cog: u32): void {
  const end8 = Cog & ~7, end4 = Cog & ~3;
  for (let g: u32 = 0; g < G; g++) {
    const src = w + <usize>g * taps * Cig * Cog * 4;
    const dst = out + <usize>g * taps * Cig * Cog * 4;
    for (let co: u32 = 0; co < Cog; co++) {
      const width: u32 = co < end8 ? 8 : co < end4 ? 4 : 1;
      const first = co - co % width;
      const block = dst + <usize>first * taps * Cig * 4;
      const lane = co - first;
      for (let t: u32 = 0; t < taps; t++) {
        for (let ci: u32 = 0; ci < Cig; ci++) {
          const v = load<f32>(src + (<usize>((t * Cig + ci) * Cog + co) << 2));
          store<f32>(block + (<usize>((t * Cig + ci) * width + lane) << 2), v);
        }
      }
    }
  }
}

/**
 * Bytes of weights a channel chunk may span: the drivers sweep the pixels once per chunk, so a group's
 * weights are read from L2 (all of them per quad) unless they exceed this, when 16 channels go at a time.
 */
const WEIGHT_CACHE_BUDGET: usize = 256 * 1024;

/** Output channels per pass of the conv drivers: all of them, or 16 when the group's weights exceed the budget. */
export function channelChunk(Cog: u32, groupWeightBytes: usize): u32 {
  return groupWeightBytes <= WEIGHT_CACHE_BUDGET ? Cog : 16;
}

/**
 * Writes channels [coBegin, coEnd) of the four pixels at y0..y3 (unused pixels target a dummy block).
 * coBegin is a multiple of 8. wg: the group's packed weights; channelBytes = taps * Cig * 4. Every result
 * is stored as max(result, floor) (pmax: NaN kept): floor 0 fuses a relu, -infinity stores it unchanged.
 */
export function conv_f32_4px(
  taps: usize, nTaps: u32, coBegin: u32, coEnd: u32, wg: usize, channelBytes: usize, bias: usize,
  y0: usize, y1: usize, y2: usize, y3: usize, floor: v128,
): void {
  const tapsEnd = taps + <usize>nTaps * TAP_BYTES;
  // (the 8-channel blocks only have a fused twin: the rest is a small share of the work)
  let co = ASC_FEATURE_RELAXED_SIMD && fusedF32
    ? conv_f32_4px8c(taps, tapsEnd, coBegin, coEnd, wg, channelBytes, bias, y0, y1, y2, y3, floor, true)
    : conv_f32_4px8c(taps, tapsEnd, coBegin, coEnd, wg, channelBytes, bias, y0, y1, y2, y3, floor, false);
  const fused = false;
  if (co + 4 <= coEnd) {
    const block = wg + <usize>co * channelBytes;
    let a = biasVec(bias, co);
    let b = a, c = a, d = a;
    for (let t = taps; t < tapsEnd; t += TAP_BYTES) {
      let p0 = <usize>load<u32>(t), p1 = <usize>load<u32>(t, 4), p2 = <usize>load<u32>(t, 8), p3 = <usize>load<u32>(t, 12);
      let wp = block + (<usize>load<u32>(t, 16) << 2);
      const pEnd = p0 + <usize>load<u32>(t, 20);
      for (; p0 < pEnd; p0 += 4, p1 += 4, p2 += 4, p3 += 4) {
        const w0 = v128.load(wp);
        a = madd(a, v128.load32_splat(p0), w0, fused);
        b = madd(b, v128.load32_splat(p1), w0, fused);
        c = madd(c, v128.load32_splat(p2), w0, fused);
        d = madd(d, v128.load32_splat(p3), w0, fused);
        wp += 16;
      }
    }
    const o = <usize>co << 2;
    v128.store(y0 + o, f32x4.pmax(a, floor)); v128.store(y1 + o, f32x4.pmax(b, floor));
    v128.store(y2 + o, f32x4.pmax(c, floor)); v128.store(y3 + o, f32x4.pmax(d, floor));
    co += 4;
  }
  for (; co < coEnd; co++) {
    const o = <usize>co << 2;
    dot_f32_4px1c(taps, tapsEnd, bias ? bias + o : 0, wg + <usize>co * channelBytes, y0 + o, y1 + o, y2 + o, y3 + o, floor);
  }
}

/** The 8-channel blocks of conv_f32_4px from coBegin; returns the first channel left. */
@inline function conv_f32_4px8c(
  taps: usize, tapsEnd: usize, coBegin: u32, coEnd: u32, wg: usize, channelBytes: usize, bias: usize,
  y0: usize, y1: usize, y2: usize, y3: usize, floor: v128, fused: bool,
): u32 {
  let co = coBegin;
  for (; co + 8 <= coEnd; co += 8) {
    const block = wg + <usize>co * channelBytes;
    let a0 = biasVec(bias, co), a1 = biasVec(bias, co + 4);
    let b0 = a0, b1 = a1, c0 = a0, c1 = a1, d0 = a0, d1 = a1;
    for (let t = taps; t < tapsEnd; t += TAP_BYTES) {
      let p0 = <usize>load<u32>(t), p1 = <usize>load<u32>(t, 4), p2 = <usize>load<u32>(t, 8), p3 = <usize>load<u32>(t, 12);
      let wp = block + (<usize>load<u32>(t, 16) << 3);
      const pEnd = p0 + <usize>load<u32>(t, 20);
      for (; p0 < pEnd; p0 += 4, p1 += 4, p2 += 4, p3 += 4) {
        const w0 = v128.load(wp), w1 = v128.load(wp, 16);
        let xv = v128.load32_splat(p0);
        a0 = madd(a0, xv, w0, fused); a1 = madd(a1, xv, w1, fused);
        xv = v128.load32_splat(p1);
        b0 = madd(b0, xv, w0, fused); b1 = madd(b1, xv, w1, fused);
        xv = v128.load32_splat(p2);
        c0 = madd(c0, xv, w0, fused); c1 = madd(c1, xv, w1, fused);
        xv = v128.load32_splat(p3);
        d0 = madd(d0, xv, w0, fused); d1 = madd(d1, xv, w1, fused);
        wp += 32;
      }
    }
    const o = <usize>co << 2;
    v128.store(y0 + o, f32x4.pmax(a0, floor)); v128.store(y0 + o, f32x4.pmax(a1, floor), 16);
    v128.store(y1 + o, f32x4.pmax(b0, floor)); v128.store(y1 + o, f32x4.pmax(b1, floor), 16);
    v128.store(y2 + o, f32x4.pmax(c0, floor)); v128.store(y2 + o, f32x4.pmax(c1, floor), 16);
    v128.store(y3 + o, f32x4.pmax(d0, floor)); v128.store(y3 + o, f32x4.pmax(d1, floor), 16);
  }
  return co;
}

/** Lane k = the sum of the lanes of the k-th argument. */
@inline function sum4(a: v128, b: v128, c: v128, d: v128): v128 {
  const ab = f32x4.add(v128.shuffle<f32>(a, b, 0, 4, 1, 5), v128.shuffle<f32>(a, b, 2, 6, 3, 7)); // a02 b02 a13 b13
  const cd = f32x4.add(v128.shuffle<f32>(c, d, 0, 4, 1, 5), v128.shuffle<f32>(c, d, 2, 6, 3, 7));
  return f32x4.add(v128.shuffle<f32>(ab, cd, 0, 1, 4, 5), v128.shuffle<f32>(ab, cd, 2, 3, 6, 7));
}

/** One output channel whose weights are [taps, Cig] (contiguous over ci), four pixels: vectorized over ci. */
function dot_f32_4px1c(
  taps: usize, tapsEnd: usize, bias: usize, block: usize, y0: usize, y1: usize, y2: usize, y3: usize, floor: v128,
): void {
  let a = f32x4.splat(0), b = a, c = a, d = a;
  let sa: f32 = 0, sb: f32 = 0, sc: f32 = 0, sd: f32 = 0;
  for (let t = taps; t < tapsEnd; t += TAP_BYTES) {
    let p0 = <usize>load<u32>(t), p1 = <usize>load<u32>(t, 4), p2 = <usize>load<u32>(t, 8), p3 = <usize>load<u32>(t, 12);
    let wp = block + <usize>load<u32>(t, 16);
    const span = <usize>load<u32>(t, 20);
    const wEnd = wp + span, wVec = wp + (span & ~(<usize>15));
    // Two vectors per step (fewer pointer updates per multiply), then one; the rest scalar.
    for (; wp + 16 < wVec; wp += 32, p0 += 32, p1 += 32, p2 += 32, p3 += 32) {
      let w = v128.load(wp);
      a = f32x4.add(a, f32x4.mul(v128.load(p0), w));
      b = f32x4.add(b, f32x4.mul(v128.load(p1), w));
      c = f32x4.add(c, f32x4.mul(v128.load(p2), w));
      d = f32x4.add(d, f32x4.mul(v128.load(p3), w));
      w = v128.load(wp, 16);
      a = f32x4.add(a, f32x4.mul(v128.load(p0, 16), w));
      b = f32x4.add(b, f32x4.mul(v128.load(p1, 16), w));
      c = f32x4.add(c, f32x4.mul(v128.load(p2, 16), w));
      d = f32x4.add(d, f32x4.mul(v128.load(p3, 16), w));
    }
    if (wp < wVec) {
      const w = v128.load(wp);
      a = f32x4.add(a, f32x4.mul(v128.load(p0), w));
      b = f32x4.add(b, f32x4.mul(v128.load(p1), w));
      c = f32x4.add(c, f32x4.mul(v128.load(p2), w));
      d = f32x4.add(d, f32x4.mul(v128.load(p3), w));
      wp += 16; p0 += 16; p1 += 16; p2 += 16; p3 += 16;
    }
    for (; wp < wEnd; wp += 4, p0 += 4, p1 += 4, p2 += 4, p3 += 4) {
      const wv = load<f32>(wp);
      sa += load<f32>(p0) * wv; sb += load<f32>(p1) * wv; sc += load<f32>(p2) * wv; sd += load<f32>(p3) * wv;
    }
  }
  let r = f32x4.add(sum4(a, b, c, d), f32x4.replace_lane(f32x4.replace_lane(f32x4.replace_lane(f32x4.splat(sa), 1, sb), 2, sc), 3, sd));
  if (bias) r = f32x4.add(r, v128.load32_splat(bias));
  r = f32x4.pmax(r, floor);
  store<f32>(y0, f32x4.extract_lane(r, 0)); store<f32>(y1, f32x4.extract_lane(r, 1));
  store<f32>(y2, f32x4.extract_lane(r, 2)); store<f32>(y3, f32x4.extract_lane(r, 3));
}
