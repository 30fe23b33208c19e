// Column sums of a row-major [rows, cols] matrix: tfjs's Sum over all leading axes, i.e. the bias
// gradient of every conv layer. Blocks of rows are summed in f32x4 registers, block sums in f64,
// so the error does not grow with the 100k rows of a conv activation batch.

const ROWS_PER_BLOCK: i32 = 64;

export function sumRowsScratchBytes(cols: i32): i32 {
  return cols << 3;
}

/** out[c] = sum over r of x[r*cols + c]. */
export function sumRows(x: usize, rows: i32, cols: i32, out: usize, scratch: usize): void {
  const acc = scratch; // f64 [cols]
  memory.fill(acc, 0, <usize>cols << 3);
  const rowBytes = <usize>cols << 2;
  const vectorCols = cols & ~3;
  for (let r0 = 0; r0 < rows; r0 += ROWS_PER_BLOCK) {
    const r1 = min(rows, r0 + ROWS_PER_BLOCK);
    for (let c = 0; c < vectorCols; c += 4) {
      let s = f32x4.splat(0);
      let p = x + <usize>r0 * rowBytes + (<usize>c << 2);
      for (let r = r0; r < r1; r++) {
        s = f32x4.add(s, v128.load(p));
        p += rowBytes;
      }
      const a = acc + (<usize>c << 3);
      store<f64>(a, load<f64>(a) + <f64>f32x4.extract_lane(s, 0));
      store<f64>(a, load<f64>(a, 8) + <f64>f32x4.extract_lane(s, 1), 8);
      store<f64>(a, load<f64>(a, 16) + <f64>f32x4.extract_lane(s, 2), 16);
      store<f64>(a, load<f64>(a, 24) + <f64>f32x4.extract_lane(s, 3), 24);
    }
    for (let c = vectorCols; c < cols; c++) {
      let s: f32 = 0;
      let p = x + <usize>r0 * rowBytes + (<usize>c << 2);
      for (let r = r0; r < r1; r++) {
        s += load<f32>(p);
        p += rowBytes;
      }
      const a = acc + (<usize>c << 3);
      store<f64>(a, load<f64>(a) + <f64>s);
    }
  }
  for (let c = 0; c < cols; c++) store<f32>(out + (<usize>c << 2), <f32>load<f64>(acc + (<usize>c << 3)));
}
