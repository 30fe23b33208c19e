// CONV2D (cross-correlation, zero padding) on one HWC sample. Output pixels are taken in horizontal
// pairs; for each pair the valid taps are listed once and convTile does the channel math. With one
// group and dilationW 1, a kernel row whose inputs are all inside the image is a single tap (its kw
// input pixels and their weights are adjacent in memory), which cuts the per-tap overhead of thin
// layers (Ci = 1..3, Co = 1). When a group's weights exceed L1, output channels are done in chunks.
import { convTile, channelChunk, TAP_BYTES } from './conv_tile';
import { tapBuffer, zeroBuffer, dummyOutput } from '../model';

/** `w`: weights in the kernel layout (packConvWeights in conv_tile.ts). */
export function conv2d(
  x: usize, w: usize, bias: usize, y: usize,
  Ci: u32, H: i32, W: i32, Co: u32, OH: i32, OW: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, G: u32,
): void {
  const Cig = Ci / G, Cog = Co / G;
  const tapWeights = <usize>Cig * Cog * 4;
  const channelBytes = <usize>(kh * kw) * Cig * 4;
  const pixelIn = <usize>Ci << 2, pixelOut = <usize>Co << 2;
  const taps = tapBuffer, zeros = zeroBuffer;
  const chunk = channelChunk(Cog, <usize>(kh * kw) * tapWeights);
  const mergeRows = dw == 1 && G == 1 && kw > 1;
  for (let g: u32 = 0; g < G; g++) {
    const wg = w + <usize>g * <usize>(kh * kw) * tapWeights;
    const xg = x + (<usize>(g * Cig) << 2);
    const yg = y + (<usize>(g * Cog) << 2);
    const bg = bias ? bias + (<usize>(g * Cog) << 2) : 0;
    for (let c0: u32 = 0; c0 < Cog; c0 += chunk) {
      const c1 = Cog - c0 <= chunk ? Cog : c0 + chunk;
      for (let oy = 0; oy < OH; oy++) {
        const iy0 = oy * sh - pt;
        for (let ox = 0; ox < OW; ox += 2) {
          const pair = ox + 1 < OW;
          const ix00 = ox * sw - pl;
          let n: u32 = 0;
          // Whole kernel rows are one tap when both pixels see all kw inputs and those are adjacent.
          const rowInside = mergeRows && ix00 >= 0 && ix00 + kw - 1 + (pair ? sw : 0) < W;
          for (let ky = 0; ky < kh; ky++) {
            const iy = iy0 + ky * dh;
            if (iy < 0 || iy >= H) continue;
            const row = xg + <usize>(iy * W) * pixelIn;
            if (rowInside) {
              const t = taps + <usize>n * TAP_BYTES;
              const x0 = row + <usize>ix00 * pixelIn;
              store<u32>(t, <u32>x0);
              store<u32>(t, <u32>(pair ? x0 + <usize>sw * pixelIn : x0), 4); // lone pixel: its twin is discarded
              store<u32>(t, ky * kw * Cig * 4, 8);
              store<u32>(t, kw * Cig * 4, 12);
              n++;
              continue;
            }
            for (let kx = 0; kx < kw; kx++) {
              const ix0 = ix00 + kx * dw, ix1 = ix0 + sw;
              const v0 = ix0 >= 0 && ix0 < W, v1 = pair && ix1 >= 0 && ix1 < W;
              if (!v0 && !v1) continue;
              const t = taps + <usize>n * TAP_BYTES;
              store<u32>(t, <u32>(v0 ? row + <usize>ix0 * pixelIn : zeros));
              store<u32>(t, <u32>(v1 ? row + <usize>ix1 * pixelIn : zeros), 4);
              store<u32>(t, (ky * kw + kx) * Cig * 4, 8);
              store<u32>(t, Cig * 4, 12);
              n++;
            }
          }
          const y0 = yg + <usize>(oy * OW + ox) * pixelOut;
          convTile(taps, n, Cog, c0, c1, wg, channelBytes, bg, y0, pair ? y0 + pixelOut : dummyOutput);
        }
      }
    }
  }
}
