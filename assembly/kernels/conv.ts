// CONV2D and CONV_TRANSPOSE (f32) on one HWC sample, both in gather form through conv_gather.ts: the output
// pixels that see the same kernel taps form a class, whose taps are found once.
// - CONV2D (cross-correlation, zero padding): one class covering the whole output, pixel (oy, ox) reading
//   input (oy*sH - padTop + ky*dH, ox*sW - padLeft + kx*dW). With one group and dilationW 1, a kernel row whose
//   inputs are all inside the image is a single tap (its kw input pixels and their weights are adjacent in
//   memory), which cuts the per-tap overhead of thin layers (Ci = 1..3, Co = 1).
// - CONV_TRANSPOSE: out[oy,ox] sums a[iy,ix]*w[ky,kx] over the taps with oy = iy*sH - padTop + ky*dH (same for
//   x). The output pixels of one stride phase (oy mod sH, ox mod sW) see the same taps, so each phase is a
//   class: its valid kernel rows form a progression (first tap ky0, then every kyStep taps, the input row moving
//   up by kyStep*dH/sH), and the next output row of the phase (oy + sH) reads the next input row.
// When a group's weights exceed the cache budget, output channels go in chunks.
import { channelChunk } from './conv_tile';
import { beginGatherOp, beginGatherPass, convClass } from './conv_gather';
import { ConvGeometry } from './conv_geometry';
import { winogradFits, winogradConv } from './conv_winograd';

/** First k in [0, min(kEnd, s)) with (o - k*d) divisible by s, or kEnd when there is none. */
function firstTap(o: i32, d: i32, s: i32, kEnd: i32): i32 {
  const end = min(kEnd, s);
  for (let k = 0; k < end; k++) if ((o - k * d) % s == 0) return k; // also right for a negative dividend: remainder 0
  return kEnd;
}

/** The classes of a transposed conv: one per stride phase (see the top of this file). */
function transposedClasses(OH: i32, OW: i32, kh: i32, kw: i32, sh: i32, sw: i32, pt: i32, pl: i32, dh: i32, dw: i32): void {
  for (let ry = 0; ry < min(sh, OH); ry++) {
    const ky0 = firstTap(ry + pt, dh, sh, kh);
    for (let rx = 0; rx < min(sw, OW); rx++) {
      const kx0 = firstTap(rx + pl, dw, sw, kw);
      convClass(ry, sh, (OH - ry + sh - 1) / sh, rx, sw, (OW - rx + sw - 1) / sw,
        (ry + pt - ky0 * dh) / sh, 1, (rx + pl - kx0 * dw) / sw, 1, ky0, kx0);
    }
  }
}

/**
 * `w`: weights in the kernel layout (packConvWeights in conv_tile.ts, or conv_winograd.ts's when it fits).
 * `relu`: applied to the outputs.
 */
export function conv(transposed: bool, x: usize, w: usize, bias: usize, y: usize, geom: ConvGeometry, relu: bool): void {
  const Ci = <u32>geom.inC, Co = <u32>geom.outC, OH = geom.outH, OW = geom.outW;
  const kh = geom.kernelH, kw = geom.kernelW, sh = geom.strideH, sw = geom.strideW;
  const pt = geom.padTop, pl = geom.padLeft, dh = geom.dilationH, dw = geom.dilationW, G = <u32>geom.groups;
  if (winogradFits(transposed, Ci, Co, kh, kw, sh, sw, pt, pl, dh, dw, G)) {
    winogradConv(transposed, x, w, bias, y, Ci, geom.inH, geom.inW, Co, OH, OW, relu);
    return;
  }
  const Cig = Ci / G, Cog = Co / G;
  const groupWeights = <usize>(kh * kw) * Cig * Cog * 4;
  const chunk = channelChunk(Cog, groupWeights);
  // Tap progression within a class: a conv takes every tap (step 1, input moving by the dilation); a
  // transposed conv every kStep-th, the smallest k >= 1 with k*d divisible by s (kEnd if none).
  let kyStep = 1, kxStep = 1, iyTap = dh, ixTap = dw;
  if (transposed) {
    kyStep = 1 + firstTap(-dh, dh, sh, kh - 1); kxStep = 1 + firstTap(-dw, dw, sw, kw - 1);
    iyTap = -(kyStep * dh / sh); ixTap = -(kxStep * dw / sw);
  }
  const rowRuns = !transposed && dw == 1 && G == 1 && kw > 1;
  beginGatherOp(geom, kyStep, kxStep, iyTap, ixTap, rowRuns, relu);
  for (let g: u32 = 0; g < G; g++) {
    for (let c0: u32 = 0; c0 < Cog; c0 += chunk) {
      beginGatherPass(x + (<usize>(g * Cig) << 2), y + (<usize>(g * Cog) << 2),
        w + <usize>g * groupWeights, bias ? bias + (<usize>(g * Cog) << 2) : 0, c0, Cog - c0 <= chunk ? Cog : c0 + chunk);
      if (transposed) transposedClasses(OH, OW, kh, kw, sh, sw, pt, pl, dh, dw);
      else convClass(0, 1, OH, 0, 1, OW, -pt, sh, -pl, sw, 0, 0);
    }
  }
}
