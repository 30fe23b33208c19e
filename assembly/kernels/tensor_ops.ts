// Data movement on one sample: CONCAT and SLICE of HWC rows, LAYOUT between CHW and HWC, COPY.
import { LAYOUT_CHW_TO_HWC } from '../format';

/** out[r] = a[r] ++ b[r] for `rows` rows of ca and cb floats. */
export function concat(a: usize, b: usize, out: usize, ca: u32, cb: u32, rows: u32): void {
  const la = <usize>ca << 2, lb = <usize>cb << 2;
  for (let r: u32 = 0; r < rows; r++) {
    memory.copy(out, a, la);
    memory.copy(out + la, b, lb);
    a += la; b += lb; out += la + lb;
  }
}

/** out[r] = a[r][start : start+count] for `rows` rows of width c. */
export function slice(a: usize, out: usize, c: u32, start: u32, count: u32, rows: u32): void {
  const la = <usize>c << 2, lo = <usize>count << 2;
  a += <usize>start << 2;
  for (let r: u32 = 0; r < rows; r++) {
    memory.copy(out, a, lo);
    a += la; out += lo;
  }
}

/** Reorders C*H*W floats: mode 0 CHW -> HWC, mode 1 HWC -> CHW. */
export function layout(a: usize, out: usize, mode: u32, C: u32, H: u32, W: u32): void {
  const plane = H * W;
  if (C == 1 || plane == 1) { // both orders are the same sequence
    memory.copy(out, a, <usize>(C * plane) << 2);
    return;
  }
  const toHwc = mode == LAYOUT_CHW_TO_HWC;
  for (let c: u32 = 0; c < C; c++) {
    for (let p: u32 = 0; p < plane; p++) {
      const chw = <usize>(c * plane + p) << 2;
      const hwc = <usize>(p * C + c) << 2;
      if (toHwc) store<f32>(out + hwc, load<f32>(a + chw));
      else store<f32>(out + chw, load<f32>(a + hwc));
    }
  }
}

export function copy(a: usize, out: usize, bytes: usize): void {
  memory.copy(out, a, bytes);
}
