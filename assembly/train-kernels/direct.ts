// Gradients for layers with very few output channels (e.g. the decoder's 32 -> 1 output conv).
// The GEMM routes copy every im2col element (or add every col2im element) for only CO multiplies
// each, so here each output pixel's dY value scales rows of the NHWC image (or of the filter) directly.
import { CI, CO, KH, KW, KK, P, selectPixel, tapRow } from './geometry';

/** Copies a filter between [KK, CO] (tfjs's HWIO) and [CO, KK] (each output channel's taps contiguous). */
function transposeFilter(src: usize, dst: usize, toCoMajor: bool): void {
  for (let kk = 0; kk < KK; kk++) {
    for (let co = 0; co < CO; co++) {
      const hwio = (<usize>(kk * CO + co)) << 2, coMajor = (<usize>(co * KK + kk)) << 2;
      if (toCoMajor) store<f32>(dst + coMajor, load<f32>(src + hwio));
      else store<f32>(dst + hwio, load<f32>(src + coMajor));
    }
  }
}

/**
 * For every output pixel and channel with a nonzero gradient g = dy[p, co], and every tap inside the image:
 * the tap's row in `image` and its row of `taps` (a [CO, KK] matrix) meet as `dst += src * g`, where dst is
 * the taps row when `intoTaps` (filter gradient), else the image row (input gradient).
 */
function scatterGradient(dy: usize, image: usize, taps: usize, intoTaps: bool): void {
  const rowBytes = <usize>CI << 2;
  const vectorised = (CI & 3) == 0;
  for (let p = 0; p < P; p++) {
    selectPixel(p);
    for (let co = 0; co < CO; co++) {
      const g = load<f32>(dy + ((<usize>p * <usize>CO + <usize>co) << 2));
      if (g == 0) continue; // ReLU zeroes many gradients
      const gv = f32x4.splat(g);
      let t = taps + ((<usize>co * <usize>KK) << 2);
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const r = tapRow(image, kh, kw);
          if (r != 0) {
            const d = intoTaps ? t : r, s = intoTaps ? r : t;
            if (vectorised) {
              for (let b: usize = 0; b < rowBytes; b += 16) v128.store(d + b, f32x4.add(v128.load(d + b), f32x4.mul(v128.load(s + b), gv)));
            } else {
              for (let b: usize = 0; b < rowBytes; b += 4) store<f32>(d + b, load<f32>(d + b) + load<f32>(s + b) * g);
            }
          }
          t += rowBytes;
        }
      }
    }
  }
}

export function conv2dBackpropFilterDirectScratchBytes(): i32 {
  return (CO * KK) << 2;
}

/** Writes dw [KH, KW, CI, CO]. */
export function conv2dBackpropFilterDirect(x: usize, dy: usize, dw: usize, scratch: usize): void {
  const acc = scratch; // dW^T [CO, KK]
  memory.fill(acc, 0, (<usize>CO * <usize>KK) << 2);
  scatterGradient(dy, x, acc, true);
  transposeFilter(acc, dw, false);
}

export function conv2dBackpropInputDirectScratchBytes(): i32 {
  return (CO * KK) << 2;
}

/** dx [N, H, W, CI] (dxFloats values) is overwritten. */
export function conv2dBackpropInputDirect(dy: usize, w: usize, dx: usize, dxFloats: i32, scratch: usize): void {
  transposeFilter(w, scratch, true);
  memory.fill(dx, 0, <usize>dxFloats << 2);
  scatterGradient(dy, dx, scratch, false);
}

export function conv2dDirectScratchBytes(): i32 {
  return (CO * KK) << 2;
}

/** y [N, OH, OW, CO] = conv(x, w): one dot product of length KK per output value. */
export function conv2dDirect(x: usize, w: usize, y: usize, scratch: usize): void {
  const wt = scratch; // [CO, KK]: each (output channel, tap) is a contiguous row of CI values
  transposeFilter(w, wt, true);
  const rowBytes = <usize>CI << 2;
  const vectorBytes = <usize>(CI & ~3) << 2;
  for (let p = 0; p < P; p++) {
    selectPixel(p);
    for (let co = 0; co < CO; co++) {
      let f = wt + ((<usize>co * <usize>KK) << 2);
      let sv = f32x4.splat(0);
      let s: f32 = 0;
      for (let kh = 0; kh < KH; kh++) {
        for (let kw = 0; kw < KW; kw++) {
          const src = tapRow(x, kh, kw);
          if (src != 0) {
            for (let b: usize = 0; b < vectorBytes; b += 16) sv = f32x4.add(sv, f32x4.mul(v128.load(src + b), v128.load(f + b)));
            for (let b = vectorBytes; b < rowBytes; b += 4) s += load<f32>(src + b) * load<f32>(f + b);
          }
          f += rowBytes;
        }
      }
      s += f32x4.extract_lane(sv, 0) + f32x4.extract_lane(sv, 1) + f32x4.extract_lane(sv, 2) + f32x4.extract_lane(sv, 3);
      store<f32>(y + ((<usize>p * <usize>CO + <usize>co) << 2), s);
    }
  }
}
