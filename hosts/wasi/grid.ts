// Decoder outputs (CHW floats, nominally in [0, 1]) to 8-bit pixels tiled into a grid. Same layout and
// rounding as runtime/image-grid.ts (1-pixel white gaps, clamp, round half up, NaN -> 0), so the WASI
// command and the Node host write identical images.

export const GAP = 1;
const GAP_VALUE: u8 = 255;

export class ImageShape {
  constructor(public channels: i32, public height: i32, public width: i32) {}
  get size(): i32 { return this.channels * this.height * this.width; }
}

export class Pixels {
  constructor(public data: Uint8Array, public width: i32, public height: i32, public channels: i32) {}
}

/** Same as Math.round(v * 255) on [0, 1] in f64: v * 255 is exact, so floor(y + 0.5) equals Math.round. */
// @ts-ignore: decorator
@inline export function toByte(x: f32): u8 {
  if (!(x > 0)) return 0; // also NaN
  if (x >= 1) return 255;
  return <u8>Math.floor(<f64>x * 255 + 0.5);
}

export function gridColumns(count: i32): i32 {
  return min(count, <i32>Math.ceil(Math.sqrt(<f64>count)));
}

/** Tiles `count` images (each shape.size floats, CHW) into `cols` columns, row-major. */
export function tile(images: Float32Array, count: i32, shape: ImageShape, cols: i32): Pixels {
  cols = min(cols, count);
  const rows = (count + cols - 1) / cols;
  const c = shape.channels, h = shape.height, w = shape.width;
  const width = cols * w + (cols - 1) * GAP, height = rows * h + (rows - 1) * GAP;
  const out = new Uint8Array(width * height * c);
  out.fill(GAP_VALUE);
  for (let i = 0; i < count; i++) {
    const ox = (i % cols) * (w + GAP), oy = (i / cols) * (h + GAP);
    const base = i * shape.size;
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const dst = ((oy + y) * width + ox + x) * c;
        for (let ch = 0; ch < c; ch++) out[dst + ch] = toByte(images[base + (ch * h + y) * w + x]);
      }
    }
  }
  return new Pixels(out, width, height, c);
}
