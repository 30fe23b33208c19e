// Plain TypeScript twins of the runtime's dense / conv / transposed-conv kernels in every dtype flavour
// (f32, int8-weights, full int8). Straight loops, no tiling: the integer ones must match the wasm SIMD
// kernels bit for bit. int8-weights is the f32 kernel on weights dequantized once (dequantizeWeights), as the
// runtime's loader does (assembly/kernels/dequantize_weights.ts).
// Used by the quantization interpreter and as the reference in tests/quant-kernels.test.ts.
import { requantMultiplier, requantize } from './quant-arithmetic.js';

export interface ConvGeometry {
  Ci: number; H: number; W: number; Co: number; OH: number; OW: number;
  kh: number; kw: number; sH: number; sW: number; padT: number; padL: number; dH: number; dW: number; groups: number;
}

const f32 = Math.fround;

/** Input row/column feeding tap k of output o, or -1 (padding, or between strided inputs of a transposed conv). */
export function tapSource(transposed: boolean, o: number, k: number, stride: number, pad: number, dil: number, size: number): number {
  if (!transposed) {
    const i = o * stride - pad + k * dil;
    return i >= 0 && i < size ? i : -1;
  }
  const t = o + pad - k * dil;
  if (t < 0 || t % stride !== 0) return -1;
  const i = t / stride;
  return i < size ? i : -1;
}

/**
 * Calls visit(outIndex, c, xIndex, wIndex) for every multiply of a conv over HWC data with weights
 * [G, KH, KW, Cig, Cog], output pixels in order, taps in (ky, kx) order, input channels in order.
 */
function walkConv(g: ConvGeometry, transposed: boolean, visit: (o: number, x: number, w: number) => void, done: (o: number, c: number) => void): void {
  const cig = g.Ci / g.groups, cog = g.Co / g.groups;
  for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) {
    const pix = (oy * g.OW + ox) * g.Co;
    for (let gr = 0; gr < g.groups; gr++) for (let co = 0; co < cog; co++) {
      const c = gr * cog + co;
      for (let ky = 0; ky < g.kh; ky++) {
        const iy = tapSource(transposed, oy, ky, g.sH, g.padT, g.dH, g.H);
        if (iy < 0) continue;
        for (let kx = 0; kx < g.kw; kx++) {
          const ix = tapSource(transposed, ox, kx, g.sW, g.padL, g.dW, g.W);
          if (ix < 0) continue;
          const xBase = (iy * g.W + ix) * g.Ci + gr * cig;
          const wBase = ((gr * g.kh + ky) * g.kw + kx) * cig * cog + co;
          for (let ci = 0; ci < cig; ci++) visit(pix + c, xBase + ci, wBase + ci * cog);
        }
      }
      done(pix + c, c);
    }
  }
}

/** Float conv (f64 accumulation, f32 result), weights already widened to f32. Loops ordered for speed (calibration runs it a lot). */
export function convF32(g: ConvGeometry, transposed: boolean, x: Float32Array, w: Float32Array, bias: Float32Array | null): Float32Array {
  const out = new Float32Array(g.OH * g.OW * g.Co);
  const cig = g.Ci / g.groups, cog = g.Co / g.groups;
  const acc = new Float64Array(cog);
  for (let oy = 0; oy < g.OH; oy++) for (let ox = 0; ox < g.OW; ox++) {
    const pix = (oy * g.OW + ox) * g.Co;
    for (let gr = 0; gr < g.groups; gr++) {
      acc.fill(0);
      for (let ky = 0; ky < g.kh; ky++) {
        const iy = tapSource(transposed, oy, ky, g.sH, g.padT, g.dH, g.H);
        if (iy < 0) continue;
        for (let kx = 0; kx < g.kw; kx++) {
          const ix = tapSource(transposed, ox, kx, g.sW, g.padL, g.dW, g.W);
          if (ix < 0) continue;
          const xBase = (iy * g.W + ix) * g.Ci + gr * cig;
          let wp = ((gr * g.kh + ky) * g.kw + kx) * cig * cog;
          for (let ci = 0; ci < cig; ci++, wp += cog) {
            const xv = x[xBase + ci]!;
            if (xv === 0) continue;
            for (let co = 0; co < cog; co++) acc[co]! += xv * w[wp + co]!;
          }
        }
      }
      for (let co = 0; co < cog; co++) out[pix + gr * cog + co] = acc[co]! + (bias ? bias[gr * cog + co]! : 0);
    }
  }
  return out;
}

