// The inner kernel shared by CONV2D and CONV_TRANSPOSE (gather form). Both reduce to: for two output
// pixels of one group, sum over a list of taps of (input pixel's group channels) x (the tap's
// [Cig, Cog] weights). A tap is {x0, x1, tapOffset, spanBytes}: addresses of the two input pixels'
// group channels (a block of zeros when that pixel's tap falls in the padding), tapIndex * Cig * 4,
// and the bytes of input it covers: Cig * 4, or kw * Cig * 4 when conv2d.ts merged a whole kernel
// row whose input pixels are adjacent (stride-1 kx, one group) into one longer dot product.
//
// Weights are repacked at load (packConvWeights) from the format's [G,KH,KW,Cig,Cog] into channel
// blocks: per group, 16-channel blocks, then 4-channel blocks, then single channels, each block
// [taps, Cig, width] and contiguous. A block starting at channel co begins at co * taps * Cig * 4
// bytes, so every block streams linearly (the format's layout reads 64-byte pieces at a Cog*4 stride,
// which for Cog >= 64 maps to a few L1 sets and thrashes). Single channels are dot products over
// contiguous ci. Vectorized over output channels: 16 channels x 2 pixels = 8 accumulators.

export const TAP_BYTES: usize = 16;

@inline function biasVec(bias: usize, co: u32): v128 {
  return bias ? v128.load(bias + (<usize>co << 2)) : f32x4.splat(0);
}

