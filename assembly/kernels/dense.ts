// DENSE: y[s] = x[s] · W + bias, W K-major [K, M]. Vectorized over output columns (4 per f32x4).
// One sample: 32 columns per block (8 accumulators), every weight read exactly once.
// Several samples: two samples share every weight load (16 columns x 2 samples = 8 accumulators);
// when W is larger than L2 the work is tiled into 16-column x KB-row panels that stay in L1 while
// all sample pairs pass over them, partial sums going through y.

/** Rows of a 16-column panel in the tiled batch path: 256 rows x 64 bytes = 16 KB. */
const PANEL_ROWS: u32 = 256;
/** Weight matrices up to this size are re-streamed per sample pair (they stay in L2). */
const L2_WEIGHT_BUDGET: usize = 256 * 1024;

/** Initial accumulator: the running sum in y when continuing a panel, else the bias (or 0). */
@inline function start4(acc: bool, y: usize, bias: usize, m: u32): v128 {
  const o = <usize>m << 2;
  if (acc) return v128.load(y + o);
  return bias ? v128.load(bias + o) : f32x4.splat(0);
}

@inline function start1(acc: bool, y: usize, bias: usize, m: u32): f32 {
  const o = <usize>m << 2;
  if (acc) return load<f32>(y + o);
  return bias ? load<f32>(bias + o) : 0;
}

/**
 * Two samples (x0 -> y0, x1 -> y1) over the first M columns of a weight matrix whose rows are
 * rowBytes apart; x1 == x0, y1 == y0 is allowed. `acc`: add to y instead of starting from the bias.
 */
function densePair(x0: usize, x1: usize, w: usize, bias: usize, y0: usize, y1: usize, K: u32, M: u32, rowBytes: usize, acc: bool): void {
  let m: u32 = 0;
  for (; m + 16 <= M; m += 16) {
    let a0 = start4(acc, y0, bias, m), a1 = start4(acc, y0, bias, m + 4), a2 = start4(acc, y0, bias, m + 8), a3 = start4(acc, y0, bias, m + 12);
    let b0 = start4(acc, y1, bias, m), b1 = start4(acc, y1, bias, m + 4), b2 = start4(acc, y1, bias, m + 8), b3 = start4(acc, y1, bias, m + 12);
    let wp = w + (<usize>m << 2);
    for (let k: u32 = 0; k < K; k++) {
      const xa = f32x4.splat(load<f32>(x0 + (<usize>k << 2)));
      const xb = f32x4.splat(load<f32>(x1 + (<usize>k << 2)));
      const w0 = v128.load(wp), w1 = v128.load(wp, 16), w2 = v128.load(wp, 32), w3 = v128.load(wp, 48);
      a0 = f32x4.add(a0, f32x4.mul(xa, w0)); b0 = f32x4.add(b0, f32x4.mul(xb, w0));
      a1 = f32x4.add(a1, f32x4.mul(xa, w1)); b1 = f32x4.add(b1, f32x4.mul(xb, w1));
      a2 = f32x4.add(a2, f32x4.mul(xa, w2)); b2 = f32x4.add(b2, f32x4.mul(xb, w2));
      a3 = f32x4.add(a3, f32x4.mul(xa, w3)); b3 = f32x4.add(b3, f32x4.mul(xb, w3));
      wp += rowBytes;
    }
    const o = <usize>m << 2;
    v128.store(y0 + o, a0); v128.store(y0 + o, a1, 16); v128.store(y0 + o, a2, 32); v128.store(y0 + o, a3, 48);
    v128.store(y1 + o, b0); v128.store(y1 + o, b1, 16); v128.store(y1 + o, b2, 32); v128.store(y1 + o, b3, 48);
  }
  for (; m + 4 <= M; m += 4) {
    let a0 = start4(acc, y0, bias, m);
    let b0 = start4(acc, y1, bias, m);
    let wp = w + (<usize>m << 2);
    for (let k: u32 = 0; k < K; k++) {
      const w0 = v128.load(wp);
      a0 = f32x4.add(a0, f32x4.mul(f32x4.splat(load<f32>(x0 + (<usize>k << 2))), w0));
      b0 = f32x4.add(b0, f32x4.mul(f32x4.splat(load<f32>(x1 + (<usize>k << 2))), w0));
      wp += rowBytes;
    }
    v128.store(y0 + (<usize>m << 2), a0);
    v128.store(y1 + (<usize>m << 2), b0);
  }
  for (; m < M; m++) {
    let a0 = start1(acc, y0, bias, m);
    let b0 = start1(acc, y1, bias, m);
    let wp = w + (<usize>m << 2);
    for (let k: u32 = 0; k < K; k++) {
      const wk = load<f32>(wp);
      a0 += load<f32>(x0 + (<usize>k << 2)) * wk;
      b0 += load<f32>(x1 + (<usize>k << 2)) * wk;
      wp += rowBytes;
    }
    store<f32>(y0 + (<usize>m << 2), a0);
    store<f32>(y1 + (<usize>m << 2), b0);
  }
}

