// Row-major per-sample data: MATMUL of two activations (batched over a leading dim), SOFTMAX over rows and
// TRANSPOSE of up to four axes (also the pixel shuffles: depth-to-space / space-to-depth reorder HWC storage).
// Reference twins: reference/spatial.ts.
import { vexpNonPositive } from './vexp';
import { exp } from './compact_math';

/** Column n of a [.., K] row at ar times b [K, N]: the scalar dot for columns outside the 8-wide tiles. */
function dotColumn(ar: usize, bc: usize, K: u32, rowB: usize): f32 {
  let s: f32 = 0;
  for (let k: u32 = 0; k < K; k++, ar += 4, bc += rowB) s += load<f32>(ar) * load<f32>(bc);
  return s;
}

/**
 * out[t] = a[t] . b[t] for t < B with a [M, K], b [K, N], out [M, N], f32 accumulation. Tiles of 4 rows x 8 columns
 * keep their sums in eight vector registers over the whole k loop (each b load feeds four rows; the last tile
 * of rows repeats its final row where fewer than four are left and stores only the real ones); leftover columns
 * go through scalar dots.
 */
export function matmul(a: usize, b: usize, out: usize, B: u32, M: u32, K: u32, N: u32): void {
  const rowA = <usize>K << 2, rowB = <usize>N << 2;
  const n8 = N & ~7;
  for (let t: u32 = 0; t < B; t++) {
    for (let m: u32 = 0; m < M; m += 4) {
      const rows = min(M - m, 4);
      const ar = a + <usize>m * rowA, orow = out + <usize>m * rowB;
      // rows past the end read the last real row again
      const r1 = <usize>min(1, rows - 1) * rowA, r2 = <usize>min(2, rows - 1) * rowA, r3 = <usize>(rows - 1) * rowA;
      for (let n: u32 = 0; n < n8; n += 8) {
        let c00 = f32x4.splat(0), c01 = c00, c10 = c00, c11 = c00, c20 = c00, c21 = c00, c30 = c00, c31 = c00;
        let bp = b + (<usize>n << 2), ap = ar;
        for (let k: u32 = 0; k < K; k++, bp += rowB, ap += 4) {
          const b0 = v128.load(bp), b1 = v128.load(bp, 16);
          const a0 = f32x4.splat(load<f32>(ap)), a1 = f32x4.splat(load<f32>(ap + r1));
          const a2 = f32x4.splat(load<f32>(ap + r2)), a3 = f32x4.splat(load<f32>(ap + r3));
          c00 = f32x4.add(c00, f32x4.mul(a0, b0)); c01 = f32x4.add(c01, f32x4.mul(a0, b1));
          c10 = f32x4.add(c10, f32x4.mul(a1, b0)); c11 = f32x4.add(c11, f32x4.mul(a1, b1));
          c20 = f32x4.add(c20, f32x4.mul(a2, b0)); c21 = f32x4.add(c21, f32x4.mul(a2, b1));
          c30 = f32x4.add(c30, f32x4.mul(a3, b0)); c31 = f32x4.add(c31, f32x4.mul(a3, b1));
        }
        const o = orow + (<usize>n << 2);
        v128.store(o, c00); v128.store(o, c01, 16);
        if (rows > 1) { v128.store(o + rowB, c10); v128.store(o + rowB, c11, 16); }
        if (rows > 2) { v128.store(o + 2 * rowB, c20); v128.store(o + 2 * rowB, c21, 16); }
        if (rows > 3) { v128.store(o + 3 * rowB, c30); v128.store(o + 3 * rowB, c31, 16); }
      }
      for (let r: u32 = 0; r < rows; r++) for (let n = n8; n < N; n++) {
        let s: f32 = 0;
        let ap = ar + <usize>r * rowA, bp = b + (<usize>n << 2);
        for (let k: u32 = 0; k < K; k++, ap += 4, bp += rowB) s += load<f32>(ap) * load<f32>(bp);
        store<f32>(orow + <usize>r * rowB + (<usize>n << 2), s);
      }
    }
    a += <usize>M * rowA;
    b += <usize>K * rowB;
    out += <usize>M * rowB;
  }
}

/** Softmax over each row of L values (count / L rows): exp(x - rowmax) / sum, the exponentials four lanes at a time. */
export function softmax(x: usize, y: usize, count: u32, L: u32): void {
  const bytes = <usize>L << 2;
  const vecBytes = bytes & ~(<usize>15);
  const end = x + (<usize>count << 2);
  for (; x < end; x += bytes, y += bytes) {
    let mx: f32 = -Infinity;
    let i: usize = 0;
    for (; i < bytes; i += 4) mx = max(mx, load<f32>(x + i));
    const m4 = f32x4.splat(mx);
    let sum: f32 = 0;
    for (i = 0; i < vecBytes; i += 16) {
      const e = vexpNonPositive(f32x4.sub(v128.load(x + i), m4));
      v128.store(y + i, e);
      sum += f32x4.extract_lane(e, 0) + f32x4.extract_lane(e, 1) + f32x4.extract_lane(e, 2) + f32x4.extract_lane(e, 3);
    }
    for (; i < bytes; i += 4) {
      const e = <f32>exp(<f64>(load<f32>(x + i) - mx));
      store<f32>(y + i, e);
      sum += e;
    }
    const inv = <f32>1 / sum;
    for (i = 0; i < bytes; i += 4) store<f32>(y + i, load<f32>(y + i) * inv);
  }
}

/** Row-major element stride of axis k of dims at d (4 u32). */
function stride(d: usize, k: u32): u32 {
  let s: u32 = 1;
  for (let j: u32 = 3; j > k; j--) s *= load<u32>(d + (<usize>j << 2));
  return s;
}

/** out[i0, i1, i2, i3] = a at index i_k along axis perm[k], for a of dims d (4 u32 at d, then 4 perm u32). */
export function transpose(x: usize, y: usize, d: usize): void {
  const p = d + 16;
  const a0 = load<u32>(p), a1 = load<u32>(p, 4), a2 = load<u32>(p, 8), a3 = load<u32>(p, 12);
  const o0 = load<u32>(d + (<usize>a0 << 2)), o1 = load<u32>(d + (<usize>a1 << 2)), o2 = load<u32>(d + (<usize>a2 << 2)), o3 = load<u32>(d + (<usize>a3 << 2));
  const s0 = stride(d, a0), s1 = stride(d, a1), s2 = stride(d, a2), s3 = stride(d, a3);
  for (let i0: u32 = 0; i0 < o0; i0++) for (let i1: u32 = 0; i1 < o1; i1++) for (let i2: u32 = 0; i2 < o2; i2++) {
    const src = x + (<usize>(i0 * s0 + i1 * s1 + i2 * s2) << 2);
    for (let i3: u32 = 0; i3 < o3; i3++, y += 4) store<f32>(y, load<f32>(src + (<usize>(i3 * s3) << 2)));
  }
}
