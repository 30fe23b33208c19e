// Scratch of the int8 kernels: per-channel accumulators of a two-pixel tile, the (x - zeroPoint) row of a dense input, and the tap list of a tile. Allocated once (at model load,
// ensureQuantScratch) so the kernels never allocate while running; the loaders reject int8 ops whose
// channel or reduction counts exceed MAX_QUANT_CHANNELS.
import { allocBytes } from '../../memory';

export const MAX_QUANT_CHANNELS: u32 = 16384;
/** Taps gathered before one accumulation pass (kernels/int8/tile.ts); more are handled in several passes. */
export const MAX_TILE_TAPS: u32 = 64;
/** Bytes per tap-list entry: u32 addresses of the input rows of pixels 0..3 of a tile, then of the weight block. */
export const TAP_ENTRY_BYTES: u32 = 20;
/** Channels of the accumulators of pixels 2 and 3 (only the narrow layout, cog < 8, uses four-pixel tiles). */
export const NARROW_CHANNELS: u32 = 8;

/** i32 or f32 accumulators, one per output channel of the current group (pixel 0 of a tile). */
export let accBuf: usize = 0;
/** Accumulators of pixel 1 of a two-pixel tile. */
export let acc1Buf: usize = 0;
/** Accumulators of pixels 2 and 3 of a four-pixel tile (NARROW_CHANNELS each). */
export let acc2Buf: usize = 0;
export let acc3Buf: usize = 0;
/** MAX_QUANT_CHANNELS f32 zeros: the input row of a weight-only tile's pixel whose tap falls outside the input. */
export let zeroF32: usize = 0;
/** (x - zp) as i16 of the current dense input (padded with zeros to a multiple of 8 channels). */
export let pairBuf: usize = 0;
/** The current tile's taps (MAX_TILE_TAPS entries of TAP_ENTRY_BYTES). */
export let tapList: usize = 0;

/** Allocates the scratch on first use; false when memory cannot grow. */
export function ensureQuantScratch(): bool {
  if (accBuf != 0) return true;
  const block = allocBytes(<usize>MAX_QUANT_CHANNELS * 14 + <usize>MAX_TILE_TAPS * TAP_ENTRY_BYTES + <usize>NARROW_CHANNELS * 8 + 64);
  if (block == 0) return false;
  accBuf = block;
  acc1Buf = accBuf + <usize>MAX_QUANT_CHANNELS * 4;
  pairBuf = acc1Buf + <usize>MAX_QUANT_CHANNELS * 4;
  acc2Buf = pairBuf + <usize>MAX_QUANT_CHANNELS * 2;
  acc3Buf = acc2Buf + <usize>NARROW_CHANNELS * 4;
  tapList = acc3Buf + <usize>NARROW_CHANNELS * 4;
  zeroF32 = tapList + <usize>MAX_TILE_TAPS * TAP_ENTRY_BYTES;
  memory.fill(zeroF32, 0, <usize>MAX_QUANT_CHANNELS * 4);
  return true;
}

/**
 * (x - zp) rows of a whole conv input (per pixel, per group, then one zero row for taps outside the
 * input), so each input pixel is converted once per call, followed by the input column of every
 * (output column, kernel column) pair. Sized at load (kernels/int8/conv.ts convScratchBytes).
 */
export let pairImage: usize = 0;
let pairImageBytes: usize = 0;

/** Makes pairImage at least `bytes` long (load time); false when memory cannot grow. */
export function ensurePairImage(bytes: usize): bool {
  if (bytes <= pairImageBytes) return true;
  const block = allocBytes(bytes + 16);
  if (block == 0) return false;
  pairImage = block;
  pairImageBytes = bytes;
  return true;
}

/** The weights of the current weight-only conv widened to f32 (once per call), when it has >= 8 channels per group. */
export let wideF32: usize = 0;
let wideF32Bytes: usize = 0;

/** Makes wideF32 at least `bytes` long (load time); false when memory cannot grow. */
export function ensureWideF32(bytes: usize): bool {
  if (bytes <= wideF32Bytes) return true;
  const block = allocBytes(bytes + 16);
  if (block == 0) return false;
  wideF32 = block;
  wideF32Bytes = bytes;
  return true;
}