export function denseF32(x: Float32Array, w: Float32Array, bias: Float32Array | null, K: number, M: number): Float32Array {
  const out = new Float32Array(M);
  for (let m = 0; m < M; m++) {
    let acc = 0;
    for (let k = 0; k < K; k++) acc += x[k]! * w[k * M + m]!;
    out[m] = acc + (bias ? bias[m]! : 0);
  }
  return out;
}

/**
 * int8-weights: f32(q) * scale[channel] for i8 weights [groups, rows, cog] (conv [G, KH*KW*Cig, Cog], dense
 * [1, K, M]), the channel of column co in group g being g * cog + co.
 */
export function dequantizeWeights(q: Int8Array, scales: Float32Array, groups: number, cog: number): Float32Array {
  const perGroup = q.length / groups;
  return Float32Array.from(q, (v, i) => f32(v * scales[Math.floor(i / perGroup) * cog + (i % cog)]!));
}

export interface IntegerParams {
  zpX: number; sX: number; zpY: number; sY: number; relu: boolean;
  /** slope (alpha) of a fused leaky relu; undefined when there is none */
  leakyAlpha?: number;
  wScales: Float32Array; bias: Int32Array | null;
}

/** Full-integer conv: i32 acc of (x - zpX) * w, + bias, requantization with an f32 multiplier (and leaky slope), clamp (relu: at zpY). */
export function convI8(g: ConvGeometry, transposed: boolean, x: Int8Array, w: Int8Array, p: IntegerParams): Int8Array {
  const out = new Int8Array(g.OH * g.OW * g.Co);
  const rq = Array.from(p.wScales, (s) => requantMultiplier(p.sX, s, p.sY));
  const lo = p.relu ? Math.max(p.zpY, -128) : -128;
  let acc = 0;
  walkConv(g, transposed, (_o, xi, wi) => { acc = (acc + (x[xi]! - p.zpX) * w[wi]!) | 0; }, (o, c) => {
    const a = (acc + (p.bias ? p.bias[c]! : 0)) | 0;
    out[o] = Math.max(lo, Math.min(127, p.zpY + requantize(a, rq[c]!, p.leakyAlpha)));
    acc = 0;
  });
  return out;
}

export function denseI8(x: Int8Array, w: Int8Array, p: IntegerParams, K: number, M: number): Int8Array {
  const g: ConvGeometry = { Ci: K, H: 1, W: 1, Co: M, OH: 1, OW: 1, kh: 1, kw: 1, sH: 1, sW: 1, padT: 0, padL: 0, dH: 1, dW: 1, groups: 1 };
  return convI8(g, false, x, w, p);
}

/**
 * Group norm of HWC data [pixels, C] (float64 statistics, f32 result): per group of C/groups channels the mean
 * and biased variance over all pixels, then (x - mean) / sqrt(var + eps) * gamma[c] + beta[c].
 * A layer norm row is the same with one pixel and one group (the runtime's kernels/norm.ts does the same).
 */
export function groupNormF32(x: Float32Array, gamma: Float32Array, beta: Float32Array, C: number, groups: number, eps: number): Float32Array {
  const out = new Float32Array(x.length);
  const pixels = x.length / C, per = C / groups;
  for (let g = 0; g < groups; g++) {
    let sum = 0;
    for (let p = 0; p < pixels; p++) for (let c = g * per; c < (g + 1) * per; c++) sum += x[p * C + c]!;
    const mean = sum / (per * pixels);
    let sq = 0;
    for (let p = 0; p < pixels; p++) for (let c = g * per; c < (g + 1) * per; c++) sq += (x[p * C + c]! - mean) ** 2;
    const inv = 1 / Math.sqrt(sq / (per * pixels) + eps);
    for (let p = 0; p < pixels; p++) for (let c = g * per; c < (g + 1) * per; c++) out[p * C + c] = (x[p * C + c]! - mean) * inv * gamma[c]! + beta[c]!;
  }
  return out;
}

export function layerNormF32(x: Float32Array, gamma: Float32Array, beta: Float32Array, size: number, eps: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < x.length; r += size) out.set(groupNormF32(x.subarray(r, r + size), gamma, beta, size, 1, eps), r);
  return out;
}
