// CONV2D (cross-correlation, zero padding) on one HWC sample: one class of conv_gather.ts covering the
// whole output, pixel (oy, ox) reading input (oy*sH - padTop + ky*dH, ox*sW - padLeft + kx*dW). With one
// group and dilationW 1, a kernel row whose inputs are all inside the image is a single tap (its kw input
// pixels and their weights are adjacent in memory), which cuts the per-tap overhead of thin layers
// (Ci = 1..3, Co = 1). When a group's weights exceed the cache budget, output channels go in chunks.
import { channelChunk } from './conv_tile';
import { convGeometry, convClass } from './conv_gather';

/** `w`: weights in the kernel layout (packConvWeights in conv_tile.ts). `relu`: applied to the outputs. */
export function conv2d(
  x: usize, w: usize, bias: usize, y: usize,
  Ci: u32, H: i32, W: i32, Co: u32, OH: i32, OW: i32,
  kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32, G: u32, relu: bool,
): void {
  const Cig = Ci / G, Cog = Co / G;
  const groupWeights = <usize>(kh * kw) * Cig * Cog * 4;
  const chunk = channelChunk(Cog, groupWeights);
  for (let g: u32 = 0; g < G; g++) {
    for (let c0: u32 = 0; c0 < Cog; c0 += chunk) {
      convGeometry(x + (<usize>(g * Cig) << 2), H, W, Ci, Cig, y + (<usize>(g * Cog) << 2), OW, Co,
        kh, kw, 1, 1, dh, dw, dw == 1 && G == 1 && kw > 1,
        w + <usize>g * groupWeights, bias ? bias + (<usize>(g * Cog) << 2) : 0, c0, Cog - c0 <= chunk ? Cog : c0 + chunk, relu);
      convClass(0, 1, OH, 0, 1, OW, -pt, sh, -pl, sw, 0, 0);
    }
  }
}
