// Tiles a batch of model outputs (ONNX CHW order, values nominally in [0, 1]) into one 8-bit image
// with 1-pixel gaps, ready for encodePng. Browser-safe.
import type { RasterImage } from './png.js';

export interface GridOptions {
  /** columns; default ceil(sqrt(count)) */
  columns?: number;
  /** gap width in pixels; default 1 */
  gap?: number;
  /** gap brightness in [0, 1]; default 1 (white) */
  gapValue?: number;
}

/**
 * `images` holds `count` samples of shape [C, H, W] (C = 1 or 3), flat CHW each. Values are clamped to
 * [0, 1] and NaN is drawn black, so a broken model still yields a viewable picture.
 */
export function imageGrid(images: Float32Array, count: number, shape: readonly number[], options: GridOptions = {}): RasterImage {
  const [C, H, W] = shape.length === 3 ? shape : shape.length === 2 ? [1, shape[0], shape[1]] : [0, 0, 0];
  if (C !== 1 && C !== 3) throw new RangeError(`imageGrid: shape [${shape.join(', ')}] is not an image ([1|3, H, W] or [H, W])`);
  if (!Number.isInteger(count) || count < 1) throw new RangeError(`imageGrid: count must be a positive integer, got ${count}`);
  const per = C * H * W;
  if (images.length !== count * per) throw new RangeError(`imageGrid: ${count} images of [${shape.join(', ')}] need ${count * per} values, got ${images.length}`);
  const gap = options.gap ?? 1;
  const columns = Math.min(count, options.columns ?? Math.ceil(Math.sqrt(count)));
  if (!Number.isInteger(columns) || columns < 1) throw new RangeError(`imageGrid: columns must be a positive integer, got ${columns}`);
  const rows = Math.ceil(count / columns);
  const width = columns * W + (columns - 1) * gap;
  const height = rows * H + (rows - 1) * gap;
  const data = new Uint8Array(width * height * C).fill(toByte(options.gapValue ?? 1));
  for (let n = 0; n < count; n++) {
    const x0 = (n % columns) * (W + gap);
    const y0 = Math.floor(n / columns) * (H + gap);
    const base = n * per;
    for (let y = 0; y < H; y++) {
      for (let x = 0; x < W; x++) {
        const dst = ((y0 + y) * width + x0 + x) * C;
        for (let c = 0; c < C; c++) data[dst + c] = toByte(images[base + c * H * W + y * W + x]);
      }
    }
  }
  return { width, height, channels: C as 1 | 3, data };
}

function toByte(v: number): number {
  if (!(v > 0)) return 0; // also NaN
  if (v >= 1) return 255;
  return Math.round(v * 255);
}
