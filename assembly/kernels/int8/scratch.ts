// Scratch of the int8 kernels: per-channel accumulators and requantization parameters, and the
// (x - zeroPoint) input pairs of one tap. Allocated once (at model load, ensureQuantScratch) so the kernels
// never allocate while running; the loaders reject int8 ops whose channel or reduction counts exceed
// MAX_QUANT_CHANNELS.
import { allocBytes } from '../../memory';

export const MAX_QUANT_CHANNELS: u32 = 16384;

/** i32 or f32 accumulators, one per output channel of the current group. */
export let accBuf: usize = 0;
/** Packed (x[2p] - zp) | (x[2p+1] - zp) << 16 pairs of the current input pixel, as i16 halves of an i32. */
export let pairBuf: usize = 0;
/** Per output channel: Q31 multiplier and right shift (kernels/int8/requantize.ts). */
export let multBuf: usize = 0;
export let shiftBuf: usize = 0;

/** Allocates the scratch on first use; false when memory cannot grow. */
export function ensureQuantScratch(): bool {
  if (accBuf != 0) return true;
  const block = allocBytes(<usize>MAX_QUANT_CHANNELS * 14 + 64);
  if (block == 0) return false;
  accBuf = block;
  multBuf = accBuf + <usize>MAX_QUANT_CHANNELS * 4;
  shiftBuf = multBuf + <usize>MAX_QUANT_CHANNELS * 4;
  pairBuf = shiftBuf + <usize>MAX_QUANT_CHANNELS * 4;
  return true;
}

/** (x - zp) pairs of a whole conv input (per pixel, per group), so each input pixel is packed once per call. */
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
