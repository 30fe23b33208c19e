// QUANTIZE (f32 -> i8/u8, ONNX QuantizeLinear: round half to even, saturate) and DEQUANTIZE.

export function quantize(a: usize, out: usize, count: u32, scale: f32, zp: i32, unsigned: bool): void {
  const lo: f32 = unsigned ? 0 : -128, hi: f32 = unsigned ? 255 : 127;
  let i: usize = 0;
  // 4 values per step, lane by lane the same f32 operations as the scalar loop below (NaN -> zero point)
  const sv = f32x4.splat(scale), zv = f32x4.splat(<f32>zp), lov = f32x4.splat(lo), hiv = f32x4.splat(hi);
  for (; i + 4 <= <usize>count; i += 4) {
    const q = f32x4.min(f32x4.max(f32x4.add(f32x4.nearest(f32x4.div(v128.load(a + (i << 2)), sv)), zv), lov), hiv);
    const t = i32x4.trunc_sat_f32x4_s(v128.bitselect(q, zv, f32x4.eq(q, q))), h = i16x8.narrow_i32x4_s(t, t);
    v128.store32_lane(out + i, unsigned ? i8x16.narrow_i16x8_u(h, h) : i8x16.narrow_i16x8_s(h, h), 0);
  }
  for (; i < count; i++) {
    let q = min(max(nearest(load<f32>(a + (i << 2)) / scale) + <f32>zp, lo), hi);
    if (q != q) q = <f32>zp; // NaN input: the zero point, never a trapping conversion
    store<i8>(out + i, <i8><i32>q);
  }
}

export function dequantize(a: usize, out: usize, count: u32, scale: f32, zp: i32, unsigned: bool): void {
  for (let i: usize = 0; i < count; i++) {
    const q: i32 = unsigned ? <i32>load<u8>(a + i) : <i32>load<i8>(a + i);
    store<f32>(out + (i << 2), <f32>(q - zp) * scale);
  }
}