/**
 * One sample, columns [mBegin, mEnd) of M; the last (mEnd - mBegin) % 32 go through densePair. Every column is
 * bias + x[0]*w[0][m] + x[1]*w[1][m] + ... in f32, in k order, on every path: a column's value does not depend on
 * the block that computes it (so a team can split the columns, threads/shares.ts).
 */
export function denseSingle(x: usize, w: usize, bias: usize, y: usize, K: u32, M: u32, mBegin: u32, mEnd: u32): void {
  const rowBytes = <usize>M << 2;
  let m: u32 = mBegin;
  for (; m + 32 <= mEnd; m += 32) {
    let a0 = start4(false, y, bias, m), a1 = start4(false, y, bias, m + 4), a2 = start4(false, y, bias, m + 8), a3 = start4(false, y, bias, m + 12);
    let a4 = start4(false, y, bias, m + 16), a5 = start4(false, y, bias, m + 20), a6 = start4(false, y, bias, m + 24), a7 = start4(false, y, bias, m + 28);
    let wp = w + (<usize>m << 2);
    for (let k: u32 = 0; k < K; k++) {
      const xk = f32x4.splat(load<f32>(x + (<usize>k << 2)));
      a0 = f32x4.add(a0, f32x4.mul(xk, v128.load(wp)));
      a1 = f32x4.add(a1, f32x4.mul(xk, v128.load(wp, 16)));
      a2 = f32x4.add(a2, f32x4.mul(xk, v128.load(wp, 32)));
      a3 = f32x4.add(a3, f32x4.mul(xk, v128.load(wp, 48)));
      a4 = f32x4.add(a4, f32x4.mul(xk, v128.load(wp, 64)));
      a5 = f32x4.add(a5, f32x4.mul(xk, v128.load(wp, 80)));
      a6 = f32x4.add(a6, f32x4.mul(xk, v128.load(wp, 96)));
      a7 = f32x4.add(a7, f32x4.mul(xk, v128.load(wp, 112)));
      wp += rowBytes;
    }
    const o = y + (<usize>m << 2);
    v128.store(o, a0); v128.store(o, a1, 16); v128.store(o, a2, 32); v128.store(o, a3, 48);
    v128.store(o, a4, 64); v128.store(o, a5, 80); v128.store(o, a6, 96); v128.store(o, a7, 112);
  }
  if (m < mEnd) {
    const off = <usize>m << 2;
    densePair(x, x, w + off, bias ? bias + off : 0, y + off, y + off, K, mEnd - m, rowBytes, false);
  }
}

/** Batch path for weights larger than L2: 16-column x PANEL_ROWS panels, all sample pairs per panel. */
function denseTiled(x: usize, xStride: usize, w: usize, bias: usize, y: usize, yStride: usize, K: u32, M: u32, n: u32): void {
  const rowBytes = <usize>M << 2;
  for (let m: u32 = 0; m < M; m += 16) {
    const mc = min<u32>(16, M - m);
    const off = <usize>m << 2;
    const b = bias ? bias + off : 0;
    for (let k0: u32 = 0; k0 < K; k0 += PANEL_ROWS) {
      const kc = min<u32>(PANEL_ROWS, K - k0);
      const wp = w + <usize>k0 * rowBytes + off;
      const xo = <usize>k0 << 2;
      for (let s: u32 = 0; s < n; s += 2) {
        const xs = x + xStride * s + xo, ys = y + yStride * s + off;
        const second = s + 1 < n;
        densePair(xs, second ? xs + xStride : xs, wp, b, ys, second ? ys + yStride : ys, kc, mc, rowBytes, k0 > 0);
      }
    }
  }
}

/** `n` samples: sample s reads x + s*xStride and writes y + s*yStride. `bias` may be 0. */
export function dense(x: usize, xStride: usize, w: usize, bias: usize, y: usize, yStride: usize, K: u32, M: u32, n: u32): void {
  const rowBytes = <usize>M << 2;
  if (n > 1 && <usize>K * rowBytes > L2_WEIGHT_BUDGET) {
    denseTiled(x, xStride, w, bias, y, yStride, K, M, n);
    return;
  }
  let s: u32 = 0;
  for (; s + 2 <= n; s += 2) {
    const xs = x + xStride * s, ys = y + yStride * s;
    densePair(xs, xs + xStride, w, bias, ys, ys + yStride, K, M, rowBytes, false);
  }
  if (s < n) denseSingle(x + xStride * s, w, bias, y + yStride * s, K, M, 0, M);
}
