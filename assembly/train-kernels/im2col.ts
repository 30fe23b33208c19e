// Moving image patches between NHWC tensors and packed GEMM panels, without materialising the
// full im2col matrix: rows are generated straight into the layout the GEMM kernel reads.
import { CI, KH, KW, selectPixel, tapRow } from './geometry';
import { MR, NR } from './gemm';

/**
 * Writes the im2col row of output pixel `p` with a stride of MR floats, i.e. as row `r` of an A
 * panel when `dst` points at that panel plus r*4 bytes. Padding taps become zeros.
 */
export function im2colRowIntoPanelA(x: usize, p: i32, dst: usize): void {
  selectPixel(p);
  let d = dst;
  for (let kh = 0; kh < KH; kh++) {
    for (let kw = 0; kw < KW; kw++) {
      const s = tapRow(x, kh, kw);
      for (let c = 0; c < CI; c++) {
        store<f32>(d, s != 0 ? load<f32>(s + (<usize>c << 2)) : 0);
        d += MR << 2;
      }
    }
  }
}

/**
 * Packs the im2col rows of pixels [p0, p0+kb) as B panels (k = pixel, n = im2col column):
 * element (q, kk) goes to panel kk/8, position q*8 + kk%8. Panel stride is kb*8 floats.
 * Columns beyond KK in the last panel must already be zero.
 */
export function im2colRowsIntoPanelsB(x: usize, p0: i32, kb: i32, dst: usize): void {
  const panelBytes = <usize>kb * (NR << 2);
  for (let q = 0; q < kb; q++) {
    selectPixel(p0 + q);
    const rowBase = dst + (<usize>q * (NR << 2));
    let kk = 0;
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        let s = tapRow(x, kh, kw);
        if (s != 0 && (kk & 7) == 0 && (CI & 7) == 0) {
          // Whole panels at a time: 8 consecutive channels are one panel row.
          for (let c = 0; c < CI; c += 8) {
            const d = rowBase + <usize>((kk + c) >> 3) * panelBytes;
            v128.store(d, v128.load(s));
            v128.store(d, v128.load(s, 16), 16);
            s += 32;
          }
        } else {
          for (let c = 0; c < CI; c++) {
            const col = kk + c;
            const d = rowBase + <usize>(col >> 3) * panelBytes + (<usize>(col & 7) << 2);
            store<f32>(d, s != 0 ? load<f32>(s + (<usize>c << 2)) : 0);
          }
        }
        kk += CI;
      }
    }
  }
}

/**
 * Scatter-adds the rows [0, mb) of C (row q = output pixel p0+q, columns = im2col taps, row stride
 * ldc floats) back into the NHWC image at `dx`: the adjoint of im2col.
 */
export function col2imAdd(c: usize, ldc: i32, p0: i32, mb: i32, dx: usize): void {
  const rowBytes = <usize>CI << 2;
  const vectorised = (CI & 3) == 0;
  for (let q = 0; q < mb; q++) {
    selectPixel(p0 + q);
    let s = c + ((<usize>q * <usize>ldc) << 2);
    for (let kh = 0; kh < KH; kh++) {
      for (let kw = 0; kw < KW; kw++) {
        const d = tapRow(dx, kh, kw);
        if (d != 0) {
          if (vectorised) {
            for (let b: usize = 0; b < rowBytes; b += 16) v128.store(d + b, f32x4.add(v128.load(d + b), v128.load(s + b)));
          } else {
            for (let b: usize = 0; b < rowBytes; b += 4) store<f32>(d + b, load<f32>(d + b) + load<f32>(s + b));
          }
        }
        s += rowBytes;
      }
    }
  }
}
