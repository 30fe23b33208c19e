// Plain float64 reference kernels in ONNX semantics (NCHW, ONNX weight layouts), the twins of the
// optimized WebAssembly kernels. Each returns the values and, per element, the sum of absolute terms.
import { Act } from '../../runtime/format-constants.js';
import { clipBounds } from '../../runtime/clip-bounds.js';
import { gelu } from '../../reference/erf.js';
import { softplus } from '../../reference/softplus.js';

export interface RefResult { value: Float64Array; magnitude: Float64Array }

export function refActivation(x: number, act: Act, alpha: number): number {
  switch (act) {
    case Act.None: return x;
    case Act.Relu: return Math.max(x, 0);
    case Act.LeakyRelu: return x > 0 ? x : alpha * x;
    case Act.Sigmoid: return 1 / (1 + Math.exp(-x));
    case Act.Tanh: return Math.tanh(x);
    case Act.Exp: return Math.exp(x);
    case Act.Softplus: return softplus(x);
    case Act.Elu: return x > 0 ? x : alpha * (Math.exp(x) - 1);
    case Act.Gelu: return gelu(x);
    case Act.Silu: return x / (1 + Math.exp(-x));
    case Act.Mish: return x * Math.tanh(softplus(x));
    case Act.HardSwish: return x * Math.max(0, Math.min(1, x / 6 + 0.5));
    case Act.Clip: { const [lo, hi] = clipBounds(alpha); return x < lo ? lo : x > hi ? hi : x; }
    case Act.GeluTanh: return x / (1 + Math.exp(-2 * Math.sqrt(2 / Math.PI) * (x + 0.044715 * x * x * x))) /* 0.5 x (1 + tanh u) = x sigmoid(2u) */;
    default: throw new Error(`unknown activation ${act}`);
  }
}

/** Applies act to value and scales magnitude by the activation's local slope bound (<= 1 except exp). */
function activateResult(r: RefResult, act: Act, alpha: number): RefResult {
  for (let i = 0; i < r.value.length; i++) {
    const v = r.value[i];
    const y = refActivation(v, act, alpha);
    // Error propagates through the activation with its derivative; bound it by max(1, |alpha|, |y|).
    r.magnitude[i] = r.magnitude[i] * Math.max(1, Math.abs(alpha), act === Act.Exp ? Math.abs(y) : 0);
    r.value[i] = y;
  }
  return r;
}

/** y[n,m] = sum_k x[n,k] W[k,m] + b[m]; W K-major like the format. */
export function refDense(x: Float32Array, n: number, K: number, M: number, w: Float32Array, b: Float32Array | null, act = Act.None, alpha = 0): RefResult {
  const value = new Float64Array(n * M);
  const magnitude = new Float64Array(n * M);
  for (let s = 0; s < n; s++) {
    for (let m = 0; m < M; m++) {
      let acc = b ? b[m] : 0;
      let mag = Math.abs(acc);
      for (let k = 0; k < K; k++) {
        const t = x[s * K + k] * w[k * M + m];
        acc += t;
        mag += Math.abs(t);
      }
      value[s * M + m] = acc;
      magnitude[s * M + m] = mag;
    }
  }
  return activateResult({ value, magnitude }, act, alpha);
}

export interface ConvSpec {
  n: number; Ci: number; H: number; W: number; Co: number; kh: number; kw: number;
  sh: number; sw: number; pt: number; pl: number; pb: number; pr: number; dh: number; dw: number; groups: number;
  /** ConvTranspose only: ONNX output_padding. */
  oph?: number; opw?: number;
}

export function convOutSize(s: ConvSpec): [number, number] {
  const effH = s.dh * (s.kh - 1) + 1, effW = s.dw * (s.kw - 1) + 1;
  return [Math.floor((s.H + s.pt + s.pb - effH) / s.sh) + 1, Math.floor((s.W + s.pl + s.pr - effW) / s.sw) + 1];
}

export function convTransposeOutSize(s: ConvSpec): [number, number] {
  const effH = s.dh * (s.kh - 1) + 1, effW = s.dw * (s.kw - 1) + 1;
  return [s.sh * (s.H - 1) + (s.oph ?? 0) + effH - s.pt - s.pb, s.sw * (s.W - 1) + (s.opw ?? 0) + effW - s.pl - s.pr];
}

