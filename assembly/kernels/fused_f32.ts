// Relaxed build only: whether the f32 conv inner loops (conv_tile.ts, 8-channel blocks) use f32x4.relaxed_madd, a fused multiply-add
// where the hardware has one. Off unless the host asks (setFusedF32): a fused multiply-add rounds once instead
// of twice, so its results are exact per engine and hardware but differ across them; the default stays bit-exact.

export let fusedF32: bool = false;
export function setFusedF32(on: bool): void { fusedF32 = ASC_FEATURE_RELAXED_SIMD && on; }

/** acc + a * b: one relaxed_madd when `fused` (a constant at each inlined use), else multiply then add. */
@inline export function madd(acc: v128, a: v128, b: v128, fused: bool): v128 {
  if (ASC_FEATURE_RELAXED_SIMD) { if (fused) return f32x4.relaxed_madd(a, b, acc); }
  return f32x4.add(acc, f32x4.mul(a, b));
}
