// The one compute kernel: C += A * B on packed panels, with a 4x8 register tile.
// A is packed as panels of MR rows: for each k, MR consecutive values (one per row).
// B is packed as panels of NR columns: for each k, NR consecutive values.
// 4x8 keeps 8 f32x4 accumulators + 2 B vectors + 1 broadcast in registers (x64 has 16 xmm).

export const MR: i32 = 4;
export const NR: i32 = 8;

/** C tile [4 x 8] (row stride `ldcBytes`) += A panel [k x 4] * B panel [k x 8]. */
@inline function tile4x8(a: usize, b: usize, k: i32, c: usize, ldcBytes: usize): void {
  const c1 = c + ldcBytes;
  const c2 = c1 + ldcBytes;
  const c3 = c2 + ldcBytes;
  let s00 = v128.load(c), s01 = v128.load(c, 16);
  let s10 = v128.load(c1), s11 = v128.load(c1, 16);
  let s20 = v128.load(c2), s21 = v128.load(c2, 16);
  let s30 = v128.load(c3), s31 = v128.load(c3, 16);
  for (let p = 0; p < k; p++) {
    const b0 = v128.load(b);
    const b1 = v128.load(b, 16);
    let av = v128.load32_splat(a);
    s00 = f32x4.add(s00, f32x4.mul(av, b0));
    s01 = f32x4.add(s01, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 4);
    s10 = f32x4.add(s10, f32x4.mul(av, b0));
    s11 = f32x4.add(s11, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 8);
    s20 = f32x4.add(s20, f32x4.mul(av, b0));
    s21 = f32x4.add(s21, f32x4.mul(av, b1));
    av = v128.load32_splat(a, 12);
    s30 = f32x4.add(s30, f32x4.mul(av, b0));
    s31 = f32x4.add(s31, f32x4.mul(av, b1));
    a += 16;
    b += 32;
  }
  v128.store(c, s00); v128.store(c, s01, 16);
  v128.store(c1, s10); v128.store(c1, s11, 16);
  v128.store(c2, s20); v128.store(c2, s21, 16);
  v128.store(c3, s30); v128.store(c3, s31, 16);
}

/**
 * C [mPanels*4 x nPanels*8] (row stride `ldc` floats) += A * B over `k`.
 * One B panel (k*32 bytes) stays in L1 while all A panels stream past it from L2.
 */
export function gemmPacked(a: usize, b: usize, c: usize, mPanels: i32, nPanels: i32, k: i32, ldc: i32): void {
  const ldcBytes = <usize>ldc << 2;
  const aPanelBytes = <usize>k << 4;
  const bPanelBytes = <usize>k << 5;
  for (let j = 0; j < nPanels; j++) {
    const bj = b + <usize>j * bPanelBytes;
    const cj = c + (<usize>j << 5);
    for (let i = 0; i < mPanels; i++) {
      tile4x8(a + <usize>i * aPanelBytes, bj, k, cj + <usize>i * (ldcBytes << 2), ldcBytes);
    }
  }
}
