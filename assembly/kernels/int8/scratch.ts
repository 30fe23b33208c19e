// Scratch of the int8 kernels: per-channel accumulators of a two-pixel tile, the (x - zeroPoint) row of a dense input, and the tap list of a tile. Allocated once (at model load,
// ensureQuantScratch) so the kernels never allocate while running; the loaders reject int8 ops whose
// channel or reduction counts exceed MAX_QUANT_CHANNELS.
import { allocBytes } from '../../memory';

export const MAX_QUANT_CHANNELS: u32 = 16384;
/** Taps gathered before one accumulation pass (kernels/int8/tile.ts); more are handled in several passes. */
export const MAX_TILE_TAPS: u32 = 64;
/** Bytes per tap-list entry: u32 addresses of the input rows of pixels 0..3 of a tile, then of the weight block. */
export const TAP_ENTRY_BYTES: u32 = 20;

/** i32 accumulators, one per output channel of the current group (pixel 0 of a tile). */
export let accBuf: usize = 0;
/** Accumulators of pixel 1 of a two-pixel tile. */
export let acc1Buf: usize = 0;
/** (x - zp) as i16 of the current dense input (padded with zeros to a multiple of 8 channels). */
export let pairBuf: usize = 0;
/** The current tile's taps (MAX_TILE_TAPS entries of TAP_ENTRY_BYTES). */
export let tapList: usize = 0;

/**
 * Relaxed build: the current integer op reads 7-bit activations (0..127), packed as bytes, with weights in the
 * quad layout (pack.ts), accumulated by i32x4.relaxed_dot_i8x16_i7x16_add_s (tile.ts). Set per call by the
 * executor (quant_dispatch.ts); always false in the fixed build.
 */
export let quadInput: bool = false;
export function setQuadInput(on: bool): void { quadInput = on; }
/** Bytes of the block holding accBuf, acc1Buf, pairBuf and tapList. */
export const QUANT_SCRATCH_BYTES: usize = <usize>MAX_QUANT_CHANNELS * 10 + <usize>MAX_TILE_TAPS * TAP_ENTRY_BYTES + 64;

/** Allocates the scratch on first use; false when memory cannot grow. */
export function ensureQuantScratch(): bool {
  if (accBuf != 0) return true;
  const block = allocBytes(QUANT_SCRATCH_BYTES);
  if (block == 0) return false;
  useQuantScratch(block);
  return true;
}

/** Points the scratch at a block of QUANT_SCRATCH_BYTES (the threaded build gives each team member its own). */
export function useQuantScratch(block: usize): void {
  accBuf = block;
  acc1Buf = accBuf + <usize>MAX_QUANT_CHANNELS * 4;
  pairBuf = acc1Buf + <usize>MAX_QUANT_CHANNELS * 4;
  tapList = pairBuf + <usize>MAX_QUANT_CHANNELS * 2;
}

/**
 * Threaded build: this team member's own block for what the integer convs keep per call besides the shared
 * pairImage (tile offsets, the narrow form's tap table, the tap-row form's two rows); memberAuxBytes sizes it.
 */
export let memberAux: usize = 0;
export function setMemberAux(p: usize): void { memberAux = p; }
export function memberAuxBytes(ci: u32, kH: u32, kW: u32): u64 { return <u64>kH * kW * 16 + (<u64>(kH * kW * ci + 7) & ~7) * 4 + 16; }

/**
 * (x - zp) rows of a whole conv input (per pixel, per group, then one zero row for taps outside the
 * input), so each input pixel is converted once per call, followed by the input column of every
 * (output column, kernel column) pair. Sized at load (kernels/int8/conv.ts convScratchBytes).
 */
export let pairImage: usize = 0;
let pairImageBytes: usize = 0;

/** Threaded build: a team member uses member 0's pairImage (the members fill it together). */
export function usePairImage(p: usize): void { pairImage = p; }

/** Makes pairImage at least `bytes` long (load time); false when memory cannot grow. */
export function ensurePairImage(bytes: usize): bool {
  if (bytes <= pairImageBytes) return true;
  const block = allocBytes(bytes + 16);
  if (block == 0) return false;
  pairImage = block;
  pairImageBytes = bytes;
  return true;
}
