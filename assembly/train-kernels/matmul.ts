// Dense layers: C[M, N] = op(A)[M, K] * op(B)[K, N], op = optional transpose, on the same packed
// GEMM kernel as the convolutions. K is cut into blocks so one B panel (KC x 8) stays in L1 and
// the packed B block in L2; rows are cut into blocks so the packed A block stays in L1/L2.
import { MR, NR, gemmPacked } from './gemm';
import { roundUp } from './geometry';

const KC: i32 = 128;
const MC: i32 = 64;

export function matmulScratchBytes(m: i32, k: i32, n: i32): i32 {
  const mPad = roundUp(m, MR);
  const nPad = roundUp(n, NR);
  const kc = min(KC, k);
  return (mPad * nPad + MC * kc + kc * nPad) << 2;
}

/** c [m, n] row-major; a is [m, k] (or [k, m] when transposeA); b is [k, n] (or [n, k] when transposeB). */
export function matmul(a: usize, b: usize, c: usize, m: i32, k: i32, n: i32, transposeA: bool, transposeB: bool, scratch: usize): void {
  const mPad = roundUp(m, MR);
  const nPad = roundUp(n, NR);
  const cAcc = scratch;
  const kcMax = min(KC, k);
  const aPack = cAcc + ((<usize>mPad * <usize>nPad) << 2);
  const bPack = aPack + ((<usize>MC * <usize>kcMax) << 2);
  // Element strides (in floats) of A(i, kk) and B(kk, j).
  const aRow: usize = transposeA ? 1 : <usize>k;
  const aCol: usize = transposeA ? <usize>m : 1;
  const bRow: usize = transposeB ? 1 : <usize>n;
  const bCol: usize = transposeB ? <usize>k : 1;
  memory.fill(cAcc, 0, (<usize>mPad * <usize>nPad) << 2);
  for (let k0 = 0; k0 < k; k0 += KC) {
    const kc = min(KC, k - k0);
    // B block rows [k0, k0+kc) as panels of 8 columns.
    for (let j0 = 0; j0 < nPad; j0 += NR) {
      const panel = bPack + ((<usize>j0 * <usize>kc) << 2);
      for (let q = 0; q < kc; q++) {
        const src = b + ((<usize>(k0 + q) * bRow) << 2);
        const dst = panel + (<usize>(q * NR) << 2);
        for (let c = 0; c < NR; c++) {
          const j = j0 + c;
          store<f32>(dst + (<usize>c << 2), j < n ? load<f32>(src + ((<usize>j * bCol) << 2)) : 0);
        }
      }
    }
    for (let i0 = 0; i0 < mPad; i0 += MC) {
      const mb = min(MC, mPad - i0);
      // A block rows [i0, i0+mb), columns [k0, k0+kc), as panels of 4 rows.
      for (let r0 = 0; r0 < mb; r0 += MR) {
        const panel = aPack + ((<usize>r0 * <usize>kc) << 2);
        for (let r = 0; r < MR; r++) {
          const i = i0 + r0 + r;
          if (i < m) {
            const src = a + ((<usize>i * aRow + <usize>k0 * aCol) << 2);
            for (let q = 0; q < kc; q++) store<f32>(panel + (<usize>(q * MR + r) << 2), load<f32>(src + ((<usize>q * aCol) << 2)));
          } else {
            for (let q = 0; q < kc; q++) store<f32>(panel + (<usize>(q * MR + r) << 2), 0);
          }
        }
      }
      gemmPacked(aPack, bPack, cAcc + ((<usize>i0 * <usize>nPad) << 2), mb / MR, nPad / NR, kc, nPad);
    }
  }
  for (let i = 0; i < m; i++) {
    memory.copy(c + ((<usize>i * <usize>n) << 2), cAcc + ((<usize>i * <usize>nPad) << 2), <usize>n << 2);
  }
}