/** Format [G*taps, Cig, Cog] -> per group channel blocks (see above). */
export function packConvWeights(w: usize, out: usize, G: u32, taps: u32, Cig: u32, Cog: u32): void {
  const end16 = Cog & ~15, end4 = Cog & ~3;
  for (let g: u32 = 0; g < G; g++) {
    const src = w + <usize>g * taps * Cig * Cog * 4;
    const dst = out + <usize>g * taps * Cig * Cog * 4;
    for (let co: u32 = 0; co < Cog; co++) {
      const width: u32 = co < end16 ? 16 : co < end4 ? 4 : 1;
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

/** Bytes of weights a channel chunk may span so that it stays in L1 while the pixels stream by. */
const L1_WEIGHT_BUDGET: usize = 32 * 1024;

/**
 * Output channels per pass of the conv drivers: all of them when the group's weights fit in L1,
 * else 16 at a time (the drivers then sweep the pixels once per chunk, re-listing the taps).
 */
export function channelChunk(Cog: u32, groupWeightBytes: usize): u32 {
  return groupWeightBytes <= L1_WEIGHT_BUDGET ? Cog : 16;
}

/**
 * Writes channels [coBegin, coEnd) of pixel 0 at y0 and of pixel 1 at y1 (pixel 1 may target a dummy
 * block). coBegin is a multiple of 16. wg: the group's packed weights; channelBytes = taps * Cig * 4.
 */
export function convTile(
  taps: usize, nTaps: u32, Cog: u32, coBegin: u32, coEnd: u32,
  wg: usize, channelBytes: usize, bias: usize, y0: usize, y1: usize,
): void {
  const tapsEnd = taps + <usize>nTaps * TAP_BYTES;
  let co = coBegin;
  for (; co + 16 <= coEnd; co += 16) {
    const block = wg + <usize>co * channelBytes;
    let a0 = biasVec(bias, co), a1 = biasVec(bias, co + 4), a2 = biasVec(bias, co + 8), a3 = biasVec(bias, co + 12);
    let b0 = a0, b1 = a1, b2 = a2, b3 = a3;
    for (let t = taps; t < tapsEnd; t += TAP_BYTES) {
      let p0 = <usize>load<u32>(t), p1 = <usize>load<u32>(t, 4);
      let wp = block + (<usize>load<u32>(t, 8) << 4);
      const pEnd = p0 + <usize>load<u32>(t, 12);
      for (; p0 < pEnd; p0 += 4, p1 += 4) {
        const xa = f32x4.splat(load<f32>(p0));
        const xb = f32x4.splat(load<f32>(p1));
        const w0 = v128.load(wp), w1 = v128.load(wp, 16), w2 = v128.load(wp, 32), w3 = v128.load(wp, 48);
        a0 = f32x4.add(a0, f32x4.mul(xa, w0)); b0 = f32x4.add(b0, f32x4.mul(xb, w0));
        a1 = f32x4.add(a1, f32x4.mul(xa, w1)); b1 = f32x4.add(b1, f32x4.mul(xb, w1));
        a2 = f32x4.add(a2, f32x4.mul(xa, w2)); b2 = f32x4.add(b2, f32x4.mul(xb, w2));
        a3 = f32x4.add(a3, f32x4.mul(xa, w3)); b3 = f32x4.add(b3, f32x4.mul(xb, w3));
        wp += 64;
      }
    }
    const o = <usize>co << 2;
    v128.store(y0 + o, a0); v128.store(y0 + o, a1, 16); v128.store(y0 + o, a2, 32); v128.store(y0 + o, a3, 48);
    v128.store(y1 + o, b0); v128.store(y1 + o, b1, 16); v128.store(y1 + o, b2, 32); v128.store(y1 + o, b3, 48);
  }
  for (; co + 4 <= coEnd; co += 4) {
    const block = wg + <usize>co * channelBytes;
    let a0 = biasVec(bias, co);
    let b0 = a0;
    for (let t = taps; t < tapsEnd; t += TAP_BYTES) {
      let p0 = <usize>load<u32>(t), p1 = <usize>load<u32>(t, 4);
      let wp = block + (<usize>load<u32>(t, 8) << 2);
      const pEnd = p0 + <usize>load<u32>(t, 12);
      for (; p0 < pEnd; p0 += 4, p1 += 4) {
        const w0 = v128.load(wp);
        a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(p0)), w0));
        b0 = f32x4.add(b0, f32x4.mul(f32x4.splat(load<f32>(p1)), w0));
        wp += 16;
      }
    }
    v128.store(y0 + (<usize>co << 2), a0);
    v128.store(y1 + (<usize>co << 2), b0);
  }
  const tail = coEnd - co;
  if (tail == 0) return;
  const o = <usize>co << 2;
  const block = wg + <usize>co * channelBytes;
  if (tail == 1) dotChannel(taps, tapsEnd, bias ? bias + o : 0, y0 + o, y1 + o, block);
  else dotChannels(taps, tapsEnd, tail, bias ? bias + o : 0, y0 + o, y1 + o, block, channelBytes);
}

@inline function hsum(v: v128): f32 {
  return (f32x4.extract_lane(v, 0) + f32x4.extract_lane(v, 1)) + (f32x4.extract_lane(v, 2) + f32x4.extract_lane(v, 3));
}

/**
 * Two or three output channels (weights [taps, Cig] each, channelBytes apart), sharing the input loads:
 * vectorized over ci. With two channels the third lane set repeats the second and is not stored.
 */
