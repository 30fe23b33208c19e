// CONV_TRANSPOSE in gather form on one HWC sample: out[oy,ox] sums a[iy,ix]*w[ky,kx] over the taps with
// oy = iy*sH - padTop + ky*dH (same for x). Output pixels ox and ox+sW use the same kx taps (input
// columns ix and ix+1), so pixels are paired within one stride phase and only valid taps are listed.
// Output channels are chunked like conv2d.ts when a group's weights exceed L1.
import { convTile, channelChunk, TAP_BYTES } from './conv_tile';
import { tapBuffer, zeroBuffer, dummyOutput } from '../model';

/** `w`: weights in the kernel layout (packConvWeights in conv_tile.ts). */
export function convTranspose(
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
  const phases = min(sw, OW);
  for (let g: u32 = 0; g < G; g++) {
    const wg = w + <usize>g * <usize>(kh * kw) * tapWeights;
    const xg = x + (<usize>(g * Cig) << 2);
    const yg = y + (<usize>(g * Cog) << 2);
    const bg = bias ? bias + (<usize>(g * Cog) << 2) : 0;
    for (let c0: u32 = 0; c0 < Cog; c0 += chunk) {
      const c1 = Cog - c0 <= chunk ? Cog : c0 + chunk;
      for (let oy = 0; oy < OH; oy++) {
        for (let phase = 0; phase < phases; phase++) {
          for (let ox = phase; ox < OW; ox += 2 * sw) {
            const pair = ox + sw < OW;
            let n: u32 = 0;
            for (let ky = 0; ky < kh; ky++) {
              const ty = oy + pt - ky * dh;
              if (ty < 0 || ty % sh != 0) continue;
              const iy = ty / sh;
              if (iy >= H) continue;
              const row = xg + <usize>(iy * W) * pixelIn;
              for (let kx = 0; kx < kw; kx++) {
                const tx = ox + pl - kx * dw;
                if (tx % sw != 0) continue; // also right for negative tx: the remainder is then 0 or negative
                const ix0 = tx / sw, ix1 = ix0 + 1;
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
            convTile(taps, n, Cog, c0, c1, wg, channelBytes, bg, y0, pair ? yg + <usize>(oy * OW + ox + sw) * pixelOut : dummyOutput);
          }
        }
      }
    }
  }
}
