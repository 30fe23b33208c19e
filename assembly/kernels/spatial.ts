// Spatial data movement and pooling on one HWC sample: PAD, RESIZE (linear or nearest with any scale)
// and POOL. Plain loops with memory.copy of whole pixels where the data moves
// unchanged; the bilinear blend runs four channels per f32x4. Reference twins: reference/spatial.ts.
import {
  PAD_CONSTANT, PAD_REFLECT, RESIZE_LINEAR, RESIZE_FLOOR, RESIZE_CEIL, RESIZE_ROUND_PREFER_CEIL,
  POOL_MAX, POOL_AVG_INCLUDE_PAD,
} from '../format';

/** Source index of padded index s along an axis of n, or -1 for the constant value. */
function padSource(s: i32, n: i32, mode: u32): i32 {
  if (s >= 0 && s < n) return s;
  if (mode == PAD_CONSTANT) return -1;
  if (mode == PAD_REFLECT) s = s < 0 ? -s : 2 * (n - 1) - s; // one reflection (loaders: pads < n)
  return s < 0 ? 0 : s >= n ? n - 1 : s; // edge (and a guard for reflect)
}

/** out[oy, ox] = a[oy - pt, ox - pl] mapped by the pad mode; pads may be negative (a crop). */
export function pad(x: usize, y: usize, C: u32, H: i32, W: i32, OH: i32, OW: i32, mode: u32, pt: i32, pl: i32, value: f32): void {
  const pixel = <usize>C << 2;
  for (let oy: i32 = 0; oy < OH; oy++) {
    const sy = padSource(oy - pt, H, mode);
    for (let ox: i32 = 0; ox < OW; ox++) {
      const sx = padSource(ox - pl, W, mode);
      const dst = y + <usize>(oy * OW + ox) * pixel;
      if (sy < 0 || sx < 0) {
        for (let c: usize = 0; c < pixel; c += 4) store<f32>(dst + c, value);
      } else memory.copy(dst, x + <usize>(sy * W + sx) * pixel, pixel);
    }
  }
}

// Second tap and the blend weights of the last axisTap call (linear mode).
let tap2: i32 = 0;
let weight1: f32 = 0;
let weight2: f32 = 0;

/**
 * Source of output index o along an axis of n with params (p, m, d, q) at prm: the coordinate
 * ((o + p) * m) / d - q in the order ONNX runtimes compute it in f32. Nearest modes return the rounded index
 * clamped to [0, n-1] (in float first: the coordinate may be huge). Linear returns the first tap of the
 * clamped coordinate and sets tap2 and the weights as onnxruntime blends (|x - x2|, |x - x1|; 0.5 each at the edge).
 */
function axisTap(o: i32, prm: usize, n: i32, mode: u32): i32 {
  const x = (<f32>o + load<f32>(prm)) * load<f32>(prm, 4) / load<f32>(prm, 8) - load<f32>(prm, 12);
  const last = <f32>(n - 1);
  if (mode != RESIZE_LINEAR) {
    let f = Mathf.floor(x);
    const frac = x - f;
    if (mode == RESIZE_CEIL) { if (frac > 0) f += 1; }
    else if (mode != RESIZE_FLOOR && (frac > 0.5 || (frac == 0.5 && mode == RESIZE_ROUND_PREFER_CEIL))) f += 1;
    return <i32>Mathf.min(Mathf.max(f, 0), last);
  }
  const c = Mathf.max(Mathf.min(x, last), 0);
  const t1 = <i32>c;
  tap2 = min(t1 + 1, n - 1);
  weight1 = tap2 == t1 ? 0.5 : Mathf.abs(c - <f32>tap2); // weight of t1
  weight2 = tap2 == t1 ? 0.5 : Mathf.abs(c - <f32>t1);
  return t1;
}

