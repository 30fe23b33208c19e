// Plain TypeScript twins of the runtime's spatial and attention kernels (assembly/kernels/spatial.ts,
// attention.ts) on one HWC / row-major sample, in f32 arithmetic. The interpreter runs them (calibration, whole-
// model references) and tests/kernels/spatial.test.ts compares the wasm kernels against them.
import { Op, PadMode, PoolKind, ResizeMode } from '../runtime/format-constants.js';

const f32 = Math.fround;
const asF32 = (word: number): number => new Float32Array(new Uint32Array([word]).buffer)[0]!;

export interface Geometry { C: number; H: number; W: number; OH: number; OW: number }

function padSource(s: number, n: number, mode: number): number {
  if (s >= 0 && s < n) return s;
  if (mode === PadMode.Constant) return -1;
  if (mode === PadMode.Reflect) s = s < 0 ? -s : 2 * (n - 1) - s;
  return Math.min(Math.max(s, 0), n - 1);
}

export function pad(x: Float32Array, g: Geometry, mode: number, pt: number, pl: number, value: number): Float32Array {
  const out = new Float32Array(g.C * g.OH * g.OW);
  for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) {
    const sy = padSource(oy - pt, g.H, mode), sx = padSource(ox - pl, g.W, mode);
    for (let c = 0; c < g.C; c++) out[(oy * g.OW + ox) * g.C + c] = sy < 0 || sx < 0 ? value : x[(sy * g.W + sx) * g.C + c]!;
  }
  return out;
}

/** Per-axis coordinate parameters of RESIZE: source = ((o + p) * m) / d - q, each step rounded to f32. */
export interface Axis { p: number; m: number; d: number; q: number }
const coord = (o: number, a: Axis) => f32(f32(f32(f32(o + a.p) * a.m) / a.d) - a.q);

function nearest(x: number, n: number, mode: number): number {
  let f = Math.floor(x);
  const frac = f32(x - f);
  if (mode === ResizeMode.Ceil) { if (frac > 0) f += 1; } else if (mode !== ResizeMode.Floor && (frac > 0.5 || (frac === 0.5 && mode === ResizeMode.RoundPreferCeil))) f += 1;
  return Math.min(Math.max(f, 0), n - 1);
}

function linearTaps(x: number, n: number): [number, number, number, number] {
  const c = Math.max(Math.min(x, n - 1), 0);
  const i1 = Math.floor(c), i2 = Math.min(i1 + 1, n - 1);
  if (i1 === i2) return [i1, i2, 0.5, 0.5];
  return [i1, i2, f32(Math.abs(c - i1)), f32(Math.abs(c - i2))];
}

export function resize(x: Float32Array, g: Geometry, mode: number, h: Axis, w: Axis): Float32Array {
  const out = new Float32Array(g.C * g.OH * g.OW);
  for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) {
    const o = (oy * g.OW + ox) * g.C;
    const fy = coord(oy, h), fx = coord(ox, w);
    if (mode !== ResizeMode.Linear) {
      const s = (nearest(fy, g.H, mode) * g.W + nearest(fx, g.W, mode)) * g.C;
      for (let c = 0; c < g.C; c++) out[o + c] = x[s + c]!;
      continue;
    }
    const [y1, y2, dy1, dy2] = linearTaps(fy, g.H);
    const [x1, x2, dx1, dx2] = linearTaps(fx, g.W);
    const at = (yy: number, xx: number, c: number) => x[(yy * g.W + xx) * g.C + c]!;
    for (let c = 0; c < g.C; c++) {
      out[o + c] = f32(at(y1, x1, c) * f32(dx2 * dy2) + at(y1, x2, c) * f32(dx1 * dy2) + at(y2, x1, c) * f32(dx2 * dy1) + at(y2, x2, c) * f32(dx1 * dy1));
    }
  }
  return out;
}

