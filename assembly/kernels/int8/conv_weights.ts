// Weight-only (int8-weights) CONV2D and CONV_TRANSPOSE over HWC f32 activations with i8 weights
// [G, KH, KW, Ci/G, Co/G]: y[c] = (sum of x * f32(w) in tap (ky, kx) order, then input-channel order) * scale[c]
// + bias[c], one f32 mul and one f32 add per term, so it is bit-exact with the sequential reference.
// Tiles of two output pixels of a row (neighbours, or neighbours within a stride phase for a transposed conv)
// share every widened weight vector; with fewer than 8 output channels per group, tiles of four pixels put one
// pixel in each lane instead. A tap outside the input for one pixel of the tile reads a row of +0.0:
// its terms are +-0 and adding them leaves the sum unchanged (the sum starts at +0 and so is never -0).
import { accBuf, acc1Buf, acc2Buf, acc3Buf, tapList, zeroF32, MAX_TILE_TAPS, TAP_ENTRY_BYTES, NARROW_CHANNELS, wideF32 } from './scratch';
import { accumulateF32x2, accumulateF32x4Narrow, widenWeights } from './accumulate';
import { scaleRow } from './dense';
import { tapSource } from './taps';
import { zeroAcc } from './tile';

/** Weight-only conv / transposed conv of one sample: f32 x -> f32 y (activation applied by the caller). */
export function convWeightsI8(transposed: bool, x: usize, w: usize, wScales: usize, bias: usize, y: usize,
  Ci: i32, H: i32, W: i32, Co: i32, OH: i32, OW: i32, kh: i32, kw: i32,
  sH: i32, sW: i32, padT: i32, padL: i32, dH: i32, dW: i32, groups: i32): void {
  const cig = <u32>(Ci / groups), cog = <u32>(Co / groups);
  const tapBytes = <usize>cig * cog; // i8 weights of one tap of one group
  const accBytes = (<usize>cog * 4 + 31) & ~<usize>31;
  const step = transposed ? sW : 1, phases = transposed ? min(sW, OW) : 1;
  const narrow = cog < NARROW_CHANNELS, P = narrow ? 4 : 2; // pixels per tile
  // Wide tiles read f32 weights (widened once here, into scratch sized at load: weightOnlyScratchBytes).
  const wk = narrow ? w : wideF32, wkTap = narrow ? tapBytes : tapBytes << 2;
  if (!narrow) widenWeights(w, wideF32, <usize>groups * kh * kw * tapBytes);
  for (let oy: i32 = 0; oy < OH; oy++) {
    for (let ph: i32 = 0; ph < phases; ph++) {
      const count = (OW - ph + step - 1) / step;
      for (let t0: i32 = 0; t0 < count; t0 += P) {
        const ox = ph + t0 * step, np = min(P, count - t0);
        for (let g: i32 = 0; g < groups; g++) {
          for (let j: i32 = 0; j < P; j++) zeroAcc(accOf(j), accBytes);
          let n: u32 = 0;
          for (let ky: i32 = 0; ky < kh; ky++) {
            const iy = tapSource(transposed, oy, ky, sH, padT, dH, H);
            if (iy < 0) continue;
            const row = x + ((<usize>iy * W * Ci + <usize>g * cig) << 2);
            for (let kx: i32 = 0; kx < kw; kx++) {
              const e = tapList + <usize>n * TAP_ENTRY_BYTES;
              let used = false;
              for (let j: i32 = 0; j < P; j++) {
                const ix = j < np ? tapSource(transposed, ox + j * step, kx, sW, padL, dW, W) : -1;
                if (ix >= 0) used = true;
                store<u32>(e + (<usize>j << 2), <u32>(ix >= 0 ? row + (<usize>ix * Ci << 2) : zeroF32));
              }
              if (!used) continue; // the entry is overwritten by the next tap
              store<u32>(e, <u32>(wk + <usize>((g * kh + ky) * kw + kx) * wkTap), 16);
              if (++n == MAX_TILE_TAPS) { flush(narrow, n, cig, cog); n = 0; }
            }
          }
          flush(narrow, n, cig, cog);
          const first = <usize>g * cog;
          const s = wScales + (first << 2), b = bias ? bias + (first << 2) : 0;
          for (let j: i32 = 0; j < np; j++) scaleRow(accOf(j), s, b, y + ((<usize>(oy * OW + ox + j * step) * Co + first) << 2), cog);
        }
      }
    }
  }
}

@inline function accOf(j: i32): usize { return j == 0 ? accBuf : j == 1 ? acc1Buf : j == 2 ? acc2Buf : acc3Buf; }

@inline function flush(narrow: bool, n: u32, cig: u32, cog: u32): void {
  if (n == 0) return;
  if (narrow) accumulateF32x4Narrow(n, cig, cog);
  else accumulateF32x2(n, cig, cog);
}

/** Bytes of wideF32 a weight-only conv needs (0 when its tiles read the i8 weights directly). */
export function weightOnlyScratchBytes(ci: u32, co: u32, kH: u32, kW: u32, g: u32): usize {
  return co / g < NARROW_CHANNELS ? 0 : <usize>kH * kW * (ci / g) * co * 4;
}
