// Error measures between a float reference and a quantized result.

/** PSNR in dB for signals with the given peak (images in [0, 1]: peak 1); capped at 100 dB for exact matches. */
export function psnr(ref: ArrayLike<number>, test: ArrayLike<number>, peak = 1): number {
  const mse = meanSquaredError(ref, test);
  return mse === 0 ? 100 : Math.min(100, 10 * Math.log10((peak * peak) / mse));
}

export function meanSquaredError(ref: ArrayLike<number>, test: ArrayLike<number>): number {
  if (ref.length !== test.length) throw new Error(`compared signals differ in length: ${ref.length} vs ${test.length}`);
  let s = 0;
  for (let i = 0; i < ref.length; i++) { const d = ref[i]! - test[i]!; s += d * d; }
  return s / Math.max(1, ref.length);
}

export function maxAbsError(ref: ArrayLike<number>, test: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < ref.length; i++) m = Math.max(m, Math.abs(ref[i]! - test[i]!));
  return m;
}

export const mean = (v: readonly number[]): number => v.reduce((s, x) => s + x, 0) / Math.max(1, v.length);
