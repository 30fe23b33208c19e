// Structural similarity (Wang et al. 2004) for images in [0, 1], written from the paper's definition:
// 11x11 Gaussian window (sigma 1.5, normalized), C1 = (0.01 L)^2, C2 = (0.03 L)^2 with L = 1, statistics
// over every window position that lies fully inside the image ("valid", no padding), averaged over the
// positions and then over the channels. Images smaller than the window use a window cropped to the image.

export const SSIM_WINDOW = 11;
export const SSIM_SIGMA = 1.5;

function gaussian(size: number, sigma: number): Float64Array {
  const g = new Float64Array(size);
  const c = (size - 1) / 2;
  let sum = 0;
  for (let i = 0; i < size; i++) { g[i] = Math.exp(-((i - c) ** 2) / (2 * sigma * sigma)); sum += g[i]!; }
  for (let i = 0; i < size; i++) g[i]! /= sum;
  return g;
}

/** SSIM of two single-channel images (row-major H x W). */
export function ssimChannel(x: ArrayLike<number>, y: ArrayLike<number>, H: number, W: number): number {
  const wh = Math.min(SSIM_WINDOW, H), ww = Math.min(SSIM_WINDOW, W);
  const gy = gaussian(wh, SSIM_SIGMA), gx = gaussian(ww, SSIM_SIGMA);
  const C1 = 0.01 ** 2, C2 = 0.03 ** 2;
  let total = 0, count = 0;
  for (let oy = 0; oy + wh <= H; oy++) for (let ox = 0; ox + ww <= W; ox++) {
    let mx = 0, my = 0, sxx = 0, syy = 0, sxy = 0;
    for (let i = 0; i < wh; i++) for (let j = 0; j < ww; j++) {
      const w = gy[i]! * gx[j]!, p = (oy + i) * W + ox + j;
      const a = x[p]!, b = y[p]!;
      mx += w * a; my += w * b; sxx += w * a * a; syy += w * b * b; sxy += w * a * b;
    }
    const vx = sxx - mx * mx, vy = syy - my * my, cxy = sxy - mx * my;
    total += ((2 * mx * my + C1) * (2 * cxy + C2)) / ((mx * mx + my * my + C1) * (vx + vy + C2));
    count++;
  }
  return total / count;
}

/** Mean SSIM over the channels of two CHW images. */
export function ssim(x: ArrayLike<number>, y: ArrayLike<number>, shape: readonly number[]): number {
  const [C, H, W] = shape.length === 3 ? (shape as [number, number, number]) : [1, 1, shape.reduce((p, d) => p * d, 1)];
  if (x.length !== C * H * W || y.length !== C * H * W) throw new Error(`ssim: images of ${x.length} / ${y.length} values do not match shape [${shape}]`);
  let s = 0;
  for (let c = 0; c < C; c++) {
    const sub = (v: ArrayLike<number>) => Array.prototype.slice.call(v, c * H * W, (c + 1) * H * W) as number[];
    s += ssimChannel(sub(x), sub(y), H, W);
  }
  return s / C;
}
