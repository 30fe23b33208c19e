// @ts-nocheck  (AssemblyScript source, compiled by bench/simd-peak.ts; tsc cannot type v128 code)
// Micro-kernels that measure the machine's WebAssembly SIMD peak, so each real kernel's GMAC/s can be
// read as a fraction of what one core can do. Operands stay in registers or L1 (a 1 KiB ring).

const RING: usize = 1024;
const ring = memory.data(RING as i32, 16);

export function fill(): void {
  // first half: f32 values for the f32 kernel; second half: i8 values and i16 weights for the int8 kernel
  for (let i: usize = 0; i < RING / 2; i += 4) store<f32>(ring + i, <f32>((i * 37) % 101) / 64 - 0.75);
  for (let i: usize = RING / 2; i < RING; i++) store<i8>(ring + i, <i8>(((i * 37) & 0x7f) - 64));
}

// Weights are loaded from memory before the loop (not v128.const) so they live in registers:
// 8 accumulators + 4 weights + 2-3 operands fit the 16 vector registers of x64.

/** f32x4.mul + f32x4.add into 8 independent accumulators: 32 MACs per iteration. */
export function f32MulAdd(iterations: i32): f32 {
  let a0 = f32x4.splat(0), a1 = f32x4.splat(0), a2 = f32x4.splat(0), a3 = f32x4.splat(0);
  let a4 = f32x4.splat(0), a5 = f32x4.splat(0), a6 = f32x4.splat(0), a7 = f32x4.splat(0);
  const w0 = v128.load(ring), w1 = v128.load(ring + 16), w2 = v128.load(ring + 32), w3 = v128.load(ring + 48);
  for (let i = 0; i < iterations; i++) {
    // the operands change every iteration (a 256-byte ring in L1), so nothing can be hoisted
    const at = ring + ((<usize>i << 5) & (RING / 2 - 1));
    const x0 = v128.load(at), x1 = v128.load(at, 16);
    a0 = f32x4.add(a0, f32x4.mul(x0, w0));
    a1 = f32x4.add(a1, f32x4.mul(x0, w1));
    a2 = f32x4.add(a2, f32x4.mul(x0, w2));
    a3 = f32x4.add(a3, f32x4.mul(x0, w3));
    a4 = f32x4.add(a4, f32x4.mul(x1, w0));
    a5 = f32x4.add(a5, f32x4.mul(x1, w1));
    a6 = f32x4.add(a6, f32x4.mul(x1, w2));
    a7 = f32x4.add(a7, f32x4.mul(x1, w3));
  }
  const s = f32x4.add(f32x4.add(f32x4.add(a0, a1), f32x4.add(a2, a3)), f32x4.add(f32x4.add(a4, a5), f32x4.add(a6, a7)));
  return f32x4.extract_lane(s, 0) + f32x4.extract_lane(s, 1) + f32x4.extract_lane(s, 2) + f32x4.extract_lane(s, 3);
}

/**
 * i32x4.dot_i16x8_s + i32x4.add into 8 accumulators, operands already i16: 64 MACs per iteration. The real
 * int8 kernels widen each activation row to i16 once (kernels/int8/tile.ts packInputRow) and reuse it across
 * all output channels and taps, so their inner loop is exactly load + dot + add, like this one.
 */
export function int8Dot(iterations: i32): i32 {
  let a0 = i32x4.splat(0), a1 = i32x4.splat(0), a2 = i32x4.splat(0), a3 = i32x4.splat(0);
  let a4 = i32x4.splat(0), a5 = i32x4.splat(0), a6 = i32x4.splat(0), a7 = i32x4.splat(0);
  const half = ring + RING / 2;
  const w0 = i16x8.extend_low_i8x16_s(v128.load(half)), w1 = i16x8.extend_high_i8x16_s(v128.load(half));
  const w2 = i16x8.extend_low_i8x16_s(v128.load(half + 16)), w3 = i16x8.extend_high_i8x16_s(v128.load(half + 16));
  for (let i = 0; i < iterations; i++) {
    // two vectors of i16 operands from the ring (its bytes read as i16: any values do for timing)
    const at = half + ((<usize>i << 5) & (RING / 2 - 1));
    const lo = v128.load(at), hi = v128.load(at, 16);
    a0 = i32x4.add(a0, i32x4.dot_i16x8_s(lo, w0));
    a1 = i32x4.add(a1, i32x4.dot_i16x8_s(lo, w1));
    a2 = i32x4.add(a2, i32x4.dot_i16x8_s(lo, w2));
    a3 = i32x4.add(a3, i32x4.dot_i16x8_s(lo, w3));
    a4 = i32x4.add(a4, i32x4.dot_i16x8_s(hi, w0));
    a5 = i32x4.add(a5, i32x4.dot_i16x8_s(hi, w1));
    a6 = i32x4.add(a6, i32x4.dot_i16x8_s(hi, w2));
    a7 = i32x4.add(a7, i32x4.dot_i16x8_s(hi, w3));
  }
  const s = i32x4.add(i32x4.add(i32x4.add(a0, a1), i32x4.add(a2, a3)), i32x4.add(i32x4.add(a4, a5), i32x4.add(a6, a7)));
  return i32x4.extract_lane(s, 0) + i32x4.extract_lane(s, 1) + i32x4.extract_lane(s, 2) + i32x4.extract_lane(s, 3);
}
