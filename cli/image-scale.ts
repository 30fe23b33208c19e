// Nearest-neighbour upscaling of the CLI's image grids: a 16-sample grid of 28x28 images is 115 px wide,
// too small to look at, so pictures are enlarged by a whole factor (every pixel becomes an N x N block).
import type { RasterImage } from '../runtime/png.js';

/** Default target: the smallest whole factor that makes the picture at least this wide. */
export const MIN_PICTURE_WIDTH = 512;
export const MAX_SCALE = 64;
/** Refuse pictures wider or taller than this (a typo like --scale 64 on a wide strip). */
export const MAX_PICTURE_SIDE = 16384;

export function defaultScale(width: number): number {
  return Math.min(MAX_SCALE, Math.max(1, Math.ceil(MIN_PICTURE_WIDTH / Math.max(1, width))));
}

export function upscale(image: RasterImage, factor: number): RasterImage {
  if (factor === 1) return image;
  const { width, height, channels, data } = image;
  const W = width * factor;
  const out = new Uint8Array(W * height * factor * channels);
  const row = new Uint8Array(W * channels);
  for (let y = 0; y < height; y++) {
    for (let x = 0; x < width; x++) {
      const src = (y * width + x) * channels;
      for (let k = 0; k < factor; k++) row.set(data.subarray(src, src + channels), (x * factor + k) * channels);
    }
    for (let k = 0; k < factor; k++) out.set(row, (y * factor + k) * W * channels);
  }
  return { width: W, height: height * factor, channels, data: out };
}