function dotChannels(taps: usize, tapsEnd: usize, count: u32, bias: usize, y0: usize, y1: usize, block: usize, channelBytes: usize): void {
  const wB = block + channelBytes, wC = count == 3 ? wB + channelBytes : wB;
  let a0 = f32x4.splat(0), a1 = a0, b0 = a0, b1 = a0, c0 = a0, c1 = a0;
  let sa0: f32 = 0, sa1: f32 = 0, sb0: f32 = 0, sb1: f32 = 0, sc0: f32 = 0, sc1: f32 = 0;
  for (let t = taps; t < tapsEnd; t += TAP_BYTES) {
    const p0 = <usize>load<u32>(t), p1 = <usize>load<u32>(t, 4), off = <usize>load<u32>(t, 8);
    const allBytes = <usize>load<u32>(t, 12), vecBytes = allBytes & ~(<usize>15);
    const wa = block + off, wb = wB + off, wc = wC + off;
    let i: usize = 0;
    for (; i < vecBytes; i += 16) {
      const x0 = v128.load(p0 + i), x1 = v128.load(p1 + i);
      const va = v128.load(wa + i), vb = v128.load(wb + i), vc = v128.load(wc + i);
      a0 = f32x4.add(a0, f32x4.mul(x0, va)); a1 = f32x4.add(a1, f32x4.mul(x1, va));
      b0 = f32x4.add(b0, f32x4.mul(x0, vb)); b1 = f32x4.add(b1, f32x4.mul(x1, vb));
      c0 = f32x4.add(c0, f32x4.mul(x0, vc)); c1 = f32x4.add(c1, f32x4.mul(x1, vc));
    }
    for (; i < allBytes; i += 4) {
      const x0 = load<f32>(p0 + i), x1 = load<f32>(p1 + i);
      const va = load<f32>(wa + i), vb = load<f32>(wb + i), vc = load<f32>(wc + i);
      sa0 += x0 * va; sa1 += x1 * va;
      sb0 += x0 * vb; sb1 += x1 * vb;
      sc0 += x0 * vc; sc1 += x1 * vc;
    }
  }
  const ba: f32 = bias ? load<f32>(bias) : 0, bb: f32 = bias ? load<f32>(bias, 4) : 0;
  store<f32>(y0, ba + hsum(a0) + sa0); store<f32>(y1, ba + hsum(a1) + sa1);
  store<f32>(y0, bb + hsum(b0) + sb0, 4); store<f32>(y1, bb + hsum(b1) + sb1, 4);
  if (count == 3) {
    const bc: f32 = bias ? load<f32>(bias, 8) : 0;
    store<f32>(y0, bc + hsum(c0) + sc0, 8); store<f32>(y1, bc + hsum(c1) + sc1, 8);
  }
}

/** One output channel whose weights are [taps, Cig] (contiguous over ci): vectorized over ci. */
function dotChannel(taps: usize, tapsEnd: usize, bias: usize, y0: usize, y1: usize, block: usize): void {
  // Two accumulators per pixel (even/odd groups of 4 channels) halve the add dependency chain.
  let va = f32x4.splat(0), vb = f32x4.splat(0), vc = f32x4.splat(0), vd = f32x4.splat(0);
  let sa: f32 = 0, sb: f32 = 0;
  for (let t = taps; t < tapsEnd; t += TAP_BYTES) {
    const p0 = <usize>load<u32>(t), p1 = <usize>load<u32>(t, 4), wp = block + <usize>load<u32>(t, 8);
    const allBytes = <usize>load<u32>(t, 12), vecBytes = allBytes & ~(<usize>15), pairBytes = allBytes & ~(<usize>31);
    let i: usize = 0;
    for (; i < pairBytes; i += 32) {
      const w0 = v128.load(wp + i), w1 = v128.load(wp + i, 16);
      va = f32x4.add(va, f32x4.mul(v128.load(p0 + i), w0));
      vb = f32x4.add(vb, f32x4.mul(v128.load(p1 + i), w0));
      vc = f32x4.add(vc, f32x4.mul(v128.load(p0 + i, 16), w1));
      vd = f32x4.add(vd, f32x4.mul(v128.load(p1 + i, 16), w1));
    }
    for (; i < vecBytes; i += 16) {
      const w = v128.load(wp + i);
      va = f32x4.add(va, f32x4.mul(v128.load(p0 + i), w));
      vb = f32x4.add(vb, f32x4.mul(v128.load(p1 + i), w));
    }
    for (; i < allBytes; i += 4) {
      const w = load<f32>(wp + i);
      sa += load<f32>(p0 + i) * w;
      sb += load<f32>(p1 + i) * w;
    }
  }
  const b: f32 = bias ? load<f32>(bias) : 0;
  store<f32>(y0, b + hsum(f32x4.add(va, vc)) + sa);
  store<f32>(y1, b + hsum(f32x4.add(vb, vd)) + sb);
}
