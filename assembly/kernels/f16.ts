// IEEE half -> single conversion, used once at load to widen f16 weights (exact: every f16 is an f32).

export function halfToFloat(h: u32): f32 {
  const sign = (h & 0x8000) << 16;
  const exp = (h >>> 10) & 0x1f;
  let mant = h & 0x3ff;
  if (exp == 0x1f) return reinterpret<f32>(sign | 0x7f800000 | (mant << 13)); // inf / nan
  if (exp != 0) return reinterpret<f32>(sign | ((exp + 112) << 23) | (mant << 13));
  if (mant == 0) return reinterpret<f32>(sign);
  // Subnormal half: value = mant * 2^-24.
  const v = <f32>mant * reinterpret<f32>(0x33800000);
  return sign ? -v : v;
}

export function convertF16ToF32(src: usize, dst: usize, count: u32): void {
  for (let i: usize = 0; i < count; i++) {
    store<f32>(dst + (i << 2), halfToFloat(<u32>load<u16>(src + (i << 1))));
  }
}
