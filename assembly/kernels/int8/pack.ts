// Load-time repacking of i8 weights for the integer kernels, widened to i16 once so the inner loops need no
// widening. Each [cig, cog] block (one tap of one group) gets one of two layouts:
// - wide (the tile kernels, tile.ts): pairs of input channels interleaved per output channel, [ceil(cig/2)][cogP][2] i16 with
//   cogP = cog rounded up to 8 (padding channels and the odd last input channel are 0). One 16-byte load
//   holds 4 output channels x 2 input channels, an operand of i32x4.dot_i16x8_s as it is.
// - narrow (only convs with fewer than 8 output channels, narrow_conv.ts): per output channel and block the
//   input channels as i16, [cog][blocks][cigP] with cigP = cig rounded up to 8, so a dot runs along the input
//   channels (and on along the taps of a kernel row) against a row of (x - zp) values.

// - quad (relaxed build, 7-bit inputs): like wide with four input channels per output channel as i8,
//   [ceil(cig/4)][cogP][4], an operand of i32x4.relaxed_dot_i8x16_i7x16_add_s as it is (the same bytes per row).

@inline export function roundUp8(n: u32): u32 { return (n + 7) & ~7; }

/** Bytes of one packed [cig, cog] block. */
@inline export function packedBlockBytes(cig: u32, cog: u32, narrow: bool): usize {
  return narrow ? <usize>cog * roundUp8(cig) * 2 : <usize>((cig + 1) >> 1) * roundUp8(cog) * 4;
}

/** Bytes of one [cig, cog] block in the quad layout. */
@inline export function quadBlockBytes(cig: u32, cog: u32): usize { return <usize>((cig + 3) >> 2) * roundUp8(cog) * 4; }

/**
 * Packs `blocks` consecutive [cig, cog] i8 blocks from w into out (packedBlockBytes each, in total; relaxed build
 * with `quad`: the quad layout, quadBlockBytes each).
 */
export function packWeightsI8(w: usize, out: usize, blocks: u32, cig: u32, cog: u32, narrow: bool, quad: bool = false): void {
  const bytes = ASC_FEATURE_RELAXED_SIMD && quad ? quadBlockBytes(cig, cog) : packedBlockBytes(cig, cog, narrow);
  memory.fill(out, 0, <usize>blocks * bytes);
  const cogP = roundUp8(cog), cigP = roundUp8(cig);
  for (let b: u32 = 0; b < blocks; b++) {
    const src = w + <usize>b * cig * cog, dst = out + <usize>b * bytes;
    for (let ci: u32 = 0; ci < cig; ci++) {
      for (let co: u32 = 0; co < cog; co++) {
        const v = load<i8>(src + <usize>ci * cog + co);
        if (ASC_FEATURE_RELAXED_SIMD && quad) store<i8>(dst + (<usize>((ci >> 2) * cogP + co) << 2) + (ci & 3), <i8>v);
        else if (!narrow) store<i16>(dst + (<usize>((ci >> 1) * cogP + co) << 2) + ((ci & 1) << 1), <i16>v);
        else store<i16>(out + (<usize>((co * blocks + b) * cigP + ci) << 1), <i16>v);
      }
    }
  }
}