/** ONNX Conv: x [n,Ci,H,W], w [Co,Ci/G,kh,kw], b [Co]. */
export function refConv(s: ConvSpec, x: Float32Array, w: Float32Array, b: Float32Array | null, act = Act.None, alpha = 0): RefResult {
  const [OH, OW] = convOutSize(s);
  const Cig = s.Ci / s.groups, Cog = s.Co / s.groups;
  const value = new Float64Array(s.n * s.Co * OH * OW);
  const magnitude = new Float64Array(value.length);
  for (let n = 0; n < s.n; n++) for (let co = 0; co < s.Co; co++) {
    const g = Math.floor(co / Cog);
    for (let oy = 0; oy < OH; oy++) for (let ox = 0; ox < OW; ox++) {
      let acc = b ? b[co] : 0;
      let mag = Math.abs(acc);
      for (let ci = 0; ci < Cig; ci++) for (let ky = 0; ky < s.kh; ky++) for (let kx = 0; kx < s.kw; kx++) {
        const iy = oy * s.sh - s.pt + ky * s.dh, ix = ox * s.sw - s.pl + kx * s.dw;
        if (iy < 0 || iy >= s.H || ix < 0 || ix >= s.W) continue;
        const t = x[((n * s.Ci + g * Cig + ci) * s.H + iy) * s.W + ix] * w[((co * Cig + ci) * s.kh + ky) * s.kw + kx];
        acc += t;
        mag += Math.abs(t);
      }
      const o = ((n * s.Co + co) * OH + oy) * OW + ox;
      value[o] = acc;
      magnitude[o] = mag;
    }
  }
  return activateResult({ value, magnitude }, act, alpha);
}

/** ONNX ConvTranspose (scatter form): x [n,Ci,H,W], w [Ci,Co/G,kh,kw], b [Co]. */
export function refConvTranspose(s: ConvSpec, x: Float32Array, w: Float32Array, b: Float32Array | null, act = Act.None, alpha = 0): RefResult {
  const [OH, OW] = convTransposeOutSize(s);
  const Cig = s.Ci / s.groups, Cog = s.Co / s.groups;
  const value = new Float64Array(s.n * s.Co * OH * OW);
  const magnitude = new Float64Array(value.length);
  for (let n = 0; n < s.n; n++) for (let co = 0; co < s.Co; co++) for (let p = 0; p < OH * OW; p++) {
    const o = (n * s.Co + co) * OH * OW + p;
    value[o] = b ? b[co] : 0;
    magnitude[o] = Math.abs(value[o]);
  }
  for (let n = 0; n < s.n; n++) for (let g = 0; g < s.groups; g++) for (let ci = 0; ci < Cig; ci++) {
    for (let iy = 0; iy < s.H; iy++) for (let ix = 0; ix < s.W; ix++) {
      const xv = x[((n * s.Ci + g * Cig + ci) * s.H + iy) * s.W + ix];
      for (let co = 0; co < Cog; co++) for (let ky = 0; ky < s.kh; ky++) for (let kx = 0; kx < s.kw; kx++) {
        const oy = iy * s.sh - s.pt + ky * s.dh, ox = ix * s.sw - s.pl + kx * s.dw;
        if (oy < 0 || oy >= OH || ox < 0 || ox >= OW) continue;
        const t = xv * w[(((g * Cig + ci) * Cog + co) * s.kh + ky) * s.kw + kx];
        const o = ((n * s.Co + g * Cog + co) * OH + oy) * OW + ox;
        value[o] += t;
        magnitude[o] += Math.abs(t);
      }
    }
  }
  return activateResult({ value, magnitude }, act, alpha);
}

/** Weights -> format layout [G,kh,kw,Ci/G,Co/G]; `from` gives the source index of (group, ci, co, ky, kx). */
function packWeights(s: ConvSpec, w: Float32Array,
  from: (g: number, ci: number, co: number, ky: number, kx: number) => number): Float32Array {
  const Cig = s.Ci / s.groups, Cog = s.Co / s.groups;
  const out = new Float32Array(w.length);
  for (let g = 0; g < s.groups; g++) for (let ky = 0; ky < s.kh; ky++) for (let kx = 0; kx < s.kw; kx++)
    for (let ci = 0; ci < Cig; ci++) for (let co = 0; co < Cog; co++)
      out[(((g * s.kh + ky) * s.kw + kx) * Cig + ci) * Cog + co] = w[from(g, ci, co, ky, kx)];
  return out;
}

/** ONNX Conv weights [Co,Ci/G,kh,kw] -> format layout [G,kh,kw,Ci/G,Co/G]. */
export function packConvWeights(s: ConvSpec, w: Float32Array): Float32Array {
  const Cig = s.Ci / s.groups, Cog = s.Co / s.groups;
  return packWeights(s, w, (g, ci, co, ky, kx) => (((g * Cog + co) * Cig + ci) * s.kh + ky) * s.kw + kx);
}

/** ONNX ConvTranspose weights [Ci,Co/G,kh,kw] -> format layout [G,kh,kw,Ci/G,Co/G]. */
export function packConvTransposeWeights(s: ConvSpec, w: Float32Array): Float32Array {
  const Cig = s.Ci / s.groups, Cog = s.Co / s.groups;
  return packWeights(s, w, (g, ci, co, ky, kx) => (((g * Cig + ci) * Cog + co) * s.kh + ky) * s.kw + kx);
}
