// The relaxed-SIMD runtime (build/edgevae-relaxed.wasm): the same module as index.ts, compiled with
// --enable relaxed-simd (ASC_FEATURE_RELAXED_SIMD), so the int8 kernels use i32x4.relaxed_dot_i8x16_i7x16_add_s on
// 7-bit inputs (exact on every engine) and the f32 conv loops can use f32x4.relaxed_madd when asked.
export * from './index';
import { setFusedF32 as setFused } from './kernels/fused_f32';

/** 1: the f32 conv inner loops (8-channel blocks) use fused multiply-adds (exact per engine and hardware, not across them); 0: off. */
export function setFusedF32(on: u32): void { setFused(on != 0); }
