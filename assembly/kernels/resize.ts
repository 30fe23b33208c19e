// RESIZE_NEAREST by integer scales on one HWC sample: every output pixel copies its source pixel's C channels
// of `elementBytes` each (4 for f32, 1 for i8: an i8 tensor keeps its input's scale and zero point).

export function resizeNearest(x: usize, y: usize, C: u32, H: u32, W: u32, sh: u32, sw: u32, elementBytes: u32): void {
  const pixel = <usize>C * elementBytes;
  const OH = H * sh, OW = W * sw;
  for (let oy: u32 = 0; oy < OH; oy++) {
    const src = x + <usize>((oy / sh) * W) * pixel;
    const dst = y + <usize>(oy * OW) * pixel;
    for (let ox: u32 = 0; ox < OW; ox++) memory.copy(dst + <usize>ox * pixel, src + <usize>(ox / sw) * pixel, pixel);
  }
}
