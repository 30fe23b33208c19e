// Row-major per-sample data: MATMUL of two activations (batched over a leading dim), SOFTMAX over rows and
// TRANSPOSE of up to four axes (also the pixel shuffles: depth-to-space / space-to-depth reorder HWC storage).
// Reference twins: converter/quantize/spatial-reference.ts.
import { vexpNonPositive } from './vexp';
import { exp } from './compact_math';

/** out[t] = a[t] . b[t] for t < B with a [M, K], b [K, N], out [M, N]: each out row sums k-scaled b rows, four columns per lane group. */
export function matmul(a: usize, b: usize, out: usize, B: u32, M: u32, K: u32, N: u32): void {
  const rowBytes = <usize>N << 2;
  const vecBytes = rowBytes & ~(<usize>15);
  for (let t: u32 = 0; t < B; t++) {
    for (let m: u32 = 0; m < M; m++, out += rowBytes) {
      memory.fill(out, 0, rowBytes);
      let br = b;
      for (let k: u32 = 0; k < K; k++, a += 4, br += rowBytes) {
        const s = load<f32>(a);
        const sv = f32x4.splat(s);
        let n: usize = 0;
        for (; n < vecBytes; n += 16) v128.store(out + n, f32x4.add(v128.load(out + n), f32x4.mul(sv, v128.load(br + n))));
        for (; n < rowBytes; n += 4) store<f32>(out + n, load<f32>(out + n) + s * load<f32>(br + n));
      }
    }
    b += <usize>K * rowBytes;
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