export function pool(x: Float32Array, g: Geometry, kind: number, kh: number, kw: number, sH: number, sW: number, pt: number, pl: number, pb: number, pr: number): Float32Array {
  const out = new Float32Array(g.C * g.OH * g.OW);
  for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) {
    const hs = oy * sH - pt, ws = ox * sW - pl;
    const y0 = Math.max(hs, 0), y1 = Math.min(hs + kh, g.H), x0 = Math.max(ws, 0), x1 = Math.min(ws + kw, g.W);
    const area = kind === PoolKind.AvgIncludePad ? (Math.min(hs + kh, g.H + pb) - hs) * (Math.min(ws + kw, g.W + pr) - ws) : (y1 - y0) * (x1 - x0);
    for (let c = 0; c < g.C; c++) {
      let acc = kind === PoolKind.Max ? -Infinity : 0;
      for (let iy = y0; iy < y1; iy++) for (let ix = x0; ix < x1; ix++) {
        const v = x[(iy * g.W + ix) * g.C + c]!;
        acc = kind === PoolKind.Max ? Math.max(acc, v) : f32(acc + v);
      }
      out[(oy * g.OW + ox) * g.C + c] = kind === PoolKind.Max ? acc : f32(acc / area);
    }
  }
  return out;
}

/** Batched a [B,M,K] . b [B,K,N], f64 accumulation rounded to f32. */
export function matmul(a: Float32Array, b: Float32Array, B: number, M: number, K: number, N: number): Float32Array {
  const out = new Float32Array(B * M * N);
  for (let t = 0; t < B; t++) for (let m = 0; m < M; m++) for (let n = 0; n < N; n++) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += a[(t * M + m) * K + k]! * b[(t * K + k) * N + n]!;
    out[(t * M + m) * N + n] = acc;
  }
  return out;
}

export function softmax(x: Float32Array, L: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += L) {
    let mx = -Infinity;
    for (let i = 0; i < L; i++) mx = Math.max(mx, x[r + i]!);
    let sum = 0;
    for (let i = 0; i < L; i++) sum += Math.exp(x[r + i]! - mx);
    for (let i = 0; i < L; i++) out[r + i] = Math.exp(x[r + i]! - mx) / sum;
  }
  return out;
}

/** out = x of row-major dims [d0..d3] with its axes reordered: out axis k is x's axis perm[k]. */
export function transpose(x: Float32Array, dims: number[], perm: number[]): Float32Array {
  const strides = dims.map((_, k) => dims.slice(k + 1).reduce((s, d) => s * d, 1));
  const od = perm.map((p) => dims[p]!), os = perm.map((p) => strides[p]!);
  const out = new Float32Array(x.length);
  let k = 0;
  for (let i0 = 0; i0 < od[0]!; i0++) for (let i1 = 0; i1 < od[1]!; i1++) for (let i2 = 0; i2 < od[2]!; i2++) for (let i3 = 0; i3 < od[3]!; i3++) {
    out[k++] = x[i0 * os[0]! + i1 * os[1]! + i2 * os[2]! + i3 * os[3]!]!;
  }
  return out;
}

/** Runs op `code` (20..25) with params = words 7..15; dims of a and out as in the tensor table. */
export function runSpatialOp(code: number, params: number[], a: Float32Array, aDims: number[], outDims: number[], b?: Float32Array): Float32Array {
  const p = params;
  const g: Geometry = { C: aDims[0]!, H: aDims[1]!, W: aDims[2]!, OH: outDims[1]!, OW: outDims[2]! };
  switch (code) {
    case Op.Pad: return pad(a, g, p[0]!, p[1]! | 0, p[2]! | 0, asF32(p[3]!));
    case Op.Resize: {
      const axis = (k: number): Axis => ({ p: asF32(p[k]!), m: asF32(p[k + 1]!), d: asF32(p[k + 2]!), q: asF32(p[k + 3]!) });
      return resize(a, g, p[0]!, axis(1), axis(5));
    }
    case Op.Pool: return pool(a, g, p[0]!, p[1]!, p[2]!, p[3]!, p[4]!, p[5]!, p[6]!, p[7]!, p[8]!);
    case Op.MatMul: return matmul(a, b!, p[0]!, p[1]!, p[2]!, p[3]!);
    case Op.Softmax: return softmax(a, p[0]!);
    case Op.Transpose: return transpose(a, p.slice(0, 4), p.slice(4, 8));
    default: throw new Error(`opcode ${code} is not a spatial op`);
  }
}