/** RESIZE: per-axis params (p, m, d, q) at `prm` (8 f32: height then width); linear blends four channels per lane group. */
export function resize(x: usize, y: usize, C: u32, H: i32, W: i32, OH: i32, OW: i32, mode: u32, prm: usize): void {
  const pixel = <usize>C << 2;
  const vecBytes = pixel & ~(<usize>15);
  for (let oy: i32 = 0; oy < OH; oy++) {
    const y1 = axisTap(oy, prm, H, mode);
    const y2 = tap2, wy1 = weight1, wy2 = weight2;
    const r1 = x + <usize>(y1 * W) * pixel, r2 = x + <usize>(y2 * W) * pixel;
    let dst = y + <usize>(oy * OW) * pixel;
    for (let ox: i32 = 0; ox < OW; ox++, dst += pixel) {
      const x1 = axisTap(ox, prm + 16, W, mode);
      if (mode != RESIZE_LINEAR) { memory.copy(dst, r1 + <usize>x1 * pixel, pixel); continue; }
      const w11 = weight1 * wy1, w21 = weight2 * wy1, w12 = weight1 * wy2, w22 = weight2 * wy2;
      const p11 = r1 + <usize>x1 * pixel, p21 = r1 + <usize>tap2 * pixel, p12 = r2 + <usize>x1 * pixel, p22 = r2 + <usize>tap2 * pixel;
      const v11 = f32x4.splat(w11), v21 = f32x4.splat(w21), v12 = f32x4.splat(w12), v22 = f32x4.splat(w22);
      let c: usize = 0;
      for (; c < vecBytes; c += 16) {
        let acc = f32x4.mul(v128.load(p11 + c), v11);
        acc = f32x4.add(acc, f32x4.mul(v128.load(p21 + c), v21));
        acc = f32x4.add(acc, f32x4.mul(v128.load(p12 + c), v12));
        v128.store(dst + c, f32x4.add(acc, f32x4.mul(v128.load(p22 + c), v22)));
      }
      for (; c < pixel; c += 4) {
        store<f32>(dst + c, load<f32>(p11 + c) * w11 + load<f32>(p21 + c) * w21 + load<f32>(p12 + c) * w12 + load<f32>(p22 + c) * w22);
      }
    }
  }
}

/**
 * POOL over windows kh x kw at stride (sh, sw), top/left padding (pt, pl); the eight i32 params at prm. Max ignores
 * padding; average divides by the window's input pixels, or (include pad) by the window clipped to [-pt, H + pb).
 */
export function pool(x: usize, y: usize, C: u32, H: i32, W: i32, OH: i32, OW: i32, kind: u32, prm: usize): void {
  const kh = load<i32>(prm), kw = load<i32>(prm, 4), sh = load<i32>(prm, 8), sw = load<i32>(prm, 12);
  const pt = load<i32>(prm, 16), pl = load<i32>(prm, 20), pb = load<i32>(prm, 24), pr = load<i32>(prm, 28);
  for (let oy: i32 = 0; oy < OH; oy++) for (let ox: i32 = 0; ox < OW; ox++) {
    const hs = oy * sh - pt, ws = ox * sw - pl;
    const y0 = max(hs, 0), y1 = min(hs + kh, H), x0 = max(ws, 0), x1 = min(ws + kw, W);
    const area = kind == POOL_AVG_INCLUDE_PAD ? (min(hs + kh, H + pb) - hs) * (min(ws + kw, W + pr) - ws) : (y1 - y0) * (x1 - x0);
    const dst = y + (<usize>(oy * OW + ox) * C << 2);
    for (let c: u32 = 0; c < C; c++) {
      let acc: f32 = kind == POOL_MAX ? -Infinity : 0;
      for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) {
        const v = load<f32>(x + (<usize>((iy * W + ix) * C + c) << 2));
        acc = kind == POOL_MAX ? max(acc, v) : acc + v; // f32.max: NaN wins
      }
      store<f32>(dst + (<usize>c << 2), kind == POOL_MAX ? acc : acc / <f32>area);
    }
  }
}
