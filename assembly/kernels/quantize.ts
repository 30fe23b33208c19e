// QUANTIZE (f32 -> i8/u8, ONNX QuantizeLinear: round half to even, saturate) and DEQUANTIZE.

export function quantize(a: usize, out: usize, count: u32, scale: f32, zp: i32, unsigned: bool): void {
  const lo: f32 = unsigned ? 0 : -128, hi: f32 = unsigned ? 255 : 127;
  for (let i: usize = 0; i < count; i++) {
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
