// int8-weights mode: i8 weights with one f32 scale per output channel are dequantized once at load,
// w = f32(q) * scale (one rounding, as ONNX DequantizeLinear with zero point 0), so the op then runs on the
// f32 kernels exactly as a float model with those weights would (docs/quantization.md).

/**
 * out (f32) = q (i8) * scale, both laid out [groups, rows, cols]; the channel of column c in group g is
 * g * cols + c (conv weights [G, KH*KW*Cig, Cog], dense weights [1, K, M]). `scales` are the tensor's qOffset floats.
 */
export function dequantizeWeights(q: usize, scales: usize, out: usize, groups: u32, rows: u32, cols: u32): void {
  const vecEnd = cols & ~3;
  for (let g: u32 = 0; g < groups; g++) {
    const s = scales + ((<usize>g * cols) << 2);
    for (let r: u32 = 0; r < rows; r++) {
      let c: u32 = 0;
      for (; c < vecEnd; c += 4) {
        const wide = i32x4.extend_low_i16x8_s(i16x8.extend_low_i8x16_s(v128.load32_zero(q + c)));
        v128.store(out + (<usize>c << 2), f32x4.mul(f32x4.convert_i32x4_s(wide), v128.load(s + (<usize>c << 2))));
      }
      for (; c < cols; c++) store<f32>(out + (<usize>c << 2), <f32>load<i8>(q + c) * load<f32>(s + (<usize>c << 2)));
      q += cols;
      out += <usize>cols << 2;
    }
  }
}
