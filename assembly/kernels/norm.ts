// GROUP_NORM and LAYER_NORM on one sample. Sums run in f64 (f32 lanes widened two at a time) so a large mean
// or a long row costs no accuracy; the result is y = (x - mean) * scale + beta with scale = gamma / sqrt(var + eps),
// in f32 as onnxruntime computes it (subtracting the mean first keeps values near the mean exact).
// Group norm reads the HWC activation one pixel (a row of C channels) at a time into per-channel sums, so every
// pass streams memory in order; the sums are then reduced per group. A layer norm row is a group norm of one
// pixel in one group.

/** Per-channel scratch of the loader: sum and sum of squares (f64), mean and scale (f32); 24 bytes a channel. */
let scratch: usize = 0;
export function setNormScratch(p: usize): void { scratch = p; }

@inline function widenLow(v: v128): v128 { return f64x2.promote_low_f32x4(v); }
@inline function widenHigh(v: v128): v128 { return f64x2.promote_low_f32x4(v128.shuffle<u32>(v, v, 2, 3, 0, 1)); }

/** acc[c] += f(row[c]) for c < n (f64 accumulators); f: plain value, or its square after subtracting sub[c]. */
function accumulateRow(row: usize, acc: usize, n: u32, sub: usize): void {
  let c: u32 = 0;
  for (; c + 4 <= n; c += 4) {
    let v = v128.load(row + (<usize>c << 2));
    if (sub) {
      v = f32x4.sub(v, v128.load(sub + (<usize>c << 2)));
      v = f32x4.mul(v, v);
    }
    const p = acc + (<usize>c << 3);
    v128.store(p, f64x2.add(v128.load(p), widenLow(v)));
    v128.store(p, f64x2.add(v128.load(p, 16), widenHigh(v)), 16);
  }
  for (; c < n; c++) {
    let v = load<f32>(row + (<usize>c << 2));
    if (sub) {
      v -= load<f32>(sub + (<usize>c << 2));
      v *= v;
    }
    const p = acc + (<usize>c << 3);
    store<f64>(p, load<f64>(p) + <f64>v);
  }
}

/** y[c] = (x[c] - mean[c]) * scale[c] + beta[c] for c < n. */
function affineRow(x: usize, y: usize, n: u32, mean: usize, scale: usize, beta: usize): void {
  let c: u32 = 0;
  for (; c + 4 <= n; c += 4) {
    const o = <usize>c << 2;
    const d = f32x4.sub(v128.load(x + o), v128.load(mean + o));
    v128.store(y + o, f32x4.add(f32x4.mul(d, v128.load(scale + o)), v128.load(beta + o)));
  }
  for (; c < n; c++) {
    const o = <usize>c << 2;
    store<f32>(y + o, (load<f32>(x + o) - load<f32>(mean + o)) * load<f32>(scale + o) + load<f32>(beta + o));
  }
}

/** out = group norm of x ([pixels, C] HWC rows); gamma, beta per channel. */
export function groupNorm(x: usize, out: usize, gamma: usize, beta: usize, C: u32, pixels: u32, groups: u32, eps: f32): void {
  const sum = scratch, sq = scratch + (<usize>C << 3);
  const mean = scratch + (<usize>C << 4), scale = mean + (<usize>C << 2);
  const rowBytes = <usize>C << 2;
  const per = C / groups;
  const n = <f64>per * <f64>pixels;
  memory.fill(sum, 0, <usize>C << 4);
  for (let p: u32 = 0; p < pixels; p++) accumulateRow(x + p * rowBytes, sum, C, 0);
  // group means, written per channel
  for (let g: u32 = 0; g < groups; g++) {
    let s: f64 = 0;
    for (let c = g * per; c < (g + 1) * per; c++) s += load<f64>(sum + (<usize>c << 3));
    for (let c = g * per; c < (g + 1) * per; c++) store<f32>(mean + (<usize>c << 2), <f32>(s / n));
  }
  for (let p: u32 = 0; p < pixels; p++) accumulateRow(x + p * rowBytes, sq, C, mean);
  for (let g: u32 = 0; g < groups; g++) {
    let v: f64 = 0;
    for (let c = g * per; c < (g + 1) * per; c++) v += load<f64>(sq + (<usize>c << 3));
    const inv = 1.0 / Math.sqrt(v / n + <f64>eps);
    for (let c = g * per; c < (g + 1) * per; c++) store<f32>(scale + (<usize>c << 2), <f32>(<f64>load<f32>(gamma + (<usize>c << 2)) * inv));
  }
  for (let p: u32 = 0; p < pixels; p++) affineRow(x + p * rowBytes, out + p * rowBytes, C, mean, scale, beta);
}

/** out = layer norm of each row of `size` floats: a group norm of one pixel of `size` channels in one group. */
export function layerNorm(x: usize, out: usize, gamma: usize, beta: usize, size: u32, rows: u32, eps: f32): void {
  const rowBytes = <usize>size << 2;
  for (let r: u32 = 0; r < rows; r++) groupNorm(x + r * rowBytes, out + r * rowBytes, gamma, beta, size, 1, 1, eps);
}
