// Load-time repacking of i8 weights for the integer kernels: each [cig, cog] block (one tap of one group)
// becomes pairs of input channels interleaved per output channel, [ceil(cig/2)][cog][2], the odd last
// channel paired with 0. One 16-byte load then holds 8 output channels x 2 input channels, ready for
// i16x8 widening and i32x4.dot_i16x8_s without shuffles.

@inline export function packedBlockBytes(cig: u32, cog: u32): usize { return <usize>((cig + 1) >> 1) * cog * 2; }

/** Packs `blocks` consecutive [cig, cog] i8 blocks from w into out (packedBlockBytes each). */
export function packPairs(w: usize, out: usize, blocks: u32, cig: u32, cog: u32): void {
  const pairs = (cig + 1) >> 1;
  for (let b: u32 = 0; b < blocks; b++) {
    const src = w + <usize>b * cig * cog, dst = out + <usize>b * packedBlockBytes(cig, cog);
    for (let p: u32 = 0; p < pairs; p++) {
      for (let co: u32 = 0; co < cog; co++) {
        const ci = p << 1;
        const o = dst + (<usize>(p * cog + co) << 1);
        store<i8>(o, load<i8>(src + <usize>ci * cog + co));
        store<i8>(o + 1, ci + 1 < cig ? load<i8>(src + <usize>(ci + 1) * cog + co) : 0);
      }
    }
  }
}
